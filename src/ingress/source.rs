//! The caller's address: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// SPEC section 3: the right-most X-Forwarded-For address that is not a trusted proxy,
/// believed only when the TCP peer itself is a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        for part in text.split(',') {
            match parse_hop(part.trim()) {
                Some(ip) => hops.push(canonical(ip)),
                // A garbled chain cannot be trusted at all.
                None => return peer,
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// Accepts "1.2.3.4", "1.2.3.4:567", "2001:db8::1" and "[2001:db8::1]:567".
fn parse_hop(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    text.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// An IPv4 peer on a dual-stack socket shows up as ::ffff:a.b.c.d; treat it as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn untrusted_peer_is_the_source() {
        let ip = client_ip("127.0.0.2".parse().unwrap(), &headers("1.2.3.4"), &[]);
        assert_eq!(ip, "127.0.0.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn trusted_proxy_chain_gives_rightmost_untrusted() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = client_ip(
            "10.0.0.1".parse().unwrap(),
            &headers("6.6.6.6, 1.2.3.4, 10.0.0.9"),
            &trusted,
        );
        assert_eq!(ip, "1.2.3.4".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn garbled_chain_falls_back_to_peer() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = client_ip("10.0.0.1".parse().unwrap(), &headers("nonsense"), &trusted);
        assert_eq!(ip, "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
