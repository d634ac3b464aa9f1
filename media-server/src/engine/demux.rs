//! One-port mode's routing table, sans IO: which endpoint a datagram on the shared socket is for.
//!
//! A STUN binding request names its endpoint: the USERNAME starts with the endpoint's local ufrag,
//! registered here when the endpoint is created. Everything else (DTLS, SRTP, STUN responses) is routed
//! by its source address, which an endpoint *claims* only after its `Rtc` accepted a binding request
//! from that address (so the request carried the endpoint's ICE password): an off-path sender can get
//! nothing routed by address, and a request with a guessed ufrag still meets the endpoint's integrity
//! check. Whatever matches neither is dropped by the caller, so it never reaches DTLS.
//!
//! A STUN binding response is routed by its transaction id, to the endpoint that sent the request it
//! answers (the caller *expects* each check its endpoint sends). Routing it by address would lose the
//! answer to an endpoint's first check whenever it arrives before the peer's own first check, which is
//! what claims the address: the endpoint would then wait for a retransmission, 250 ms later, before
//! its pair succeeds. The id is 96 random bits the endpoint chose, so only the peer it asked can
//! answer, and str0m checks the answer's integrity anyway.
//!
//! A caller knows its own endpoint's ICE password (it is in the answer), so one that can forge source
//! addresses could make its endpoint claim another peer's address. An address therefore stays with its
//! endpoint while that endpoint keeps verifying it: another endpoint's claim is refused until `hold`
//! has passed since the owner's last verified request (peers repeat their checks every few seconds for
//! consent, RFC 7675, and give up after 30 s; an address that went quiet that long may move).
//!
//! Every entry belongs to one endpoint and goes with it: [`DemuxTable::remove`] drops its ufrag and all
//! its addresses (the socket side calls it from the endpoint's registration guard, on every path).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::stun_peek::{self, TransactionId};

/// Checks an endpoint may have answers outstanding for; a newer one evicts the oldest. ICE sends a
/// check per candidate pair and retransmits; consent checks come every few seconds.
const MAX_CHECKS: usize = 32;

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
    /// Each address's endpoint, and when that endpoint last verified it.
    by_addr: HashMap<SocketAddr, (K, Instant)>,
    /// Each expected response's endpoint: the ids of the checks the endpoints sent.
    by_check: HashMap<TransactionId, K>,
    /// Most addresses per endpoint; a newer claim evicts that endpoint's least recently verified.
    max_addrs: usize,
    /// How long an address stays with an endpoint after it last verified it, against other claims.
    hold: Duration,
}

/// What [`DemuxTable::claim`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The address routes to the claiming endpoint.
    Routed,
    /// Another endpoint verified the address within the hold period: it keeps it.
    Held,
    /// The claiming endpoint is not registered.
    Unknown,
}

#[derive(Debug)]
struct Entry<T> {
    ufrag: String,
    /// Least recently verified first.
    addrs: VecDeque<SocketAddr>,
    /// The ids of the checks it sent, oldest first.
    checks: VecDeque<TransactionId>,
    value: T,
}

/// Sizes of the table, for the engine's stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableSize {
    pub ufrags: usize,
    pub addrs: usize,
    /// Checks whose answers are routed by transaction id.
    pub checks: usize,
}

impl<K: Copy + Eq + Hash, T> DemuxTable<K, T> {
    pub(crate) fn new(max_addrs: usize, hold: Duration) -> Self {
        DemuxTable {
            entries: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            by_check: HashMap::new(),
            max_addrs: max_addrs.max(1),
            hold,
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
            checks: VecDeque::new(),
            value,
        };
        self.entries.insert(key, entry);
        Ok(())
    }

    /// Replaces `key`'s ufrag with `ufrag` (an ICE restart gave its endpoint new credentials): binding
    /// requests naming the old one route nowhere from now on. Its addresses stay. Refused, changing
    /// nothing, if another endpoint has `ufrag` or `key` is not registered.
    pub(crate) fn rekey(&mut self, key: K, ufrag: &str) -> Result<(), Taken> {
        match self.by_ufrag.get(ufrag) {
            Some(owner) if *owner == key => return Ok(()),
            Some(_) => return Err(Taken::Ufrag),
            None => {}
        }
        let entry = self.entries.get_mut(&key).ok_or(Taken::Key)?;
        self.by_ufrag.remove(&entry.ufrag);
        entry.ufrag = ufrag.to_owned();
        self.by_ufrag.insert(ufrag.to_owned(), key);
        Ok(())
    }

