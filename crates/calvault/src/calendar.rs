//! `calvault calendar ...`: a user's calendars from the command line, while the server
//! runs too; the work is `server::admin`'s, here are the arguments, a bar and the summary.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use server::admin;

use crate::admin::{open_engine, open_store, StoreArgs};
use crate::progress;

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// List a user's calendars: slug, name, components, objects, bytes, last change.
    List { user: String },
    /// Create a calendar USER/SLUG.
    Create {
        target: String,
        #[arg(long)]
        name: Option<String>,
        /// #RRGGBB.
        #[arg(long)]
        color: Option<String>,
        /// Component types [default: VEVENT,VTODO,VJOURNAL].
        #[arg(long, value_delimiter = ',', value_name = "VEVENT,VTODO")]
        components: Vec<String>,
    },
    /// Delete a calendar USER/SLUG (recorded: `calvault undelete USER/SLUG` brings it back).
    Delete { target: String },
    /// Import .ics files (`-`: standard input) into USER/SLUG, created when missing.
    Import {
        target: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What to do with a UID the calendar already has.
        #[arg(long, default_value = "skip", value_parser = ["skip", "replace", "fail"])]
        on_conflict: String,
    },
    /// Export USER/SLUG as one .ics file (standard output without --output).
    Export {
        target: String,
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub async fn run(cmd: CalendarCommand, store: &StoreArgs) -> anyhow::Result<()> {
    use CalendarCommand as C;
    match cmd {
        C::List { user } => {
            let list = admin::calendar_list(&*open_store(store).await?, &user).await?;
            println!("{list}");
        }
        C::Create {
            target,
            name,
            color,
            components,
        } => {
            let store = open_store(store).await?;
            admin::create_calendar(&*store, &target, name, color, components).await?;
            println!("Created the calendar {target}.");
        }
        C::Delete { target } => {
            admin::delete_calendar(&*open_store(store).await?, &target).await?;
            println!("Deleted {target} (`calvault undelete {target}` brings it back).");
        }
        C::Import {
            target,
            files,
            on_conflict,
        } => {
            let bar = progress::counter(0, "importing");
            let engine = open_engine(store).await?;
            let show = |done, total| progress::show(&bar, done, total);
            let done = admin::import(&engine, &target, &files, &on_conflict, &show).await?;
            bar.finish_and_clear();
            crate::report(&done.report.failures(), &done, done.failure_note())?;
        }
        C::Export { target, output } => {
            let export = admin::export(&*open_store(store).await?, &target).await?;
            match output {
                Some(path) => std::fs::write(&path, &export.text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().write_all(export.text.as_bytes())?,
            }
            eprintln!("{target}: {export}.");
        }
    }
    Ok(())
}
