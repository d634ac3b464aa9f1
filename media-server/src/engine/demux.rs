//! One-port mode's routing table, sans IO: which endpoint a datagram on the shared socket is for.
//!
//! A STUN binding request names its endpoint: the USERNAME starts with the endpoint's local ufrag,
//! registered here when the endpoint is created. Everything else (DTLS, SRTP, STUN responses) is routed
//! by its source address, which an endpoint *claims* only after its `Rtc` accepted a binding request
//! from that address (so the request carried the endpoint's ICE password): an off-path sender can get
//! nothing routed by address, and a request with a guessed ufrag still meets the endpoint's integrity
//! check. Whatever matches neither is dropped by the caller, so it never reaches DTLS.
//!
//! Every entry belongs to one endpoint and goes with it: [`DemuxTable::remove`] drops its ufrag and all
//! its addresses (the socket side calls it from the endpoint's registration guard, on every path).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::SocketAddr;

use super::stun_peek;

/// Why [`DemuxTable::register`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Another endpoint has this ufrag (random 16-character ufrags make it a freak event: draw again).
    Ufrag,
    /// This key is registered already.
    Key,
}

/// Routing by ufrag and by verified remote address, for endpoints keyed by `K`, each with a `T` (its
/// inbox, on the socket side).
#[derive(Debug)]
pub(crate) struct DemuxTable<K, T> {
    entries: HashMap<K, Entry<T>>,
    by_ufrag: HashMap<String, K>,
    by_addr: HashMap<SocketAddr, K>,
    /// Most addresses per endpoint; a newer claim evicts that endpoint's oldest.
    max_addrs: usize,
}

#[derive(Debug)]
struct Entry<T> {
    ufrag: String,
    /// Oldest first.
    addrs: VecDeque<SocketAddr>,
    value: T,
}

/// Sizes of the table, for the engine's stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableSize {
    pub ufrags: usize,
    pub addrs: usize,
}

impl<K: Copy + Eq + Hash, T> DemuxTable<K, T> {
    pub(crate) fn new(max_addrs: usize) -> Self {
        DemuxTable {
            entries: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            max_addrs: max_addrs.max(1),
        }
    }

    /// Registers endpoint `key` under its local ufrag.
    pub(crate) fn register(&mut self, key: K, ufrag: &str, value: T) -> Result<(), Taken> {
        if self.entries.contains_key(&key) {
            return Err(Taken::Key);
        }
        if self.by_ufrag.contains_key(ufrag) {
            return Err(Taken::Ufrag);
        }
        self.by_ufrag.insert(ufrag.to_owned(), key);
        let entry = Entry {
            ufrag: ufrag.to_owned(),
            addrs: VecDeque::new(),
            value,
        };
        self.entries.insert(key, entry);
        Ok(())
    }

    /// Routes datagrams from `addr` to `key` from now on, taking it from whichever endpoint had it (the
    /// newest verified claim is the right one: the address moved to a new session). Returns false if
    /// `key` is not registered.
    pub(crate) fn claim(&mut self, key: K, addr: SocketAddr) -> bool {
        if !self.entries.contains_key(&key) {
            return false;
        }
        match self.by_addr.insert(addr, key) {
            Some(owner) if owner == key => return true,
            Some(owner) => {
                if let Some(previous) = self.entries.get_mut(&owner) {
                    previous.addrs.retain(|a| *a != addr);
                }
            }
            None => {}
        }
        let Some(entry) = self.entries.get_mut(&key) else {
            return false;
        };
        entry.addrs.push_back(addr);
        while entry.addrs.len() > self.max_addrs {
            if let Some(oldest) = entry.addrs.pop_front() {
                self.by_addr.remove(&oldest);
            }
        }
        true
    }

    /// Removes endpoint `key`: its ufrag and every address it claimed. Returns its value.
    pub(crate) fn remove(&mut self, key: K) -> Option<T> {
        let entry = self.entries.remove(&key)?;
        self.by_ufrag.remove(&entry.ufrag);
        for addr in &entry.addrs {
            self.by_addr.remove(addr);
        }
        Some(entry.value)
    }

    /// The endpoint `datagram` from `source` is for: by ufrag if it is a binding request (whatever the
    /// address: a peer's new address is learnt this way), else by the claimed address. `None`: drop it.
    pub(crate) fn route(&self, source: SocketAddr, datagram: &[u8]) -> Option<(K, &T)> {
        let key = match stun_peek::binding_request_ufrag(datagram) {
            Some(ufrag) => self.by_ufrag.get(ufrag)?,
            None => self.by_addr.get(&source)?,
        };
        self.entries.get(key).map(|entry| (*key, &entry.value))
    }

