//! Shared input splitting: fields separated by NUL bytes, header lines as `Name: value`.
// Each target includes this file as a module and uses only the helpers it needs.
#![allow(dead_code)]

/// The input's NUL-separated fields; missing ones are empty.
pub fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&b""[..]; N];
    let mut parts = data.splitn(N, |b| *b == 0);
    for slot in out.iter_mut() {
        *slot = parts.next().unwrap_or(b"");
    }
    out
}

/// Headers from `Name: value` lines; lines that make no valid header are skipped.
pub fn headers(lines: &[u8]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for line in lines.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            map.append(n, v);
        }
    }
    map
}
