//! Config errors that name file, line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

/// Every problem found in one file; `Display` prints one `PATH:LINE:COLUMN: key: message` per line.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    pub path: PathBuf,
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.path.display(),
                e.line,
                e.column,
                e.key,
                e.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// What the positions of the values being validated refer to.
#[derive(Clone, Copy)]
pub enum Positions<'a> {
    /// Byte offsets into TOML text: errors name line, column and the TOML key.
    Toml(&'a str),
    /// Indexes into a list of JSON fields (`receivers[0].url`): a value built from a JSON
    /// document carries the index of the field it came from, and errors name that field.
    Fields(&'a [String]),
}

/// Collects errors while validating, turning each value's position into where it was written.
pub struct Collector<'a> {
    positions: Positions<'a>,
    pub errors: Vec<ConfigError>,
}

impl<'a> Collector<'a> {
    pub fn new(source: &'a str) -> Self {
        Collector::at(Positions::Toml(source))
    }

    pub fn at(positions: Positions<'a>) -> Self {
        Collector {
            positions,
            errors: Vec::new(),
        }
    }

    /// What the positions of the values refer to.
    pub fn positions(&self) -> Positions<'a> {
        self.positions
    }

    /// Records a problem with the value at `span`; `key` is its TOML key, used for TOML text.
    pub fn push(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let (line, column, key) = match self.positions {
            Positions::Toml(source) => {
                let (line, column) = line_column(source, span.start);
                (line, column, key.into())
            }
            Positions::Fields(fields) => {
                let field = fields.get(span.start).cloned();
                (0, 0, field.unwrap_or_else(|| "(listener)".to_string()))
            }
        };
        self.errors.push(ConfigError {
            line,
            column,
            key,
            message: message.into(),
        });
    }

    pub fn finish(self, path: &Path) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors {
                path: path.to_path_buf(),
                errors: self.errors,
            })
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Turns a TOML syntax or shape error into a located error; the key is read
/// from serde's message where it names one.
pub fn from_toml(source: &str, path: &Path, err: &toml::de::Error) -> ConfigErrors {
    let span = err.span().unwrap_or(0..0);
    let (line, column) = line_column(source, span.start);
    let message = err.message().trim().to_string();
    let key = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
        .map(str::to_string)
        .or_else(|| key_of_value(source, span.start))
        .or_else(|| {
            let text = source.get(span.clone())?.trim();
            let name = text.split(['=', ' ']).next()?.trim_matches(['[', ']', '"']);
            (!name.is_empty() && name.len() < 80).then(|| name.to_string())
        })
        .unwrap_or_else(|| "(syntax)".to_string());
    ConfigErrors {
        path: path.to_path_buf(),
        errors: vec![ConfigError {
            line,
            column,
            key,
            message,
        }],
    }
}

/// The key a value at `offset` is written for (`concurrency = 1.5`, `{ a = "x", b = 1.5 }`),
/// when the value follows `key =` on its line.
fn key_of_value(source: &str, offset: usize) -> Option<String> {
    let before = source.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let assignment = line.trim_end().strip_suffix('=')?;
    let key = assignment
        .rsplit(['{', ','])
        .next()?
        .trim()
        .trim_matches('"');
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    (!key.is_empty() && key.chars().all(plain)).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_key() {
        let src = "[delivery]\nconcurrency = 1.5\nx = { a = \"s\", b = 2 }\n";
        assert_eq!(key_of_value(src, 25).as_deref(), Some("concurrency"));
        assert_eq!(key_of_value(src, 48).as_deref(), Some("b"));
        assert_eq!(key_of_value(src, 0), None);
    }

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 11), (2, 6));
    }
}
