//! The settable WebRtcEndpoint properties (STUN/TURN, network, bandwidths): `getX`/`setX` over a stored
//! value. The operations and their type checks are `kurento::WebRtcProperty`'s.

use kurento::WebRtcProperty;
use serde_json::Value;
use std::collections::HashMap;

/// The stored value of `property`, or KMS's default before any `setX`. Stored values do not change the
/// media path: the engine gathers host candidates on its configured interfaces only (no STUN/TURN, no
/// bandwidth shaping).
pub(crate) fn get(stored: &HashMap<WebRtcProperty, Value>, property: WebRtcProperty) -> Value {
    stored
        .get(&property)
        .cloned()
        .unwrap_or_else(|| property.default_value())
}
