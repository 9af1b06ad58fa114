//! The caller's address: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// SPEC sections 3 and 9: the right-most X-Forwarded-For address that is not a trusted proxy,
/// believed only when the TCP peer itself is a trusted proxy. `None` means unknown: the first
/// untrusted entry, or a hop passed on the way to it, is not an address (a forged or garbled
/// chain must never fall back to the proxy's own address).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return Some(peer);
    }
    let values: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    forwarded_source(&values, trusted).unwrap_or(Some(peer))
}

/// Walks every X-Forwarded-For value, in order, as one list from the right. `None` when there
/// is no entry at all; `Some(None)` when the source is unknown.
pub fn forwarded_source(values: &[&[u8]], trusted: &[IpNet]) -> Option<Option<IpAddr>> {
    let mut hops = values
        .iter()
        .flat_map(|v| v.split(|b| *b == b','))
        .rev()
        .peekable();
    hops.peek()?;
    for hop in hops {
        let Some(ip) = parse_hop(hop).map(canonical) else {
            return Some(None);
        };
        if !is_trusted(ip, trusted) {
            return Some(Some(ip));
        }
    }
    // Every hop is a trusted proxy: the peer is as far as anyone can tell.
    None
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// Accepts "1.2.3.4", "1.2.3.4:567", "2001:db8::1" and "[2001:db8::1]:567", with spaces or
/// tabs around; anything else (including any byte that is not ASCII) is not an address.
fn parse_hop(raw: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(raw).ok()?.trim_matches([' ', '\t']);
    if !text.is_ascii() {
        return None;
    }
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
        assert_eq!(ip, Some("127.0.0.2".parse::<IpAddr>().unwrap()));
    }

    #[test]
    fn trusted_proxy_chain_gives_rightmost_untrusted() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = client_ip(
            "10.0.0.1".parse().unwrap(),
            &headers("6.6.6.6, 1.2.3.4, 10.0.0.9"),
            &trusted,
        );
        assert_eq!(ip, Some("1.2.3.4".parse::<IpAddr>().unwrap()));
    }

    #[test]
    fn a_garbled_hop_on_the_way_makes_the_source_unknown() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        for chain in [
            "nonsense",
            "6.6.6.6, garbage",
            "6.6.6.6, garbage, 10.0.0.2",
            "",
        ] {
            assert_eq!(client_ip(peer, &headers(chain), &trusted), None, "{chain}");
        }
        let ip = client_ip(peer, &headers("garbage, 6.6.6.6, 10.0.0.2"), &trusted);
        assert_eq!(
            ip,
            Some("6.6.6.6".parse().unwrap()),
            "left of the source is never read"
        );
        let ip = client_ip(peer, &headers("10.0.0.3, 10.0.0.2"), &trusted);
        assert_eq!(ip, Some(peer), "only proxies: the peer");
    }

    #[test]
    fn every_header_is_one_list_and_non_ascii_is_garbage() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.2.3.4".parse().unwrap());
        h.append("x-forwarded-for", "5.6.7.8, 10.0.0.7".parse().unwrap());
        assert_eq!(
            client_ip(peer, &h, &trusted),
            Some("5.6.7.8".parse().unwrap())
        );
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.2.3.4".parse().unwrap());
        h.append("x-forwarded-for", "10.0.0.7".parse().unwrap());
        assert_eq!(
            client_ip(peer, &h, &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        let mut h = HeaderMap::new();
        let odd = http::HeaderValue::from_bytes(b"1.2.3.4, 6.6.6.\xe96").unwrap();
        h.append("x-forwarded-for", odd);
        assert_eq!(client_ip(peer, &h, &trusted), None);
    }
}
