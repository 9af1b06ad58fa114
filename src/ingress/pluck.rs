//! Reading a few values out of a JSON body by JSON pointer, in one pass and without building the
//! document: only the values asked for are copied. The whole body is still checked to be JSON.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// Most pointers one pass can look for (a listener has two locators with a few choices each).
const MAX_POINTERS: usize = 64;

/// The scalar found at each pointer, as `serde_json::Value::pointer` would find it: strings as
/// they are, numbers and booleans written out; `None` for null, objects, arrays and misses.
pub fn pluck(body: &[u8], pointers: &[&str]) -> Result<Vec<Option<String>>, serde_json::Error> {
    let paths: Vec<Option<Vec<String>>> = pointers.iter().map(|p| tokens(p)).collect();
    let found = RefCell::new(vec![None; pointers.len()]);
    let wanted = paths
        .iter()
        .enumerate()
        .take(MAX_POINTERS)
        .filter(|(_, p)| p.is_some())
        .fold(0u64, |m, (i, _)| m | (1 << i));
    let mut de = serde_json::Deserializer::from_slice(body);
    Node {
        depth: 0,
        wanted,
        paths: &paths,
        found: &found,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(found.into_inner())
}

/// A pointer's reference tokens, unescaped (`~1` is `/`, `~0` is `~`); `None` if it is not one.
fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// An array index as JSON pointer writes it: digits, no sign, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// One value of the document, with the pointers (a bit each) that lead through or to it.
struct Node<'a> {
    depth: usize,
    wanted: u64,
    paths: &'a [Option<Vec<String>>],
    found: &'a RefCell<Vec<Option<String>>>,
}

impl Node<'_> {
    /// The pointers whose next token after this node `matches`.
    fn next(&self, matches: impl Fn(&str) -> bool) -> u64 {
        let mut out = 0;
        for (i, path) in self.paths.iter().enumerate().take(MAX_POINTERS) {
            if self.wanted & (1 << i) == 0 {
                continue;
            }
            if let Some(token) = path.as_ref().and_then(|p| p.get(self.depth)) {
                if matches(token) {
                    out |= 1 << i;
                }
            }
        }
        out
    }

    fn child(&self, wanted: u64) -> Node<'_> {
        Node {
            depth: self.depth + 1,
            wanted,
            paths: self.paths,
            found: self.found,
        }
    }

    /// Sets the value of every pointer that ends at this node.
    fn ends_here(&self, value: impl Fn() -> String) {
        let mut found = self.found.borrow_mut();
        for (i, path) in self.paths.iter().enumerate().take(MAX_POINTERS) {
            if self.wanted & (1 << i) != 0 && path.as_ref().is_some_and(|p| p.len() == self.depth) {
                found[i] = Some(value());
            }
        }
    }

    /// A non-scalar (or null) ends the pointers that end here with nothing.
    fn ends_empty(&self) {
        let mut found = self.found.borrow_mut();
        for (i, path) in self.paths.iter().enumerate().take(MAX_POINTERS) {
            if self.wanted & (1 << i) != 0 && path.as_ref().is_some_and(|p| p.len() == self.depth) {
                found[i] = None;
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.wanted == 0 {
            d.deserialize_ignored_any(IgnoredAny)?;
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.ends_here(|| v.to_string());
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.ends_here(|| v.to_string());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.ends_here(|| v.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // Written as serde_json writes the number it parsed.
        self.ends_here(|| {
            serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string())
        });
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.ends_here(|| v.to_string());
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.ends_empty();
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.ends_empty();
        while let Some(wanted) = map.next_key_seed(Key(&self))? {
            map.next_value_seed(self.child(wanted))?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.ends_empty();
        let mut i = 0usize;
        loop {
            let wanted = self.next(|t| index(t) == Some(i));
            if seq.next_element_seed(self.child(wanted))?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// An object key, read without copying: which pointers go on through it.
struct Key<'n, 'a>(&'n Node<'a>);

impl<'de> DeserializeSeed<'de> for Key<'_, '_> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        Ok(self.0.next(|t| t == v))
    }
}

#[cfg(test)]
mod tests;
