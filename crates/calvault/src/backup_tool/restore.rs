//! `restore` (from a snapshot) and `migrate` (straight from another server): the engine
//! plans and writes (see `backup::restore`); this gathers the sources and prints.

use backup::login::{self, password_auth};
use backup::restore::{self, Mapping, OnConflict, Options, SourceCalendar};
use client::{Client, Url};

use super::args::{self, MigrateArgs, PlanArgs, RestoreArgs};
use super::{connect, open_repo};
use crate::progress::Bars;

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let options = options(&args.plan);
    let repo = open_repo(&args.repo)?;
    let lock = repo.lock_shared()?;
    let account = &args.account;
    let (id, snapshot) =
        restore::pick_snapshot(&repo, &args.snapshot, &account.url, &account.user)?;
    let sources = restore::snapshot_sources(&repo, &id, &snapshot, &options)?;
    drop(lock);
    eprintln!("{}", restore::Restoring(&id, &snapshot));
    let (target, url) = connect(account)?;
    write_all(&target, &url, &sources, &options, args.plan.with_shares).await
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let options = options(&args.plan);
    let ca_cert = args.ca_cert.as_deref();
    let source_url = Url::parse(&args.from)?;
    let command = args.password_command.as_deref();
    let secret = ["CALVAULT_PASSWORD", "--password-command"];
    let source_auth = password_auth(&args.user, &source_url, command, secret)?;
    let source = backup::client_for(source_auth.clone(), ca_cert)?;
    let sources =
        restore::server_sources(&source, &source_url, &args.from, &options, &Bars::default())
            .await?;
    let url = Url::parse(&args.to)?;
    let user = args.to_user.as_deref().unwrap_or(&args.user);
    let command = args.to_password_command.as_deref();
    let auth = login::migration_target_auth(&source_auth, user, &url, command)?;
    let target = backup::client_for(auth, ca_cert)?;
    write_all(&target, &url, &sources, &options, args.plan.with_shares).await
}

fn options(plan: &PlanArgs) -> Options {
    Options {
        calendars: plan.calendars.iter().map(|c| Mapping::parse(c)).collect(),
        dry_run: plan.dry_run,
        on_conflict: match plan.on_conflict {
            args::OnConflict::Skip => OnConflict::Skip,
            args::OnConflict::Overwrite => OnConflict::Overwrite,
            args::OnConflict::Newer => OnConflict::Newer,
            args::OnConflict::Fail => OnConflict::Fail,
        },
        mirror: plan.mirror,
    }
}

async fn write_all(
    target: &Client,
    url: &Url,
    sources: &[SourceCalendar],
    options: &Options,
    with_shares: bool,
) -> anyhow::Result<()> {
    let show = &mut |report: &dyn std::fmt::Display| println!("{report}");
    let bars = Bars::default();
    restore::write_all(target, url, sources, options, with_shares, &bars, show).await?;
    Ok(())
}
