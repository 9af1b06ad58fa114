//! The command line (SPEC section 1).

use crate::logging::LogFormat;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hookgate",
    version,
    about = "Inbound webhook listener and relay gateway"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the gateway until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Validate listeners.toml and print a summary.
    Check(CheckArgs),
    /// POST fixture files to a running gateway.
    Replay(ReplayArgs),
    /// A receiver for trying hookgate out: prints what it gets.
    Sink(SinkArgs),
    /// Show, for each fixture and receiver, whether it would be delivered and the body it
    /// would get, without a running gateway.
    Preview(PreviewArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Config file [default: $HOOKGATE_CONFIG, else ./listeners.toml]
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Provider-facing address (overrides [server].listen).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Management address (overrides [server].admin_listen).
    #[arg(long)]
    pub admin_listen: Option<SocketAddr>,
    /// Store URL such as sqlite://data/hookgate.db (overrides [store].url).
    #[arg(long)]
    pub store: Option<String>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Config file [default: $HOOKGATE_CONFIG, else ./listeners.toml]
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Config file [default: $HOOKGATE_CONFIG, else ./listeners.toml]
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Gateway base URL [default: the config's public address]
    #[arg(long)]
    pub url: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Fixture files or folders of them.
    #[arg(required = true)]
    pub fixtures: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SinkArgs {
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// Verify webhook-signature with this whsec_ secret.
    #[arg(long)]
    pub secret: Option<String>,
    /// Answer 503 to the first N requests.
    #[arg(long, default_value_t = 0)]
    pub fail_first: u64,
    /// Answer this status to every (other) request.
    #[arg(long, default_value_t = 200)]
    pub status: u16,
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// Config file [default: $HOOKGATE_CONFIG, else ./listeners.toml]
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Preview every fixture on this listener, whatever provider and account it names.
    #[arg(long)]
    pub listener: Option<String>,
    /// Fixture files or folders of them.
    #[arg(required = true)]
    pub fixtures: Vec<PathBuf>,
}