    pub(crate) fn size(&self) -> TableSize {
        TableSize {
            ufrags: self.by_ufrag.len(),
            addrs: self.by_addr.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    /// A binding request with USERNAME `<ufrag>:peer`.
    fn binding(ufrag: &str) -> Vec<u8> {
        let username = format!("{ufrag}:peer");
        let mut value = username.into_bytes();
        let len = value.len() as u16;
        while value.len() % 4 != 0 {
            value.push(0);
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(4 + value.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        m.extend_from_slice(&[1; 12]);
        m.extend_from_slice(&[0x00, 0x06]);
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&value);
        m
    }

    const DTLS: &[u8] = &[22, 0xfe, 0xfd, 0, 0];

    #[test]
    fn binding_requests_route_by_ufrag_from_any_address() {
        let mut t = DemuxTable::new(4);
        t.register(1, "aaaa", 'a').unwrap();
        t.register(2, "bbbb", 'b').unwrap();
        assert_eq!(t.route(addr(1), &binding("aaaa")), Some((1, &'a')));
        assert_eq!(t.route(addr(1), &binding("bbbb")), Some((2, &'b')));
        assert_eq!(t.route(addr(1), &binding("cccc")), None);
        // A known address does not capture another endpoint's checks.
        assert!(t.claim(1, addr(1)));
        assert_eq!(t.route(addr(1), &binding("bbbb")), Some((2, &'b')));
    }

    #[test]
    fn other_datagrams_route_only_from_claimed_addresses() {
        let mut t = DemuxTable::new(4);
        t.register(1, "aaaa", ()).unwrap();
        assert_eq!(t.route(addr(1), DTLS), None, "unknown address");
        assert!(t.claim(1, addr(1)));
        assert_eq!(t.route(addr(1), DTLS), Some((1, &())));
        assert_eq!(t.route(addr(2), DTLS), None);
        assert!(!t.claim(9, addr(2)), "unregistered endpoints claim nothing");
        assert_eq!(t.route(addr(2), DTLS), None);
    }

    #[test]
    fn an_address_moves_to_the_newest_claim() {
        let mut t = DemuxTable::new(4);
        t.register(1, "aaaa", ()).unwrap();
        t.register(2, "bbbb", ()).unwrap();
        t.claim(1, addr(1));
        t.claim(2, addr(1));
        assert_eq!(t.route(addr(1), DTLS).map(|r| r.0), Some(2));
        assert_eq!(t.size().addrs, 1);
        // Endpoint 1 no longer owns it, so removing 1 leaves 2's route alone.
        t.remove(1);
        assert_eq!(t.route(addr(1), DTLS).map(|r| r.0), Some(2));
    }

    #[test]
    fn claims_per_endpoint_are_capped_oldest_out() {
        let mut t = DemuxTable::new(2);
        t.register(1, "aaaa", ()).unwrap();
        for port in 1..=5 {
            t.claim(1, addr(port));
        }
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 1,
                addrs: 2
            }
        );
        assert_eq!(t.route(addr(3), DTLS), None);
        assert!(t.route(addr(4), DTLS).is_some() && t.route(addr(5), DTLS).is_some());
        // Claiming again an address already held does not grow anything.
        t.claim(1, addr(5));
        assert_eq!(t.size().addrs, 2);
    }

    #[test]
    fn registration_refuses_duplicates() {
        let mut t = DemuxTable::new(4);
        t.register(1, "aaaa", ()).unwrap();
        assert_eq!(t.register(2, "aaaa", ()), Err(Taken::Ufrag));
        assert_eq!(t.register(1, "bbbb", ()), Err(Taken::Key));
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 1,
                addrs: 0
            }
        );
    }

    #[test]
    fn removal_leaves_nothing_behind() {
        let mut t = DemuxTable::new(8);
        for key in 0..50u16 {
            t.register(key, &format!("u{key}"), key).unwrap();
            for i in 0..3 {
                t.claim(key, addr(key * 10 + i));
            }
        }
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 50,
                addrs: 150
            }
        );
        for key in 0..50u16 {
            assert_eq!(t.remove(key), Some(key));
            assert_eq!(t.remove(key), None, "removed once");
        }
        assert_eq!(t.size(), TableSize::default());
        assert!(t.entries.is_empty());
        assert_eq!(t.route(addr(10), &binding("u1")), None);
    }
}
