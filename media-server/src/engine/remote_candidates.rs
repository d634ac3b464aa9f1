//! Which remote ICE candidates an endpoint takes: every candidate makes the endpoint send STUN checks to
//! the address it names, so a caller must not be able to aim them at the server's own loopback or its
//! private network, nor make the endpoint keep thousands of them. Trickled candidates and those inside
//! the offer pass the same rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use str0m::Candidate;

use super::sdp_text;

/// The rules, from [`crate::engine::EngineConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RemotePolicy {
    /// Loopback, private (RFC 1918, fc00::/7) and link-local addresses accepted.
    pub allow_private: bool,
    /// Most remote candidates one endpoint keeps (offer and trickle together).
    pub max: usize,
}

/// What to do with one remote candidate.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Give it to str0m.
    Take(Candidate),
    /// Drop it quietly, as KMS drops what libnice cannot use; the reason is for the log.
    Ignore(&'static str),
}

impl RemotePolicy {
    /// Judges the candidate attribute value `text` (`candidate:…`, without `a=`).
    pub(crate) fn judge(&self, text: &str) -> Verdict {
        // Browsers hide host addresses behind mDNS names; KMS cannot resolve them either, and the
        // peer's checks reach us anyway (we learn its address as a peer-reflexive candidate).
        if text
            .split_whitespace()
            .nth(4)
            .is_some_and(|a| a.to_ascii_lowercase().ends_with(".local"))
        {
            return Verdict::Ignore("mDNS name");
        }
        let Ok(candidate) = Candidate::from_sdp_string(text) else {
            return Verdict::Ignore("unparsable");
        };
        let ip = candidate.addr().ip().to_canonical();
        if never_a_peer(ip) {
            return Verdict::Ignore("not a unicast address");
        }
        if !self.allow_private && local_or_private(ip) {
            return Verdict::Ignore("loopback or private address not allowed");
        }
        Verdict::Take(candidate)
    }

    /// `sdp` without the candidate lines this policy ignores, keeping at most `room` of the others.
    /// Returns the filtered text and how many candidate lines it kept.
    pub(crate) fn filter_offer(&self, sdp: &str, room: usize) -> (String, usize) {
        let mut kept = 0;
        let mut out = String::with_capacity(sdp.len());
        // str0m accepts "\n" as well as "\r\n"; we write "\r\n", as SDP wants.
        for line in sdp.lines() {
            if let Some(text) = line.strip_prefix("a=")
                && sdp_text::is_candidate(text)
            {
                let take = kept < room && matches!(self.judge(text), Verdict::Take(_));
                if !take {
                    tracing::debug!(candidate = text, "ignoring a candidate of the offer");
                    continue;
                }
                kept += 1;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        (out, kept)
    }
}

/// Addresses no ICE peer can have: unspecified, multicast, broadcast.
fn never_a_peer(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_unspecified() || a.is_multicast() || a == Ipv4Addr::BROADCAST,
        IpAddr::V6(a) => a.is_unspecified() || a.is_multicast(),
    }
}

/// Loopback, RFC 1918, IPv6 unique-local (fc00::/7) and link-local (169.254/16, fe80::/10).
pub(crate) fn local_or_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_private() || a.is_link_local(),
        IpAddr::V6(a) => a.is_loopback() || unique_local(a) || link_local(a),
    }
}

fn unique_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xfe00 == 0xfc00
}

fn link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(addr: &str) -> String {
        format!("candidate:1 1 udp 2122260223 {addr} 54400 typ host generation 0")
    }

    fn taken(p: &RemotePolicy, addr: &str) -> bool {
        matches!(p.judge(&cand(addr)), Verdict::Take(_))
    }

    #[test]
    fn private_addresses_need_the_flag() {
        let strict = RemotePolicy {
            allow_private: false,
            max: 64,
        };
        let open = RemotePolicy {
            allow_private: true,
            ..strict
        };
        for private in [
            "127.0.0.1",
            "127.8.0.1",
            "::1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "fd00::2",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!taken(&strict, private), "{private}");
            assert!(taken(&open, private), "{private}");
        }
        for public in ["192.0.2.2", "8.8.8.8", "2001:db8::1", "172.32.0.1"] {
            assert!(taken(&strict, public), "{public}");
        }
        for never in ["0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "ff02::1"] {
            assert!(!taken(&open, never), "{never}");
        }
    }

    #[test]
    fn mdns_names_and_garbage_are_ignored() {
        let open = RemotePolicy {
            allow_private: true,
            max: 64,
        };
        let mdns = cand("3b1a2c4d-1111-2222-3333-444455556666.local");
        assert!(matches!(open.judge(&mdns), Verdict::Ignore("mDNS name")));
        assert!(matches!(open.judge("candidate:x"), Verdict::Ignore(_)));
    }

    #[test]
    fn the_offer_keeps_what_the_policy_takes_up_to_the_room_left() {
        let strict = RemotePolicy {
            allow_private: false,
            max: 64,
        };
        let sdp = format!(
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na={}\r\na={}\r\na={}\r\na={}\r\na=mid:0\r\n",
            cand("127.0.0.1"),
            cand("192.0.2.2"),
            cand("x.local"),
            cand("198.51.100.7"),
        );
        let (out, kept) = strict.filter_offer(&sdp, 64);
        assert_eq!(kept, 2);
        assert!(!out.contains("127.0.0.1") && !out.contains(".local"));
        assert!(out.contains("192.0.2.2") && out.contains("a=mid:0"));
        let (out, kept) = strict.filter_offer(&sdp, 1);
        assert_eq!(kept, 1);
        assert!(!out.contains("198.51.100.7"));
    }
}
