//! The STUN client side the engine needs to learn a socket's server-reflexive address (RFC 8489): one
//! Binding request, the success response's (XOR-)MAPPED-ADDRESS, and the retransmission schedule of one
//! query, bounded in tries and time. Plain data: the callers own the sockets and the clock.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const MAGIC_COOKIE: u32 = 0x2112_A442;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const MAPPED_ADDRESS: u16 = 0x0001;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;
/// When each (re)transmission goes out after the first, as RFC 8489's doubling RTO from 250 ms would;
/// the query gives up at [`Query::new`]'s `timeout` at the latest.
const RETRANSMIT_AFTER: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(750),
    Duration::from_millis(1750),
];

/// One outstanding Binding request to one server.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// The STUN server asked.
    pub server: SocketAddr,
    txid: [u8; 12],
    started: Instant,
    sent: usize,
    timeout: Duration,
}

/// What the caller does next with a query.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send [`Query::request`] to the server now.
    Send,
    /// Nothing until this instant.
    Wait(Instant),
    /// No answer within the timeout.
    GiveUp,
}

impl Query {
    /// A query to `server` with a fresh transaction id, answered within `timeout` or abandoned.
    pub(crate) fn new(server: SocketAddr, timeout: Duration, now: Instant) -> Query {
        Query {
            server,
            txid: rand::random(),
            started: now,
            sent: 0,
            timeout,
        }
    }

    /// What to do at `now`; [`Step::Send`] counts as sent.
    pub(crate) fn step(&mut self, now: Instant) -> Step {
        let deadline = self.started + self.timeout;
        if now >= deadline {
            return Step::GiveUp;
        }
        let next = match self.sent {
            0 => self.started,
            n => match RETRANSMIT_AFTER.get(n - 1) {
                Some(after) => self.started + *after,
                None => return Step::Wait(deadline),
            },
        };
        if now >= next {
            self.sent += 1;
            Step::Send
        } else {
            Step::Wait(next.min(deadline))
        }
    }

    /// The Binding request (no attributes: a STUN server needs none).
    pub(crate) fn request(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20);
        out.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&self.txid);
        out
    }

    /// The mapped address in `datagram` if it is the success response to this query.
    pub(crate) fn answer(&self, datagram: &[u8]) -> Option<SocketAddr> {
        let header = datagram.get(..20)?;
        if u16::from_be_bytes([header[0], header[1]]) != BINDING_SUCCESS
            || header[4..8] != MAGIC_COOKIE.to_be_bytes()
            || header[8..20] != self.txid
        {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let mut attrs = datagram.get(20..20 + len)?;
        let mut plain = None;
        while attrs.len() >= 4 {
            let kind = u16::from_be_bytes([attrs[0], attrs[1]]);
            let alen = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
            let value = attrs.get(4..4 + alen)?;
            match kind {
                XOR_MAPPED_ADDRESS => return address(value, Some(&self.txid)),
                MAPPED_ADDRESS => plain = address(value, None),
                _ => {}
            }
            // Attributes are padded to 4 bytes.
            attrs = attrs
                .get((4 + alen).next_multiple_of(4)..)
                .unwrap_or_default();
        }
        plain
    }
}

/// Whether `datagram` looks like any STUN success or error response (so a socket's receiver can hand
/// it to the query instead of the ICE agent).
pub(crate) fn is_response(datagram: &[u8]) -> bool {
    datagram.len() >= 20
        && datagram[0] & 0xC0 == 0
        && datagram[4..8] == MAGIC_COOKIE.to_be_bytes()
        && u16::from_be_bytes([datagram[0], datagram[1]]) & 0x0100 != 0
}

/// A (XOR-)MAPPED-ADDRESS value; `xor` is the transaction id when the address is XORed.
fn address(value: &[u8], xor: Option<&[u8; 12]>) -> Option<SocketAddr> {
    let family = *value.get(1)?;
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = u16::from_be_bytes([*value.get(2)?, *value.get(3)?]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match family {
        0x01 => {
            let mut ip: [u8; 4] = value.get(4..8)?.try_into().ok()?;
            if xor.is_some() {
                ip.iter_mut().zip(cookie).for_each(|(b, k)| *b ^= k);
            }
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        0x02 => {
            let mut ip: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            if let Some(txid) = xor {
                let key = cookie.iter().chain(txid.iter());
                ip.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            }
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A success response carrying XOR-MAPPED-ADDRESS for `mapped`, as a server would build it.
    fn response(q: &Query, mapped: SocketAddr) -> Vec<u8> {
        let SocketAddr::V4(v4) = mapped else {
            unreachable!()
        };
        let mut value = vec![0, 1];
        value.extend_from_slice(&(v4.port() ^ 0x2112).to_be_bytes());
        let ip = v4.ip().octets();
        value.extend(
            ip.iter()
                .zip(MAGIC_COOKIE.to_be_bytes())
                .map(|(b, k)| b ^ k),
        );
        let mut out = Vec::new();
        out.extend_from_slice(&BINDING_SUCCESS.to_be_bytes());
        out.extend_from_slice(&(4 + value.len() as u16).to_be_bytes());
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&q.txid);
        out.extend_from_slice(&XOR_MAPPED_ADDRESS.to_be_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(&value);
        out
    }

    #[test]
    fn the_answer_to_this_query_gives_the_mapped_address() {
        let now = Instant::now();
        let q = Query::new(
            "192.0.2.1:3478".parse().unwrap(),
            Duration::from_secs(2),
            now,
        );
        let mapped: SocketAddr = "198.51.100.7:40123".parse().unwrap();
        let r = response(&q, mapped);
        assert!(is_response(&r));
        assert!(!is_response(&q.request()));
        assert_eq!(q.answer(&r), Some(mapped));
        let other = Query::new(q.server, Duration::from_secs(2), now);
        assert_eq!(other.answer(&r), None, "another transaction");
        assert_eq!(q.answer(&r[..r.len() - 1]), None, "truncated");
    }

    #[test]
    fn retransmits_then_gives_up_at_the_timeout() {
        let t0 = Instant::now();
        let mut q = Query::new(
            "192.0.2.1:3478".parse().unwrap(),
            Duration::from_secs(2),
            t0,
        );
        assert_eq!(q.step(t0), Step::Send);
        assert_eq!(q.step(t0), Step::Wait(t0 + Duration::from_millis(250)));
        assert_eq!(q.step(t0 + Duration::from_millis(250)), Step::Send);
        assert_eq!(q.step(t0 + Duration::from_millis(750)), Step::Send);
        assert_eq!(q.step(t0 + Duration::from_millis(1750)), Step::Send);
        assert_eq!(
            q.step(t0 + Duration::from_millis(1800)),
            Step::Wait(t0 + Duration::from_secs(2))
        );
        assert_eq!(q.step(t0 + Duration::from_secs(2)), Step::GiveUp);
    }
}
