//! The `hookgate` binary: parses the command line and runs the chosen command.

use clap::Parser;
use hookgate::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => hookgate::serve::run(args),
        Command::Check(args) => hookgate::check::run(args),
        Command::Replay(args) => hookgate::replay::run(args),
        Command::Sink(args) => hookgate::sink::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(1)
        }
    }
}
