//! Kurento complex types (`{"__module__":"kurento","__type__":…}` objects) and enums used by the hello world.

use crate::error::{ErrorCode, RpcError};
use serde_json::{Map, Value, json};

/// The module name every core, elements and filters type carries.
pub const MODULE: &str = "kurento";

/// Adds the `__module__`/`__type__` tags KMS always writes.
pub fn tagged(type_name: &str, mut fields: Map<String, Value>) -> Value {
    fields.insert("__module__".into(), MODULE.into());
    fields.insert("__type__".into(), type_name.into());
    Value::Object(fields)
}

/// Checks the tags of a complex-type value as KMS does: they are optional, but when present they must name
/// `type_name` in module `kurento` (40003 otherwise).
pub fn check_tags(v: &Map<String, Value>, type_name: &str) -> Result<(), RpcError> {
    let module = v.get("__module__").and_then(Value::as_str);
    let ty = v.get("__type__").and_then(Value::as_str);
    match (module, ty) {
        (None, None) => Ok(()),
        (m, t) if m.unwrap_or(MODULE) == MODULE && t.unwrap_or(type_name) == type_name => Ok(()),
        (m, t) => Err(RpcError::new(
            ErrorCode::UnexpectedError,
            format!(
                "Type {} does not exist in module {}",
                t.unwrap_or(type_name),
                m.unwrap_or(MODULE)
            ),
        )),
    }
}

fn property_type_error(name: &str, ty: &str) -> RpcError {
    RpcError::new(
        ErrorCode::MarshallError,
        format!("'{name}' property should be {ty}"),
    )
}

/// An ICE candidate (`kurento.IceCandidate`): the three fields WebRTC's RTCIceCandidateInit shares with Kurento.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceCandidate {
    /// The SDP attribute value without `a=`; empty means end-of-candidates.
    pub candidate: String,
    /// `sdpMid`: the media stream identification tag of the m-line the candidate belongs to.
    pub sdp_mid: String,
    /// `sdpMLineIndex`: the 0-based index of the m-line in the SDP the candidate belongs to.
    pub sdp_m_line_index: u32,
}

impl IceCandidate {
    /// The `__type__` tag of this complex type.
    pub const TYPE: &'static str = "IceCandidate";

    /// Written as KMS writes it (tags included).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("candidate".into(), self.candidate.clone().into());
        m.insert("sdpMid".into(), self.sdp_mid.clone().into());
        m.insert("sdpMLineIndex".into(), self.sdp_m_line_index.into());
        tagged(Self::TYPE, m)
    }

    /// Read as KMS reads it: all three fields required (40001), `sdpMid: null` reads as "", tags optional,
    /// other fields (the browser's `usernameFragment`) ignored.
    pub fn from_value(v: &Value) -> Result<Self, RpcError> {
        let o = v
            .as_object()
            .ok_or_else(|| property_type_error("candidate", "an object"))?;
        check_tags(o, Self::TYPE)?;
        let candidate = o
            .get("candidate")
            .and_then(Value::as_str)
            .ok_or_else(|| property_type_error("candidate", "a string"))?
            .to_owned();
        let sdp_mid = match o.get("sdpMid") {
            Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            _ => return Err(property_type_error("sdpMid", "a string")),
        };
        let sdp_m_line_index = o
            .get("sdpMLineIndex")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| property_type_error("sdpMLineIndex", "an integer"))?;
        Ok(Self {
            candidate,
            sdp_mid,
            sdp_m_line_index,
        })
    }

    /// End-of-candidates marker.
    pub fn is_end_of_candidates(&self) -> bool {
        self.candidate.trim().is_empty()
    }
}

/// The pair of candidates an endpoint selected (`kurento.IceCandidatePair`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceCandidatePair {
    /// A string in this type, unlike IceComponentStateChanged's integer.
    pub stream_id: String,
    /// `componentId`: the ICE component (1 for RTP, 2 for RTCP) the pair serves.
    pub component_id: u32,
    /// `localCandidate`: the local candidate of the pair, as an SDP `candidate:` string.
    pub local_candidate: String,
    /// `remoteCandidate`: the remote candidate of the pair, as an SDP `candidate:` string.
    pub remote_candidate: String,
}

impl IceCandidatePair {
    /// The `__type__` tag of this complex type.
    pub const TYPE: &'static str = "IceCandidatePair";

    /// Written as KMS writes it (tags included).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("streamId".into(), self.stream_id.clone().into());
        m.insert("componentId".into(), self.component_id.into());
        m.insert("localCandidate".into(), self.local_candidate.clone().into());
        m.insert(
            "remoteCandidate".into(),
            self.remote_candidate.clone().into(),
        );
        tagged(Self::TYPE, m)
    }

    /// Read as KMS reads it: all four fields required (40001), tags optional.
    pub fn from_value(v: &Value) -> Result<Self, RpcError> {
        let o = v
            .as_object()
            .ok_or_else(|| property_type_error("candidatePair", "an object"))?;
        check_tags(o, Self::TYPE)?;
        let s = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| property_type_error(k, "a string"))
        };
        // streamId is declared a string; accept a number too, since a sloppy server may send one.
        let stream_id = match o.get("streamId") {
            Some(Value::Number(n)) => n.to_string(),
            _ => s("streamId")?,
        };
        Ok(Self {
            stream_id,
            component_id: o
                .get("componentId")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| property_type_error("componentId", "an integer"))?,
            local_candidate: s("localCandidate")?,
            remote_candidate: s("remoteCandidate")?,
        })
    }
}