    /// Routes datagrams from `addr` to `key` from now on: `key`'s endpoint verified a binding request
    /// from there at `now`. An address another endpoint verified within the hold period stays with it;
    /// after that it moves (the address now belongs to a new session).
    pub(crate) fn claim(&mut self, key: K, addr: SocketAddr, now: Instant) -> Claim {
        if !self.entries.contains_key(&key) {
            return Claim::Unknown;
        }
        match self.by_addr.get(&addr).copied() {
            Some((owner, _)) if owner == key => {}
            Some((owner, verified)) => {
                if now.saturating_duration_since(verified) < self.hold {
                    return Claim::Held;
                }
                if let Some(previous) = self.entries.get_mut(&owner) {
                    previous.addrs.retain(|a| *a != addr);
                }
            }
            None => {}
        }
        self.by_addr.insert(addr, (key, now));
        let Some(entry) = self.entries.get_mut(&key) else {
            return Claim::Unknown;
        };
        // Most recently verified last, so the cap evicts the address that went quiet longest.
        entry.addrs.retain(|a| *a != addr);
        entry.addrs.push_back(addr);
        while entry.addrs.len() > self.max_addrs {
            if let Some(oldest) = entry.addrs.pop_front() {
                self.by_addr.remove(&oldest);
            }
        }
        Claim::Routed
    }

    /// Routes the response to check `id` to `key`: its endpoint is sending that binding request.
    /// Nothing for an unregistered endpoint, or for an id another endpoint expects (random 96 bits:
    /// not expected, and the first keeps it).
    pub(crate) fn expect(&mut self, key: K, id: TransactionId) {
        // Known already: a retransmission of the endpoint's check, or (never seen) another's id.
        if self.by_check.contains_key(&id) {
            return;
        }
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        self.by_check.insert(id, key);
        entry.checks.push_back(id);
        while entry.checks.len() > MAX_CHECKS {
            if let Some(oldest) = entry.checks.pop_front() {
                self.by_check.remove(&oldest);
            }
        }
    }

    /// Removes endpoint `key`: its ufrag, every address it claimed and every check it expects an
    /// answer to. Returns its value.
    pub(crate) fn remove(&mut self, key: K) -> Option<T> {
        let entry = self.entries.remove(&key)?;
        self.by_ufrag.remove(&entry.ufrag);
        for addr in &entry.addrs {
            self.by_addr.remove(addr);
        }
        for id in &entry.checks {
            self.by_check.remove(id);
        }
        Some(entry.value)
    }

    /// The endpoint `datagram` from `source` is for: by ufrag if it is a binding request (whatever the
    /// address: a peer's new address is learnt this way), by transaction id if it answers a check an
    /// endpoint sent, else by the claimed address. `None`: drop it.
    pub(crate) fn route(&self, source: SocketAddr, datagram: &[u8]) -> Option<(K, &T)> {
        let key = if let Some(ufrag) = stun_peek::binding_request_ufrag(datagram) {
            self.by_ufrag.get(ufrag)?
        } else if let Some(key) =
            stun_peek::binding_response_id(datagram).and_then(|id| self.by_check.get(&id))
        {
            key
        } else {
            &self.by_addr.get(&source)?.0
        };
        self.entries.get(key).map(|entry| (*key, &entry.value))
    }

