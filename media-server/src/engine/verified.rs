//! The peer addresses an endpoint has verified itself: those that sent a STUN binding request `Rtc::accepts`
//! took, which means it carried the endpoint's ICE password. str0m's `accepts` lets DTLS and media through
//! only from the nominated pair or a pair whose own checks succeeded, and a peer that checks at once (as
//! browsers do) is the DTLS client and sends its ClientHello before the endpoint's paced check on that pair
//! has even gone out: dropped, the handshake waits for the client's retransmission (a second in Chromium).
//! A verified address proved the same secret a succeeded pair does, so its datagrams go through too.
//! Plain data, bounded: a peer has a handful of addresses.

use std::collections::VecDeque;
use std::net::SocketAddr;

/// Most addresses kept; the oldest is forgotten first.
const MAX_VERIFIED: usize = 8;

/// The verified addresses, most recent last.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    addresses: VecDeque<SocketAddr>,
}

impl Verified {
    /// Remembers `source`, which just sent a binding request carrying the endpoint's ICE password.
    pub(crate) fn insert(&mut self, source: SocketAddr) {
        if let Some(at) = self.addresses.iter().position(|a| *a == source) {
            self.addresses.remove(at);
        } else if self.addresses.len() == MAX_VERIFIED {
            self.addresses.pop_front();
        }
        self.addresses.push_back(source);
    }

    /// Whether `source` was verified.
    pub(crate) fn contains(&self, source: SocketAddr) -> bool {
        self.addresses.contains(&source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn keeps_the_most_recent_few() {
        let mut v = Verified::default();
        assert!(!v.contains(addr(1)));
        for port in 1..=MAX_VERIFIED as u16 {
            v.insert(addr(port));
        }
        // Seen again: now the most recent, so it outlives the others.
        v.insert(addr(1));
        v.insert(addr(100));
        assert!(v.contains(addr(1)) && v.contains(addr(100)));
        assert!(!v.contains(addr(2)), "the oldest was forgotten");
        assert_eq!(v.addresses.len(), MAX_VERIFIED);
    }
}
