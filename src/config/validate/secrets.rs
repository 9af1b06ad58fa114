//! Secrets as written in the file: a literal, `{ env = "VAR" }` or `{ file = "PATH" }`, each
//! resolved once at load. An empty secret is refused (it would match an empty header or
//! sign with no key), and a secret file is read only when it is a small regular file.

use super::Validator;
use crate::config::raw::{RawSecret, Sp};
use crate::config::secret::Secret;
use std::io::Read;
use std::path::Path;

/// The largest secret file read, in bytes.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

impl Validator<'_> {
    /// Resolves a literal, `{env}` or `{file}` secret; a missing variable or file, an empty
    /// value or a malformed table is an error.
    pub fn secret(&mut self, v: &Sp<RawSecret>, key: &str) -> Option<Secret> {
        let value = match v.get_ref() {
            RawSecret::Literal(s) => Ok(s.clone()),
            RawSecret::Table(table) => match source(table) {
                Ok(Source::Env(var)) => std::env::var(&var)
                    .map_err(|_| format!("environment variable `{var}` is not set")),
                Ok(Source::File(file)) => read_secret_file(&self.base_dir.join(file)),
                Err(message) => Err(message),
            },
        };
        match value {
            Ok(value) if value.is_empty() => {
                self.errs.push(v.span(), key, "a secret must not be empty");
                None
            }
            Ok(value) => Some(Secret::new(value)),
            Err(message) => {
                self.errs.push(v.span(), key, message);
                None
            }
        }
    }
}

/// Where a `{ env }` or `{ file }` secret comes from.
enum Source {
    Env(String),
    File(String),
}

const SHAPE: &str = "a secret is a string, { env = \"VAR\" } or { file = \"PATH\" }";

/// The one source a secret table names; anything else is an error message.
fn source(table: &std::collections::BTreeMap<String, toml::Value>) -> Result<Source, String> {
    if let Some(other) = table.keys().find(|k| *k != "env" && *k != "file") {
        return Err(format!("unknown key `{other}`: {SHAPE}"));
    }
    let text = |name: &str| match table.get(name) {
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{name}` must be a string: {SHAPE}")),
        None => Ok(None),
    };
    match (text("env")?, text("file")?) {
        (Some(_), Some(_)) => Err(format!("`env` and `file` together: {SHAPE}")),
        (Some(var), None) => Ok(Source::Env(var)),
        (None, Some(file)) => Ok(Source::File(file)),
        (None, None) => Err(SHAPE.to_string()),
    }
}

/// Reads a secret file: a regular file of at most 64 KiB. The metadata is looked at before the
/// file is opened, so a FIFO, a device or a directory is refused without blocking or reading;
/// the open does not block either, and the read stops past the limit whatever the file became.
/// A trailing newline is never part of the secret.
pub fn read_secret_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read secret file `{shown}`: {e}");
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!("secret file `{shown}` is not a regular file"));
    }
    let too_large =
        || format!("secret file `{shown}` is larger than {MAX_SECRET_FILE_BYTES} bytes (64 KiB)");
    if meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(too_large());
    }
    let file = open_without_blocking(path).map_err(cannot)?;
    if !file.metadata().map_err(cannot)?.is_file() {
        return Err(format!("secret file `{shown}` is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(too_large());
    }
    let text =
        String::from_utf8(bytes).map_err(|_| format!("secret file `{shown}` is not UTF-8 text"))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Opens for reading with `O_NONBLOCK`: opening a FIFO that was put in place of the file after
/// its metadata was read must not wait for a writer.
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_are_small_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok");
        std::fs::write(&ok, "s3cret\r\n").unwrap();
        assert_eq!(read_secret_file(&ok).unwrap(), "s3cret");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 64 * 1024 + 1]).unwrap();
        assert!(read_secret_file(&big)
            .unwrap_err()
            .contains("larger than 65536"));
        assert!(read_secret_file(dir.path())
            .unwrap_err()
            .contains("not a regular file"));
        assert!(read_secret_file(Path::new("/dev/null"))
            .unwrap_err()
            .contains("not a regular file"));
        assert!(read_secret_file(&dir.path().join("none"))
            .unwrap_err()
            .contains("cannot read"));
    }
}
