//! `calvault imip`: scheduling messages that come back by e-mail (docs/scheduling.md).

use std::io::Read;

use clap::Subcommand;
use imip::inbound;

use crate::admin::{open_engine, StoreArgs};

#[derive(Subcommand, Debug)]
pub enum ImipCommand {
    /// Apply one e-mail message (RFC 5322, on standard input) carrying an iTIP REPLY to
    /// the organizer's copy of the meeting, as an MTA pipe or a mailbox poller runs it.
    /// Exits 65 when the message is refused (forged, no meeting here, no REPLY), 75 when it
    /// should be tried again later.
    Receive,
}

pub async fn run(command: ImipCommand, store: &StoreArgs) -> anyhow::Result<()> {
    match command {
        ImipCommand::Receive => receive(store).await,
    }
}

async fn receive(store: &StoreArgs) -> anyhow::Result<()> {
    let mut raw = Vec::new();
    std::io::stdin()
        .take(inbound::MAX_MESSAGE + 1)
        .read_to_end(&mut raw)?;
    inbound::check_size(&raw)?;
    let engine = open_engine(store).await?;
    let applied = inbound::receive(&engine, &raw).await?;
    println!(
        "{} answered {} for {}'s meeting {}",
        applied.attendee, applied.partstat, applied.organizer, applied.uid
    );
    Ok(())
}
