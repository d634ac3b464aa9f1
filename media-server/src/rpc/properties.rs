//! The settable WebRtcEndpoint properties (STUN/TURN, network, bandwidths): `getX`/`setX` operations
//! over a stored value, type-checked like KMS's marshalling.

use super::invoke::Outcome;
use super::params::{Params, marshall, upper_first};
use serde_json::Value;
use std::collections::HashMap;

/// Settable properties the server stores and returns. They do not change the media path: the engine
/// gathers host candidates on its configured interfaces only (no STUN/TURN, no bandwidth shaping).
const PROPERTIES: &[(&str, Kind, Initial)] = &[
    ("stunServerAddress", Kind::Str, Initial::Str("")),
    ("stunServerPort", Kind::Int, Initial::Int(0)),
    ("turnUrl", Kind::Str, Initial::Str("")),
    ("networkInterfaces", Kind::Str, Initial::Str("")),
    ("iceTcp", Kind::Bool, Initial::Bool(true)),
    ("externalIPv4", Kind::Str, Initial::Str("")),
    ("externalIPv6", Kind::Str, Initial::Str("")),
    ("minVideoRecvBandwidth", Kind::Int, Initial::Int(0)),
    ("minVideoSendBandwidth", Kind::Int, Initial::Int(100)),
    ("maxVideoSendBandwidth", Kind::Int, Initial::Int(500)),
    ("maxAudioRecvBandwidth", Kind::Int, Initial::Int(0)),
    ("maxVideoRecvBandwidth", Kind::Int, Initial::Int(0)),
    ("mtu", Kind::Int, Initial::Int(1200)),
];

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
}

#[derive(Clone, Copy)]
enum Initial {
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

impl Initial {
    fn value(self) -> Value {
        match self {
            Initial::Str(s) => s.into(),
            Initial::Int(n) => n.into(),
            Initial::Bool(b) => b.into(),
        }
    }
}

/// `getFoo` returns the stored (or default) value of property `foo`; `setFoo {foo}` stores it.
/// `Ok(None)` when `operation` names no property.
pub(crate) fn property_op(
    stored: &mut HashMap<&'static str, Value>,
    operation: &str,
    p: Params<'_>,
) -> Outcome {
    for (name, kind, initial) in PROPERTIES {
        let cap = upper_first(name);
        if operation.strip_prefix("get") == Some(cap.as_str()) {
            return Ok(Some(
                stored.get(name).cloned().unwrap_or_else(|| initial.value()),
            ));
        }
        if operation.strip_prefix("set") == Some(cap.as_str()) {
            let v = p.value(name)?;
            let (ok, ty) = match kind {
                Kind::Str => (v.is_string(), "a string"),
                Kind::Int => (v.is_i64(), "an integer"),
                Kind::Bool => (v.is_boolean(), "a boolean"),
            };
            if !ok {
                return Err(marshall(format!("'{name}' parameter should be {ty}")));
            }
            stored.insert(name, v.clone());
            return Ok(Some(Value::Null));
        }
    }
    Ok(None)
}
