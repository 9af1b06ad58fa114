//! The `hookgate` binary: parses the command line and runs the chosen command.

use clap::Parser;
use hookgate::commands::{self, cli::Cli};
use std::process::ExitCode;

/// Many small short-lived allocations per request (headers, log fields, store jobs) across
/// threads: mimalloc's thread-local free lists serve them without glibc's arena locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    commands::run(Cli::parse())
}
