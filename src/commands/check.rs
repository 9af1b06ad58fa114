//! `hookgate check`: validate the config, list every error, print a one-line summary.

use super::cli::CheckArgs;
use crate::config;
use anyhow::anyhow;

/// Exit status 0 with a summary for a good file; every error as `PATH:LINE:COLUMN: key: message` otherwise.
pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    let path = config::default_path(args.config);
    match config::load(&path) {
        Ok(cfg) => {
            for w in &cfg.warnings {
                eprintln!("warning: {w}");
            }
            let receivers: usize = cfg.listeners.iter().map(|l| l.receivers.len()).sum();
            let enabled = cfg.listeners.iter().filter(|l| l.enabled).count();
            println!(
                "{}: OK: {} listeners ({} enabled), {} receivers, {} system webhooks, {} admin tokens, {} warnings",
                path.display(),
                cfg.listeners.len(),
                enabled,
                receivers,
                cfg.system_webhooks.len(),
                cfg.admin_tokens.len(),
                cfg.warnings.len()
            );
            Ok(())
        }
        Err(errors) => {
            let n = errors.errors.len();
            Err(anyhow!(
                "{errors}\n{}: {n} error{}",
                path.display(),
                if n == 1 { "" } else { "s" }
            ))
        }
    }
}
