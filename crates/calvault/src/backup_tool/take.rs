//! `calvault backup`: the engine's snapshot run, with progress bars and its summary.

use anyhow::Context;
use backup::{BackupRequest, Selection};

use super::args::BackupArgs;
use super::exit::{failure, PARTIAL};
use super::{connect, open_repo};
use crate::progress::Bars;

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let selection = Selection {
        components: args
            .components
            .iter()
            .map(|c| c.name().to_owned())
            .collect(),
        since: time_flag(args.since.as_deref(), "--since")?,
        until: time_flag(args.until.as_deref(), "--until")?,
    };
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
        selection,
        full: args.full,
        full_every: args.full_every,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let report = backup::take(&client, &repo, &request, &Bars::default()).await?;
    println!("{report}");
    match report.failure_note() {
        Some(note) => Err(failure(PARTIAL, note)),
        None => Ok(()),
    }
}

/// `--since`/`--until`: RFC 3339 or a plain date, as unix seconds.
fn time_flag(text: Option<&str>, flag: &str) -> anyhow::Result<Option<i64>> {
    text.map(|t| {
        backup::parse_time(t).with_context(|| {
            format!("{flag} {t:?} is not a time: use RFC 3339 (2026-11-21T09:00:00Z) or YYYY-MM-DD")
        })
    })
    .transpose()
}
