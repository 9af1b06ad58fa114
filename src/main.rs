//! The `hookgate` binary: parses the command line and runs the chosen command.

use clap::Parser;
use hookgate::commands::{self, cli::Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    commands::run(Cli::parse())
}
