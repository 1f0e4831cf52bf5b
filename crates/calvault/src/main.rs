//! The `calvault` binary: command-line parsing and glue, nothing else.

mod admin;
mod backup_tool;
mod calendar;
mod cli;
mod history;
mod mail;
mod progress;
mod restore;
mod share;
mod store_copy;
mod token;
mod user;

use clap::Parser;

/// mimalloc returns freed memory to the system far more readily than glibc's allocator
/// does with many threads: after a large answer, the server's RSS falls back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The end of a command that wrote many things: each failure on standard error, the
/// summary on standard output, and an error (exit 1) when anything failed.
fn report(
    failures: &[String],
    summary: &dyn std::fmt::Display,
    failed: Option<String>,
) -> anyhow::Result<()> {
    failures.iter().for_each(|f| eprintln!("calvault: {f}"));
    println!("{summary}");
    failed.map_or(Ok(()), |note| Err(anyhow::Error::msg(note)))
}

fn main() -> std::process::ExitCode {
    server::process::tune_allocator();
    server::process::quiet_on_closed_stdout();
    let cli = cli::Cli::parse();
    server::process::run(cli::run(cli), backup_tool::exit::code_of)
}
