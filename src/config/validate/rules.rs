//! A receiver's `filter` and `transform` jq programs (SPEC section 13), compiled at load; a
//! program that does not compile is an error at its line and column in the file.

use super::Validator;
use crate::config::errors::Positions;
use crate::config::raw::Sp;
use crate::rules::JqProgram;

impl Validator<'_> {
    /// Compiles the program written at `raw`.
    pub(super) fn program(&mut self, raw: &Option<Sp<String>>, key: &str) -> Option<JqProgram> {
        let raw = raw.as_ref()?;
        let error = match JqProgram::compile(raw.get_ref()) {
            Ok(program) => return Some(program),
            Err(e) => e,
        };
        let span = raw.span();
        match self.errs.positions() {
            Positions::Toml(source) => {
                let literal = source.get(span.clone()).unwrap_or("");
                let at = span.start + offset_in_literal(literal, error.offset);
                self.errs
                    .push(at..at, key, format!("jq program: {}", error.message));
            }
            Positions::Fields(_) => {
                let column = raw.get_ref()[..error.offset.min(raw.get_ref().len())]
                    .chars()
                    .count()
                    + 1;
                self.errs.push(
                    span,
                    key,
                    format!("jq program, at character {column}: {}", error.message),
                );
            }
        }
        None
    }
}

/// Where the character at byte `offset` of a TOML string's value is in the string as written
/// (`literal`, quotes included): past the opening quotes and, in a basic string, the escapes.
pub fn offset_in_literal(literal: &str, offset: usize) -> usize {
    let (quote_len, basic) = match literal.as_bytes() {
        [b'\'', b'\'', b'\'', ..] => (3, false),
        [b'"', b'"', b'"', ..] => (3, true),
        [b'\'', ..] => (1, false),
        [b'"', ..] => (1, true),
        _ => return 0,
    };
    let mut raw = quote_len;
    // A newline right after the opening quotes of a multi-line string is not part of it.
    if quote_len == 3 {
        if literal[raw..].starts_with("\r\n") {
            raw += 2;
        } else if literal[raw..].starts_with('\n') {
            raw += 1;
        }
    }
    if !basic {
        return (raw + offset).min(literal.len());
    }
    let mut decoded = 0;
    let rest = &literal[raw..];
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if decoded >= offset {
            return raw + i;
        }
        if c != '\\' {
            decoded += c.len_utf8();
            continue;
        }
        match chars.next() {
            Some((_, 'u')) => {
                let hex: String = (0..4)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                decoded += char_len(&hex);
            }
            Some((_, 'U')) => {
                let hex: String = (0..8)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                decoded += char_len(&hex);
            }
            // A line-ending backslash: it and the white space after it are not in the value.
            Some((_, w)) if w.is_whitespace() => {
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
            }
            Some(_) => decoded += 1,
            None => {}
        }
    }
    literal.len()
}

/// The UTF-8 length of the character with this hex code.
fn char_len(hex: &str) -> usize {
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(char::from_u32)
        .map_or(1, char::len_utf8)
}

#[cfg(test)]
mod tests;
