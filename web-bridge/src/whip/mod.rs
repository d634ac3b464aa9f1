//! WHIP (RFC 9725): a WebRTC client publishes with plain HTTP, one gateway session per resource.
//!
//! `routes.rs` holds the axum handlers and `session.rs` the task that owns each resource's session; the
//! rest is sans-IO protocol logic, tested on its own: `offer.rs` (what the bridge reads from the offer),
//! `sdpfrag.rs` (trickle-ice-sdpfrag bodies), `headers.rs` (If-Match, Link, bearer token, CORS),
//! `status.rs` (every failure's HTTP status, and the one gRPC → HTTP mapping), `resources.rs` (the bounded
//! resource table), `liveness.rs` (when a resource without media counts as abandoned) and `ice_servers.rs`
//! (which ICE servers a client is given).

pub(crate) mod headers;
pub(crate) mod liveness;
pub(crate) mod offer;
pub(crate) mod resources;
pub(crate) mod routes;
pub(crate) mod sdpfrag;
pub(crate) mod session;
pub(crate) mod status;

/// The sans-IO parsers take network input: seeded mutations of real bodies must never panic them, and
/// every refusal must be a short sentence that does not echo the input.
#[cfg(test)]
mod mutations {
    use test_support::mutate::Mutator;

    use super::{offer::Offer, sdpfrag};

    const FRAGMENT: &str = "a=ice-ufrag:wKVo\r\na=ice-pwd:secretsecretsecretsecret\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n\
        a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0\r\na=end-of-candidates\r\n";

    #[test]
    fn parsers_survive_seeded_mutations() {
        let mut m = Mutator::new(7);
        for _ in 0..3000 {
            let offer = m.mutate(test_support::CHROMIUM_OFFER);
            if let Err(e) = Offer::parse(&offer) {
                assert!(e.to_string().len() < 200, "{e}");
            }
            let fragment = m.mutate(FRAGMENT);
            if let Err(e) = sdpfrag::parse(&fragment, 64) {
                assert!(e.to_string().len() < 200, "{e}");
            }
        }
        assert!(Offer::parse(test_support::CHROMIUM_OFFER).is_ok());
    }
}
