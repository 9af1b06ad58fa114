//! Which outbound addresses are off limits: the private-address (SSRF) guard.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// An outbound address the guard refuses. The text starts with `blocked_target`, the name
/// attempts record and operators search for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockedTarget {
    /// A URL that names an off-limits address directly.
    #[error("blocked_target: {ip} is a {reason} address")]
    Literal { ip: IpAddr, reason: &'static str },
    /// A name that resolves to an off-limits address.
    #[error("blocked_target: {host} resolves to {ip}, a {reason} address")]
    Resolved {
        host: String,
        ip: IpAddr,
        reason: &'static str,
    },
}

impl BlockedTarget {
    /// Finds the guard's refusal anywhere in an error's chain, including inside the
    /// `std::io::Error` a resolver has to wrap it in (whose `source` skips what it wraps).
    pub(crate) fn find_in<'e>(
        err: &'e (dyn std::error::Error + 'static),
    ) -> Option<&'e BlockedTarget> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(blocked) = e.downcast_ref::<BlockedTarget>() {
                return Some(blocked);
            }
            let wrapped = e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref());
            if let Some(blocked) = wrapped.and_then(|inner| inner.downcast_ref::<BlockedTarget>()) {
                return Some(blocked);
            }
            current = e.source();
        }
        None
    }
}

/// Refuses a literal address that is off limits.
pub(crate) fn check_literal(ip: IpAddr, allow_targets: &[IpNet]) -> Result<(), BlockedTarget> {
    match forbidden_reason(ip, allow_targets) {
        Some(reason) => Err(BlockedTarget::Literal { ip, reason }),
        None => Ok(()),
    }
}

/// Refuses a URL whose host is a literal off-limits address. Literal addresses never reach
/// the resolver, so every outbound request checks its URL here before connecting.
pub fn check_url(url: &url::Url, allow_targets: &[IpNet]) -> Result<(), BlockedTarget> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    check_literal(ip, allow_targets)
}

/// Refuses a name when any address it resolves to is off limits (checking every address
/// defeats DNS answers that mix public and private ones).
pub(crate) fn check_resolved(
    host: &str,
    addrs: &[SocketAddr],
    allow_targets: &[IpNet],
) -> Result<(), BlockedTarget> {
    for addr in addrs {
        if let Some(reason) = forbidden_reason(addr.ip(), allow_targets) {
            return Err(BlockedTarget::Resolved {
                host: host.to_string(),
                ip: addr.ip(),
                reason,
            });
        }
    }
    Ok(())
}

/// Why an address may not be a delivery target, or None when it may.
pub(crate) fn forbidden_reason(ip: IpAddr, allow_targets: &[IpNet]) -> Option<&'static str> {
    let ip = canonical(ip);
    if allow_targets.iter().any(|net| net.contains(&ip)) {
        return None;
    }
    classify(ip)
}

/// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || a >= 240 {
        Some("reserved")
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113)
    {
        Some("documentation")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking")
    } else if (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) {
        Some("reserved")
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("private")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        Some("documentation")
    } else if seg[0..6] == [0, 0, 0, 0, 0, 0] {
        // IPv4-compatible (deprecated) addresses: judge the embedded IPv4.
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        classify_v4(v4).or(Some("reserved"))
    } else if seg[0] == 0x64 && seg[1] == 0xff9b {
        // NAT64: judge the IPv4 address it translates to.
        let v4 = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        classify_v4(v4)
    } else if seg[0] == 0x2002 {
        // 6to4 embeds an IPv4 address in segments 1 and 2.
        let v4 = Ipv4Addr::new(
            (seg[1] >> 8) as u8,
            seg[1] as u8,
            (seg[2] >> 8) as u8,
            seg[2] as u8,
        );
        classify_v4(v4)
    } else if seg[0] & 0xe000 != 0x2000 {
        // Outside 2000::/3, the only globally routed unicast block.
        Some("reserved")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        forbidden_reason(s.parse().unwrap(), &[])
    }

    #[test]
    fn refuses_internal_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.1",
            "::1",
            "::ffff:127.0.0.1",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "2001:db8::1",
            "64:ff9b::a00:1",
        ] {
            assert!(reason(ip).is_some(), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(reason(ip), None, "{ip} should be allowed");
        }
    }

    #[test]
    fn blocked_targets_are_found_inside_io_errors() {
        let blocked = check_literal("10.0.0.1".parse().unwrap(), &[]).unwrap_err();
        assert_eq!(
            blocked.to_string(),
            "blocked_target: 10.0.0.1 is a private address"
        );
        let addrs = ["127.0.0.1:80".parse().unwrap()];
        let resolved = check_resolved("localhost", &addrs, &[]).unwrap_err();
        assert_eq!(
            resolved.to_string(),
            "blocked_target: localhost resolves to 127.0.0.1, a loopback address"
        );
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, resolved.clone());
        assert_eq!(BlockedTarget::find_in(&io), Some(&resolved));
        let plain = std::io::Error::other("connection refused");
        assert_eq!(BlockedTarget::find_in(&plain), None);
    }

    #[test]
    fn allow_targets_exempt() {
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert_eq!(forbidden_reason("127.0.0.1".parse().unwrap(), &allow), None);
        assert_eq!(
            forbidden_reason("::ffff:127.0.0.1".parse().unwrap(), &allow),
            None
        );
        assert!(forbidden_reason("10.0.0.1".parse().unwrap(), &allow).is_some());
    }
}
