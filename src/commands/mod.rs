//! The commands of the `hookgate` binary (SPEC section 1). They are the program's edge: they
//! turn the library's typed errors into a message on stderr and exit status 1.

mod check;
pub mod cli;
mod preview;
mod replay;
mod serve;
mod sink;

use cli::{Cli, Command};
use std::process::ExitCode;

/// A failure the command has already told the user about: it only wants exit status 1.
#[derive(Debug, thiserror::Error)]
#[error("the command failed (details were printed)")]
pub struct AlreadyReported;

/// Runs the chosen command; prints its error, if any, and says how the process exits.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Sink(args) => sink::run(args),
        Command::Preview(args) => preview::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is::<AlreadyReported>() {
                eprintln!("{e:#}");
            }
            ExitCode::from(1)
        }
    }
}
