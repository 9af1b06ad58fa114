//! The X-Forwarded-For walk: each line is one header value, bytes as received.
#![no_main]

mod common;

use hookgate::ingress::source::{client_ip, forwarded_source};
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let trusted: Vec<IpNet> = vec![
        "10.0.0.0/8".parse().unwrap(),
        "127.0.0.0/8".parse().unwrap(),
        "::1/128".parse().unwrap(),
    ];
    let values: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    let walked = forwarded_source(&values, &trusted);
    // What the walk finds is never a trusted proxy.
    if let Some(Some(ip)) = walked {
        assert!(!trusted.iter().any(|n| n.contains(&ip)), "{ip}");
    }
    let mut headers = http::HeaderMap::new();
    for v in &values {
        if let Ok(v) = http::HeaderValue::from_bytes(v) {
            headers.append("x-forwarded-for", v);
        }
    }
    let _ = client_ip("10.1.2.3".parse().unwrap(), &headers, &trusted);
});
