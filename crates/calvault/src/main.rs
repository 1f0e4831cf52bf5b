//! The `calvault` binary: command-line parsing and glue, nothing else.

mod admin;
mod backup_tool;
mod cli;
mod history;
mod progress;
mod restore;
mod store_copy;
mod token;
mod user;

use clap::Parser;

/// mimalloc returns freed memory to the system far more readily than glibc's allocator
/// does with many threads: after a large answer, the server's RSS falls back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::process::tune_allocator();
    server::process::quiet_on_closed_stdout();
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("calvault: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calvault: {e:#}");
            std::process::ExitCode::from(backup_tool::exit::code_of(&e))
        }
    }
}
