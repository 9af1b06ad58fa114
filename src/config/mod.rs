//! `listeners.toml`: schema, provider presets, secrets and validation with located errors.

pub mod answers;
pub mod errors;
pub mod locator;
pub mod model;
pub mod order;
pub mod presets;
pub mod raw;
pub mod secret;
pub mod validate;

pub use errors::{ConfigError, ConfigErrors};
pub use locator::{Locator, LocatorError, Locators};
pub use model::*;
pub use order::OrderBy;
pub use presets::ProviderSpec;
pub use secret::{constant_time_eq, Secret};

use std::path::{Path, PathBuf};

/// The config path: the flag, else `$HOOKGATE_CONFIG`, else `./listeners.toml`.
pub fn default_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("HOOKGATE_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("listeners.toml"))
}

/// Reads and validates a config file; every problem is reported with its location.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let source = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        path: path.to_path_buf(),
        errors: vec![ConfigError {
            line: 1,
            column: 1,
            key: "(file)".into(),
            message: format!("cannot read the file: {e}"),
        }],
    })?;
    parse(&source, path)
}

/// Validates config text that was read from `path`.
pub fn parse(source: &str, path: &Path) -> Result<Config, ConfigErrors> {
    let raw: raw::RawConfig =
        toml::from_str(source).map_err(|e| errors::from_toml(source, path, &e))?;
    let mut v = validate::Validator::new(source, path);
    let config = v.config(&raw, path);
    v.errs.finish(path)?;
    Ok(config)
}

#[cfg(test)]
mod tests;