    pub(crate) fn size(&self) -> TableSize {
        TableSize {
            ufrags: self.by_ufrag.len(),
            addrs: self.by_addr.len(),
            checks: self.by_check.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    const HOLD: Duration = Duration::from_secs(30);

    fn table<T>(max_addrs: usize) -> DemuxTable<u16, T> {
        DemuxTable::new(max_addrs, HOLD)
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

    fn now() -> Instant {
        Instant::now()
    }

    #[test]
    fn binding_requests_route_by_ufrag_from_any_address() {
        let mut t = table(4);
        t.register(1, "aaaa", 'a').unwrap();
        t.register(2, "bbbb", 'b').unwrap();
        assert_eq!(t.route(addr(1), &binding("aaaa")), Some((1, &'a')));
        assert_eq!(t.route(addr(1), &binding("bbbb")), Some((2, &'b')));
        assert_eq!(t.route(addr(1), &binding("cccc")), None);
        // A known address does not capture another endpoint's checks.
        assert_eq!(t.claim(1, addr(1), now()), Claim::Routed);
        assert_eq!(t.route(addr(1), &binding("bbbb")), Some((2, &'b')));
    }

    #[test]
    fn other_datagrams_route_only_from_claimed_addresses() {
        let mut t = table(4);
        t.register(1, "aaaa", ()).unwrap();
        assert_eq!(t.route(addr(1), DTLS), None, "unknown address");
        assert_eq!(t.claim(1, addr(1), now()), Claim::Routed);
        assert_eq!(t.route(addr(1), DTLS), Some((1, &())));
        assert_eq!(t.route(addr(2), DTLS), None);
        assert_eq!(
            t.claim(9, addr(2), now()),
            Claim::Unknown,
            "unregistered endpoints claim nothing"
        );
        assert_eq!(t.route(addr(2), DTLS), None);
    }

    #[test]
    fn an_address_stays_with_its_endpoint_while_it_verifies_it() {
        let mut t = table(4);
        t.register(1, "aaaa", ()).unwrap();
        t.register(2, "bbbb", ()).unwrap();
        let start = now();
        assert_eq!(t.claim(1, addr(1), start), Claim::Routed);
        // Another endpoint (whose caller forged the source of a check it could sign) cannot take it.
        assert_eq!(t.claim(2, addr(1), start + HOLD / 2), Claim::Held);
        assert_eq!(t.route(addr(1), DTLS).map(|r| r.0), Some(1));
        // The owner's next check renews the hold.
        assert_eq!(t.claim(1, addr(1), start + HOLD / 2), Claim::Routed);
        assert_eq!(t.claim(2, addr(1), start + HOLD), Claim::Held);
        // Quiet for the whole hold: the address has moved to the new session.
        assert_eq!(t.claim(2, addr(1), start + HOLD / 2 + HOLD), Claim::Routed);
        assert_eq!(t.route(addr(1), DTLS).map(|r| r.0), Some(2));
        assert_eq!(t.size().addrs, 1);
        // Endpoint 1 no longer owns it, so removing 1 leaves 2's route alone.
        t.remove(1);
        assert_eq!(t.route(addr(1), DTLS).map(|r| r.0), Some(2));
    }

    #[test]
    fn claims_per_endpoint_are_capped_oldest_out() {
        let mut t = table(2);
        t.register(1, "aaaa", ()).unwrap();
        for port in 1..=5 {
            t.claim(1, addr(port), now());
        }
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 1,
                addrs: 2,
                checks: 0,
            }
        );
        assert_eq!(t.route(addr(3), DTLS), None);
        assert!(t.route(addr(4), DTLS).is_some() && t.route(addr(5), DTLS).is_some());
        // Claiming again an address already held does not grow anything, and makes it the newest.
        t.claim(1, addr(4), now());
        assert_eq!(t.size().addrs, 2);
        t.claim(1, addr(6), now());
        assert!(t.route(addr(4), DTLS).is_some(), "renewed, so kept");
        assert_eq!(
            t.route(addr(5), DTLS),
            None,
            "least recently verified, so evicted"
        );
    }

    #[test]
    fn an_ice_restart_moves_the_ufrag_and_keeps_the_addresses() {
        let mut t = table(4);
        t.register(1, "old1", ()).unwrap();
        t.register(2, "bbbb", ()).unwrap();
        assert_eq!(t.claim(1, addr(1), now()), Claim::Routed);
        assert_eq!(t.rekey(1, "bbbb"), Err(Taken::Ufrag), "another endpoint's");
        assert_eq!(t.rekey(9, "new9"), Err(Taken::Key));
        assert_eq!(t.route(addr(7), &binding("old1")).map(|r| r.0), Some(1));
        t.rekey(1, "new1").unwrap();
        t.rekey(1, "new1").unwrap();
        assert_eq!(
            t.route(addr(7), &binding("old1")),
            None,
            "the old ufrag is gone"
        );
        assert_eq!(t.route(addr(7), &binding("new1")).map(|r| r.0), Some(1));
        assert_eq!(
            t.route(addr(1), DTLS).map(|r| r.0),
            Some(1),
            "media keeps its path"
        );
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 2,
                addrs: 1,
                checks: 0,
            }
        );
        t.remove(1);
        t.remove(2);
        assert_eq!(t.size(), TableSize::default());
        assert!(t.by_ufrag.is_empty());
    }

    #[test]
    fn registration_refuses_duplicates() {
        let mut t = table(4);
        t.register(1, "aaaa", ()).unwrap();
        assert_eq!(t.register(2, "aaaa", ()), Err(Taken::Ufrag));
        assert_eq!(t.register(1, "bbbb", ()), Err(Taken::Key));
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 1,
                addrs: 0,
                checks: 0,
            }
        );
    }

    #[test]
    fn removal_leaves_nothing_behind() {
        let mut t = table(8);
        for key in 0..50u16 {
            t.register(key, &format!("u{key}"), key).unwrap();
            for i in 0..3 {
                t.claim(key, addr(key * 10 + i), now());
            }
            t.expect(key, check_id(key, 0));
            t.expect(key, check_id(key, 1));
        }
        assert_eq!(
            t.size(),
            TableSize {
                ufrags: 50,
                addrs: 150,
                checks: 100,
            }
        );
        for key in 0..50u16 {
            assert_eq!(t.remove(key), Some(key));
            assert_eq!(t.remove(key), None, "removed once");
        }
        assert_eq!(t.size(), TableSize::default());
        assert!(t.entries.is_empty());
        assert_eq!(t.route(addr(10), &binding("u1")), None);
        assert_eq!(t.route(addr(10), &response(check_id(1, 0))), None);
    }

    fn check_id(key: u16, n: u8) -> TransactionId {
        let [a, b] = key.to_be_bytes();
        [a, b, n, 0, 0, 0, 0, 0, 0, 0, 0, 9]
    }

    /// A binding success response to check `id`, with no attributes.
    fn response(id: TransactionId) -> Vec<u8> {
        let mut m = vec![0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        m.extend_from_slice(&id);
        m
    }

    /// The answer to an endpoint's check reaches it from an address nobody claimed yet (the peer's own
    /// first check may come after it), and only answers to its own checks do.
    #[test]
    fn a_check_answer_routes_to_the_endpoint_that_sent_the_check() {
        let mut t = table(4);
        t.register(1, "aaaa", 'a').unwrap();
        t.register(2, "bbbb", 'b').unwrap();
        t.expect(1, check_id(1, 0));
        assert_eq!(t.route(addr(7), &response(check_id(1, 0))), Some((1, &'a')));
        assert_eq!(
            t.route(addr(7), &response(check_id(1, 1))),
            None,
            "not a check it sent"
        );
        assert_eq!(
            t.route(addr(7), DTLS),
            None,
            "the address itself is not routed"
        );
        // Even from an address another endpoint claimed: the id says whose check it answers.
        assert_eq!(t.claim(2, addr(8), now()), Claim::Routed);
        assert_eq!(t.route(addr(8), &response(check_id(1, 0))), Some((1, &'a')));
        // An id another endpoint expects stays with it; unregistered endpoints expect nothing.
        t.expect(2, check_id(1, 0));
        t.expect(9, check_id(9, 0));
        assert_eq!(t.route(addr(7), &response(check_id(1, 0))), Some((1, &'a')));
        assert_eq!(t.route(addr(7), &response(check_id(9, 0))), None);
    }

    #[test]
    fn expected_checks_per_endpoint_are_capped_oldest_out() {
        let mut t = table(4);
        t.register(1, "aaaa", ()).unwrap();
        for n in 0..=MAX_CHECKS as u8 {
            t.expect(1, check_id(1, n));
            t.expect(1, check_id(1, n)); // a retransmission counts once
        }
        assert_eq!(t.size().checks, MAX_CHECKS);
        assert_eq!(
            t.route(addr(7), &response(check_id(1, 0))),
            None,
            "the oldest went"
        );
        assert!(t.route(addr(7), &response(check_id(1, 1))).is_some());
        assert!(
            t.route(addr(7), &response(check_id(1, MAX_CHECKS as u8)))
                .is_some()
        );
    }
}
