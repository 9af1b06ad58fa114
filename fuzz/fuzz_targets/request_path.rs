//! The listener endpoint below the HTTP server: `peer selector byte, raw HTTP/1 request` in,
//! the gateway's answer out, through its real checks over a SQLite store.
#![no_main]

mod gateway;
mod request_facts;

use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, SocketAddr};

/// The source addresses the first byte chooses from: inside the `allowed_ips` of
/// `hostaway/acc-ip`, outside it, a trusted proxy (so `X-Forwarded-For` counts), and IPv6.
const PEERS: [&str; 4] = ["203.0.113.7", "198.51.100.9", "10.0.0.2", "::1"];

/// The time every request is received at: the one fuzz/make_seeds.py signs with, so the
/// timestamped signatures of the seeds stay fresh.
fn fixed_clock() -> i64 {
    1_700_000_000_000
}

/// A raw HTTP/1 request as hyper would hand it over: `None` where hyper answers 400 itself.
fn parse(raw: &[u8]) -> Option<http::Request<Full<bytes::Bytes>>> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Request::new(&mut slots);
    let httparse::Status::Complete(len) = head.parse(raw).ok()? else {
        return None;
    };
    let mut req = http::Request::builder()
        .method(head.method?)
        .uri(head.path?);
    for h in head.headers.iter() {
        req = req.header(h.name, h.value);
    }
    let mut body = &raw[len..];
    // hyper reads exactly Content-Length bytes; chunked bodies are passed on undecoded.
    let declared = (head.headers.iter())
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        });
    if let Some(n) = declared {
        body = &body[..n.min(body.len())];
    }
    req.body(Full::new(bytes::Bytes::copy_from_slice(body)))
        .ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, raw)) = data.split_first() else {
        return;
    };
    let Some(req) = parse(raw) else {
        return;
    };
    let ip: IpAddr = PEERS[usize::from(selector) % PEERS.len()].parse().unwrap();
    let peer = SocketAddr::new(ip, 40000);
    let facts = request_facts::Facts::of(&req, ip);
    let answer = gateway::with(|rt, gw| rt.block_on(gw.answer(req, peer, fixed_clock)));
    facts.check(&answer);
});
