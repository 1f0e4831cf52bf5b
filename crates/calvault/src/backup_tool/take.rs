//! `calvault backup`: the engine's snapshot run, with progress bars and its summary.

use backup::{BackupRequest, Selection};

use super::args::BackupArgs;
use super::{connect, open_repo};
use crate::progress::Bars;

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let (since, until) = (args.since.as_deref(), args.until.as_deref());
    let selection = Selection::from_flags(args.components.clone(), since, until)?;
    let repo = open_repo(&args.repo)?;
    let _lock = repo.lock_exclusive()?;
    let (client, url) = connect(&args.account)?;
    let request = BackupRequest {
        start: &url,
        source: vault::Source {
            url: args.account.url.clone(),
            user: args.account.user.clone(),
        },
        calendars: &args.calendars,
        include_shared: args.include_shared,
        selection,
        full: args.full,
        full_every: args.full_every,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let report = backup::take(&client, &repo, &request, &Bars::default()).await?;
    println!("{report}");
    match report.failure_note() {
        Some(note) => Err(backup::Error::Partial(note).into()),
        None => Ok(()),
    }
}