/// What `ServerManager.getInfo` returns; modules `core`, `elements` and `filters` must be listed or
/// kurento-client-js refuses to start in strict mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    /// `version`: the KMS version, e.g. `"7.2.0"`.
    pub version: String,
    /// `modules`: the modules loaded in the server.
    pub modules: Vec<ModuleInfo>,
    /// e.g. `transactions`.
    pub capabilities: Vec<String>,
}

/// One entry of `ServerInfo.modules` (`kurento.ModuleInfo`): a module KMS has loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// `name`: the module name, e.g. `"core"`, `"elements"` or `"filters"`.
    pub name: String,
    /// `version`: the module's version.
    pub version: String,
    /// `generationTime`: when the module's code was generated.
    pub generation_time: String,
    /// `factories`: the classes `create` can make from this module.
    pub factories: Vec<String>,
}

impl ServerInfo {
    /// The `__type__` tag of this complex type.
    pub const TYPE: &'static str = "ServerInfo";
    /// The capability a server lists when it accepts the `transaction` method.
    pub const CAPABILITY_TRANSACTIONS: &'static str = "transactions";
    /// The capability a server lists when a negotiated WebRtcEndpoint takes a second `processOffer`
    /// that restarts ICE (new `ice-ufrag`/`ice-pwd`, same m-lines). Not a KMS name: KMS 7.2 lists only
    /// `transactions` and answers such an offer with 40208 SDP_END_POINT_ALREADY_NEGOTIATED, so a server
    /// that does not list it cannot restart ICE.
    pub const CAPABILITY_ICE_RESTART: &'static str = "iceRestart";

    /// Whether `capabilities` lists `c`.
    pub fn has_capability(&self, c: &str) -> bool {
        self.capabilities.iter().any(|x| x == c)
    }

    /// Written as KMS writes it: tagged, with `type: "KMS"` and each module tagged `ModuleInfo`.
    pub fn to_value(&self) -> Value {
        let modules: Vec<Value> = self
            .modules
            .iter()
            .map(|m| {
                let o = json!({
                    "name": m.name, "version": m.version,
                    "generationTime": m.generation_time, "factories": m.factories,
                });
                tagged("ModuleInfo", o.as_object().cloned().unwrap_or_default())
            })
            .collect();
        let o = json!({
            "version": self.version, "type": "KMS", "modules": modules, "capabilities": self.capabilities,
        });
        tagged(Self::TYPE, o.as_object().cloned().unwrap_or_default())
    }

    /// Lenient: a server that omits a field gets an empty one, since only `capabilities` and module names matter.
    pub fn from_value(v: &Value) -> Result<Self, RpcError> {
        let o = v
            .as_object()
            .ok_or_else(|| property_type_error("value", "an object"))?;
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let modules = o
            .get("modules")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|m| ModuleInfo {
                        name: text(m.get("name")),
                        version: text(m.get("version")),
                        generation_time: text(m.get("generationTime")),
                        factories: strings(m.get("factories")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            version: text(o.get("version")),
            modules,
            capabilities: strings(o.get("capabilities")),
        })
    }
}

/// The `kurento.MediaType` enum: the kind of a media stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `"AUDIO"`: an audio stream.
    Audio,
    /// `"VIDEO"`: a video stream.
    Video,
    /// `"DATA"`: a data-channel stream.
    Data,
}

/// ICE component states of `IceComponentStateChanged` (libnice's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IceComponentState {
    /// `"DISCONNECTED"`: no connectivity checks have been started, or the connection was lost.
    Disconnected,
    /// `"GATHERING"`: local candidates are being gathered.
    Gathering,
    /// `"CONNECTING"`: connectivity checks are running.
    Connecting,
    /// `"CONNECTED"`: at least one working candidate pair was found.
    Connected,
    /// `"READY"`: ICE concluded, and the selected pair is in use.
    Ready,
    /// `"FAILED"`: connectivity checks finished without a working pair.
    Failed,
}

macro_rules! wire_enum {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            /// The name on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            /// Reads the name on the wire.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(MediaType { Audio = "AUDIO", Video = "VIDEO", Data = "DATA" });
wire_enum!(IceComponentState {
    Disconnected = "DISCONNECTED",
    Gathering = "GATHERING",
    Connecting = "CONNECTING",
    Connected = "CONNECTED",
    Ready = "READY",
    Failed = "FAILED",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice_candidate_reads_like_kms() {
        let browser = json!({"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0",
            "sdpMLineIndex":0,"usernameFragment":"abcd"});
        let c = IceCandidate::from_value(&browser).unwrap();
        assert_eq!(c.sdp_mid, "0");
        assert_eq!(
            c.to_value(),
            json!({"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0,
                "__module__":"kurento","__type__":"IceCandidate"})
        );
        let null_mid = json!({"candidate":"x","sdpMid":null,"sdpMLineIndex":1});
        assert_eq!(IceCandidate::from_value(&null_mid).unwrap().sdp_mid, "");
        let e = IceCandidate::from_value(&json!({"candidate":"x","sdpMLineIndex":1})).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (40001, "'sdpMid' property should be a string")
        );
        let e = IceCandidate::from_value(&json!({"candidate":"x","sdpMid":"0","sdpMLineIndex":0,
            "__module__":"kurento","__type__":"Nope"}))
        .unwrap_err();
        assert_eq!(e.code, 40003);
    }
}
