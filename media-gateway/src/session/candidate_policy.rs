//! Which caller candidates reach the media server. A candidate names an address the media server will send
//! STUN checks to, so a caller could otherwise aim the media server at any host, the operator's own
//! network included. Public addresses pass; loopback and private ones (RFC 1918, CGNAT, link-local,
//! IPv6 ULA) only where the operator allows them (`--allow-candidate-networks`), as a LAN or a test on
//! 127.0.0.1 needs; unspecified, multicast and broadcast addresses never. Browsers' mDNS names (`*.local`)
//! pass as they are: they are not addresses, and the media server resolves them or ignores them.

use crate::config::CandidateNetworks;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a candidate is kept from the media server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Loopback, and loopback is not allowed.
    Loopback,
    /// A private, CGNAT, link-local or ULA address, and those are not allowed.
    Private,
    /// An address no peer can be at: unspecified, multicast, broadcast, documentation.
    Unusable,
    /// Neither an IP address nor an mDNS name.
    Hostname,
    /// Not a candidate line the gateway can read.
    Malformed,
}

impl Refused {
    /// The metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Refused::Loopback => "loopback",
            Refused::Private => "private",
            Refused::Unusable => "unusable",
            Refused::Hostname => "hostname",
            Refused::Malformed => "malformed",
        }
    }
}

/// The connection address of an SDP candidate attribute value
/// (`candidate:<foundation> <component> <transport> <priority> <address> <port> typ …`).
fn address(candidate: &str) -> Option<&str> {
    let rest = candidate.strip_prefix("candidate:")?;
    rest.split_ascii_whitespace().nth(4)
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b))
}

fn private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
}

fn unusable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.is_documentation()
        }
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    }
}

/// Whether `candidate` may reach the media server under `allowed`. An empty line (end of candidates)
/// always may.
pub(crate) fn check(candidate: &str, allowed: CandidateNetworks) -> Result<(), Refused> {
    if candidate.is_empty() {
        return Ok(());
    }
    let addr = address(candidate).ok_or(Refused::Malformed)?;
    let ip = match addr.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        Ok(ip) => ip,
        Err(_) if addr.len() > ".local".len() && addr.ends_with(".local") => return Ok(()),
        Err(_) => return Err(Refused::Hostname),
    };
    if unusable(ip) {
        return Err(Refused::Unusable);
    }
    if ip.is_loopback() {
        return if allowed.loopback {
            Ok(())
        } else {
            Err(Refused::Loopback)
        };
    }
    let private = match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    };
    if private && !allowed.private {
        return Err(Refused::Private);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(addr: &str) -> String {
        format!("candidate:1 1 udp 2122260223 {addr} 54321 typ host generation 0")
    }

    #[test]
    fn public_passes_private_and_loopback_only_when_allowed() {
        let none = CandidateNetworks::default();
        let all = CandidateNetworks {
            loopback: true,
            private: true,
        };
        assert_eq!(check(&line("203.0.113.7"), none), Err(Refused::Unusable));
        assert_eq!(check(&line("8.8.8.8"), none), Ok(()));
        assert_eq!(check(&line("2001:4860::8888"), none), Ok(()));
        for (addr, why) in [
            ("127.0.0.1", Refused::Loopback),
            ("::1", Refused::Loopback),
            ("::ffff:127.0.0.1", Refused::Loopback),
            ("10.1.2.3", Refused::Private),
            ("172.16.0.1", Refused::Private),
            ("192.168.1.10", Refused::Private),
            ("100.64.0.1", Refused::Private),
            ("169.254.1.1", Refused::Private),
            ("fd00::1", Refused::Private),
            ("fe80::1", Refused::Private),
        ] {
            assert_eq!(check(&line(addr), none), Err(why), "{addr}");
            assert_eq!(check(&line(addr), all), Ok(()), "{addr}");
        }
        for addr in ["0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "ff02::1"] {
            assert_eq!(check(&line(addr), all), Err(Refused::Unusable), "{addr}");
        }
        assert_eq!(check(&line("1f0c-4b.local"), none), Ok(()));
        assert_eq!(check(&line("evil.example"), all), Err(Refused::Hostname));
        assert_eq!(check("candidate:1 1 udp", all), Err(Refused::Malformed));
        assert_eq!(check("", none), Ok(()));
    }
}
