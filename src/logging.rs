//! Log setup: `tracing` to stderr, filtered by `RUST_LOG`, as text or one JSON object per line.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// How log lines look (`--log-format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the subscriber. Lines are formatted where they happen and written by a thread of
/// their own, through a buffer flushed whenever no more lines are waiting: one request logs
/// one line, and a write to stderr per line cost a system call on the request's path. Nothing
/// is dropped (a full queue makes the logger wait). Keep the guard until exit: dropping it
/// writes out what is still queued.
pub(crate) fn init(format: LogFormat) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) =
        NonBlockingBuilder::default()
            .lossy(false)
            .finish(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stderr(),
            ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.ok().map(|()| guard)
}
