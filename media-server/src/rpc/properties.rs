//! The settable WebRtcEndpoint properties (STUN/TURN, network, bandwidths): `getX`/`setX` over a stored
//! value. The operations and their type checks are `kurento::WebRtcProperty`'s.

use kurento::WebRtcProperty;
use serde_json::Value;
use std::collections::HashMap;

/// The stored value of `property`, or KMS's default before any `setX`. Stored values do not change the
/// media path (no TURN, no bandwidth shaping), but for `stunServerAddress`/`stunServerPort`: see
/// [`stun_server`].
/// The STUN server set on this endpoint (`stunServerAddress`, an IP as KMS requires, and
/// `stunServerPort`, KMS's default 3478 when only the address is set), which its own sockets ask at
/// gatherCandidates in place of the engine's.
pub(crate) fn stun_server(stored: &HashMap<WebRtcProperty, Value>) -> Option<std::net::SocketAddr> {
    let ip: std::net::IpAddr = stored
        .get(&WebRtcProperty::StunServerAddress)?
        .as_str()?
        .trim()
        .parse()
        .ok()?;
    let port = stored
        .get(&WebRtcProperty::StunServerPort)
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .unwrap_or(3478);
    Some(std::net::SocketAddr::new(ip, port))
}

pub(crate) fn get(stored: &HashMap<WebRtcProperty, Value>, property: WebRtcProperty) -> Value {
    stored
        .get(&property)
        .cloned()
        .unwrap_or_else(|| property.default_value())
}
