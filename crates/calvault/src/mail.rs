//! `calvault imip`: scheduling messages that come back by e-mail (docs/scheduling.md).

use std::io::Read;

use clap::Subcommand;

use crate::admin::{open_engine, StoreArgs};

/// A reply larger than this is no calendar reply (an MTA pipe hands over anything).
const MAX_MESSAGE: u64 = 10 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub enum ImipCommand {
    /// Apply one e-mail message (RFC 5322, on standard input) carrying an iTIP REPLY to
    /// the organizer's copy of the meeting, as an MTA pipe or a mailbox poller runs it.
    /// Exits 65 when the message is refused (forged, no meeting here, no REPLY), 75 when it
    /// should be tried again later.
    Receive {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(command: ImipCommand) -> anyhow::Result<()> {
    match command {
        ImipCommand::Receive { store } => receive(&store).await,
    }
}

async fn receive(store: &StoreArgs) -> anyhow::Result<()> {
    let mut raw = Vec::new();
    std::io::stdin()
        .take(MAX_MESSAGE + 1)
        .read_to_end(&mut raw)?;
    if raw.len() as u64 > MAX_MESSAGE {
        return Err(imip::ImipError::Unreadable(format!(
            "the message on standard input is larger than {} MiB",
            MAX_MESSAGE >> 20
        ))
        .into());
    }
    let engine = open_engine(store).await?;
    let applied = imip::inbound::receive(&engine, &raw).await?;
    println!(
        "{} answered {} for {}'s meeting {}",
        applied.attendee, applied.partstat, applied.organizer, applied.uid
    );
    Ok(())
}
