//! Every `invoke` operation the two ends speak, one type per remote class, each with its encoding
//! (`to_params`, what a client sends) and its decoding (`parse`, what a server reads, with KMS's
//! validation messages). A server tries a class's own operations, then the inherited MediaObject ones,
//! and answers KMS's "method not found" when none matches.

use crate::class::RemoteClass;
use crate::error::{ErrorCode, RpcError};
use crate::ids::ObjectRef;
use crate::params::{Params, encode, marshall};
use crate::types::{IceCandidate, MediaType};
use serde_json::{Map, Value};

/// `operationParams` as a request carries them (`None` when left out).
pub type OperationParams<'a> = Option<&'a Map<String, Value>>;

/// KMS's answer to an operation the object does not have: it looks methods up by name and number of
/// parameters, so the message counts them.
pub fn method_not_found(operation: &str, params: OperationParams<'_>) -> RpcError {
    RpcError::new(
        ErrorCode::MalformedTransaction,
        format!(
            "Method '{operation}' with {} parameters not found",
            params.map_or(0, Map::len)
        ),
    )
}

/// An operation on any object, tagged with the class that declares it.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    /// An operation only the ServerManager has.
    ServerManager(ServerManagerOp),
    /// An operation every MediaObject has (pipelines and endpoints alike).
    MediaObject(MediaObjectOp),
    /// An operation of a WebRtcEndpoint or one of its element ancestors.
    WebRtcEndpoint(WebRtcEndpointOp),
}

impl Operation {
    /// The operation name and its `operationParams` (`None` when it has none).
    pub fn to_params(&self) -> (&'static str, Option<Map<String, Value>>) {
        match self {
            Operation::ServerManager(op) => op.to_params(),
            Operation::MediaObject(op) => op.to_params(),
            Operation::WebRtcEndpoint(op) => op.to_params(),
        }
    }

    /// The operation name.
    pub fn name(&self) -> &'static str {
        self.to_params().0
    }

    /// Reads `name` as an operation of an object of `class`: its own operations first, then those it
    /// inherits from MediaObject; [`method_not_found`] when neither has it.
    pub fn parse(
        class: RemoteClass,
        name: &str,
        params: OperationParams<'_>,
    ) -> Result<Self, RpcError> {
        let own = match class {
            RemoteClass::ServerManager => {
                return ServerManagerOp::parse(name, params)?
                    .map(Operation::ServerManager)
                    .ok_or_else(|| method_not_found(name, params));
            }
            RemoteClass::WebRtcEndpoint => {
                WebRtcEndpointOp::parse(name, params)?.map(Operation::WebRtcEndpoint)
            }
            RemoteClass::MediaPipeline => None,
        };
        match own {
            Some(op) => Ok(op),
            None => MediaObjectOp::parse(name, params)?
                .map(Operation::MediaObject)
                .ok_or_else(|| method_not_found(name, params)),
        }
    }
}

impl From<ServerManagerOp> for Operation {
    fn from(op: ServerManagerOp) -> Self {
        Operation::ServerManager(op)
    }
}

impl From<MediaObjectOp> for Operation {
    fn from(op: MediaObjectOp) -> Self {
        Operation::MediaObject(op)
    }
}

impl From<WebRtcEndpointOp> for Operation {
    fn from(op: WebRtcEndpointOp) -> Self {
        Operation::WebRtcEndpoint(op)
    }
}

/// The ServerManager's operations (on [`crate::SERVER_MANAGER`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ServerManagerOp {
    /// A [`crate::ServerInfo`].
    GetInfo,
    /// The ids of every live MediaPipeline, whoever made it.
    GetPipelines,
    /// The ids of every registered session.
    GetSessions,
    /// `getMetadata`: the server's metadata string (configured in KMS, empty by default).
    GetMetadata,
    /// The module's KMD (interface description) JSON.
    GetKmd {
        /// `moduleName`: the module whose KMD is wanted, e.g. `"core"`.
        module_name: String,
    },
    /// `getCpuCount`: the number of CPU cores KMS can use.
    GetCpuCount,
    /// Average CPU use in percent over `interval_ms` (KMS: 1000 when left out).
    GetUsedCpu {
        /// `interval`: how long to sample, in milliseconds.
        interval_ms: Option<u64>,
    },
    /// Resident memory in KiB.
    GetUsedMemory,
    /// `getId`: the ServerManager's own id, `manager_ServerManager`.
    GetId,
    /// `getName`: the ServerManager's name (its id unless renamed).
    GetName,
    /// `getChildren`: the ids of the objects whose parent is the ServerManager.
    GetChildren,
}

impl ServerManagerOp {
    /// The operation name and its `operationParams`.
    pub fn to_params(&self) -> (&'static str, Option<Map<String, Value>>) {
        let none = |name| (name, None);
        match self {
            ServerManagerOp::GetInfo => none("getInfo"),
            ServerManagerOp::GetPipelines => none("getPipelines"),
            ServerManagerOp::GetSessions => none("getSessions"),
            ServerManagerOp::GetMetadata => none("getMetadata"),
            ServerManagerOp::GetKmd { module_name } => (
                "getKmd",
                encode([("moduleName", module_name.clone().into())]),
            ),
            ServerManagerOp::GetCpuCount => none("getCpuCount"),
            ServerManagerOp::GetUsedCpu { interval_ms } => (
                "getUsedCpu",
                encode(interval_ms.map(|i| ("interval", i.into()))),
            ),
            ServerManagerOp::GetUsedMemory => none("getUsedMemory"),
            ServerManagerOp::GetId => none("getId"),
            ServerManagerOp::GetName => none("getName"),
            ServerManagerOp::GetChildren => none("getChildren"),
        }
    }

    /// `Ok(None)` when `name` is not a ServerManager operation.
    pub fn parse(name: &str, params: OperationParams<'_>) -> Result<Option<Self>, RpcError> {
        let p = Params(params);
        Ok(Some(match name {
            "getInfo" => ServerManagerOp::GetInfo,
            "getPipelines" => ServerManagerOp::GetPipelines,
            "getSessions" => ServerManagerOp::GetSessions,
            "getMetadata" => ServerManagerOp::GetMetadata,
            "getKmd" => ServerManagerOp::GetKmd {
                module_name: p.str("moduleName")?.to_owned(),
            },
            "getCpuCount" => ServerManagerOp::GetCpuCount,
            "getUsedCpu" => ServerManagerOp::GetUsedCpu {
                interval_ms: p.opt_u64("interval")?,
            },
            "getUsedMemory" => ServerManagerOp::GetUsedMemory,
            "getId" => ServerManagerOp::GetId,
            "getName" => ServerManagerOp::GetName,
            "getChildren" => ServerManagerOp::GetChildren,
            _ => return Ok(None),
        }))
    }
}

/// The operations every MediaObject has (id, name, tags, parent, children, creation time).
#[derive(Clone, Debug, PartialEq)]
pub enum MediaObjectOp {
    /// `getId`: the object's id, as `create` returned it.
    GetId,
    /// The object's id until `setName` is called.
    GetName,
    /// `setName`: gives the object a name of the caller's choosing.
    SetName {
        /// `name`: the new name.
        name: String,
    },
    /// `getParent`: the id of the object's parent (an element's pipeline; `null` for a pipeline).
    GetParent,
    /// `getMediaPipeline`: the id of the pipeline the object belongs to.
    GetMediaPipeline,
    /// `getChildren`: the ids of the objects whose parent is this one.
    GetChildren,
    /// Seconds since the epoch.
    GetCreationTime,
    /// `getSendTagsInEvents`: whether the object's events carry its tags.
    GetSendTagsInEvents,
    /// `setSendTagsInEvents`: makes the object's events carry (or not) its tags.
    SetSendTagsInEvents {
        /// `sendTagsInEvents`: `true` to put the tags into every event's `tags`.
        send: bool,
    },
    /// `addTag`: attaches a key/value tag to the object, replacing one with the same key.
    AddTag {
        /// `key`: the tag's key.
        key: String,
        /// `value`: the tag's value.
        value: String,
    },
    /// `removeTag`: drops the tag with `key`, if there is one.
    RemoveTag {
        /// `key`: the key of the tag to drop.
        key: String,
    },
    /// `getTag`: the value of the tag with `key` (40110 if there is none).
    GetTag {
        /// `key`: the key of the tag wanted.
        key: String,
    },
    /// `getTags`: every tag of the object, as `kurento.Tag` key/value pairs.
    GetTags,
}

impl MediaObjectOp {
    /// The operation name and its `operationParams`.
    pub fn to_params(&self) -> (&'static str, Option<Map<String, Value>>) {
        let none = |name| (name, None);
        match self {
            MediaObjectOp::GetId => none("getId"),
            MediaObjectOp::GetName => none("getName"),
            MediaObjectOp::SetName { name } => ("setName", encode([("name", name.clone().into())])),
            MediaObjectOp::GetParent => none("getParent"),
            MediaObjectOp::GetMediaPipeline => none("getMediaPipeline"),
            MediaObjectOp::GetChildren => none("getChildren"),
            MediaObjectOp::GetCreationTime => none("getCreationTime"),
            MediaObjectOp::GetSendTagsInEvents => none("getSendTagsInEvents"),
            MediaObjectOp::SetSendTagsInEvents { send } => (
                "setSendTagsInEvents",
                encode([("sendTagsInEvents", (*send).into())]),
            ),
            MediaObjectOp::AddTag { key, value } => (
                "addTag",
                encode([("key", key.clone().into()), ("value", value.clone().into())]),
            ),
            MediaObjectOp::RemoveTag { key } => {
                ("removeTag", encode([("key", key.clone().into())]))
            }
            MediaObjectOp::GetTag { key } => ("getTag", encode([("key", key.clone().into())])),
            MediaObjectOp::GetTags => none("getTags"),
        }
    }

    /// `Ok(None)` when `name` is not a MediaObject operation.
    pub fn parse(name: &str, params: OperationParams<'_>) -> Result<Option<Self>, RpcError> {
        let p = Params(params);
        Ok(Some(match name {
            "getId" => MediaObjectOp::GetId,
            "getName" => MediaObjectOp::GetName,
            "setName" => MediaObjectOp::SetName {
                name: p.str("name")?.to_owned(),
            },
            "getParent" => MediaObjectOp::GetParent,
            "getMediaPipeline" => MediaObjectOp::GetMediaPipeline,
            "getChildren" => MediaObjectOp::GetChildren,
            "getCreationTime" => MediaObjectOp::GetCreationTime,
            "getSendTagsInEvents" => MediaObjectOp::GetSendTagsInEvents,
            // Unlike the other setters, KMS reports the missing value itself even when
            // `operationParams` is missing altogether.
            "setSendTagsInEvents" => MediaObjectOp::SetSendTagsInEvents {
                send: p
                    .opt_bool("sendTagsInEvents")?
                    .ok_or_else(|| marshall("'sendTagsInEvents' parameter is required"))?,
            },
            "addTag" => MediaObjectOp::AddTag {
                key: p.str("key")?.to_owned(),
                value: p.str("value")?.to_owned(),
            },
            "removeTag" => MediaObjectOp::RemoveTag {
                key: p.str("key")?.to_owned(),
            },
            "getTag" => MediaObjectOp::GetTag {
                key: p.str("key")?.to_owned(),
            },
            "getTags" => MediaObjectOp::GetTags,
            _ => return Ok(None),
        }))
    }
}

/// The WebRtcEndpoint's operations, including those of its ancestors up to MediaElement.
#[derive(Clone, Debug, PartialEq)]
pub enum WebRtcEndpointOp {
    /// Negotiates `offer`; the result is the SDP answer.
    ProcessOffer {
        /// `offer`: the remote peer's SDP offer.
        offer: String,
    },
    /// Starts ICE gathering; candidates arrive as `IceCandidateFound` events.
    GatherCandidates,
    /// A remote candidate (trickle ICE).
    AddIceCandidate {
        /// `candidate`: the candidate the remote peer gathered.
        candidate: IceCandidate,
    },
    /// Sends this element's media to `sink`. `media_type` is checked to be a string only, as the
    /// hello world connects every type.
    Connect {
        /// `sink`: the element that receives the media (may be this element itself: a loopback).
        sink: ObjectRef,
        /// `mediaType`: connect only this kind of media; every kind when left out.
        media_type: Option<String>,
    },
    /// `disconnect`: stops sending this element's media to `sink`.
    Disconnect {
        /// `sink`: the element to stop sending to.
        sink: ObjectRef,
        /// `mediaType`: disconnect only this kind of media; every kind when left out.
        media_type: Option<String>,
    },
    /// `getLocalSessionDescriptor`: the local SDP (40202 before negotiation).
    GetLocalSessionDescriptor,
    /// `getRemoteSessionDescriptor`: the remote SDP (40203 before negotiation).
    GetRemoteSessionDescriptor,
    /// `requestKeyframe`: asks the remote sender for a video keyframe.
    RequestKeyframe,
    /// `CONNECTED` or `DISCONNECTED`.
    GetMediaState,
    /// `CONNECTED` or `DISCONNECTED`.
    GetConnectionState,
    /// `isMediaFlowingIn`: whether media of one kind is flowing into the element.
    IsMediaFlowingIn {
        /// `mediaType`: the kind of media asked about.
        media_type: MediaType,
    },
    /// `isMediaFlowingOut`: whether media of one kind is flowing out of the element.
    IsMediaFlowingOut {
        /// `mediaType`: the kind of media asked about.
        media_type: MediaType,
    },
    /// `kurento.ElementConnectionData` for every sink and media type.
    GetSinkConnections,
    /// `getStats`: the element's stats report (a [`crate::stats::StatsReport`] when read), of one
    /// media type or, when left out, of all.
    GetStats {
        /// `mediaType`: only this kind's streams (KMS accepts AUDIO and VIDEO).
        media_type: Option<MediaType>,
    },
    /// `getX`: reads property `x`.
    GetProperty(WebRtcProperty),
    /// The value is type-checked against the property's declared type.
    SetProperty(WebRtcProperty, Value),
}

impl WebRtcEndpointOp {
    /// The operation name and its `operationParams`.
    pub fn to_params(&self) -> (&'static str, Option<Map<String, Value>>) {
        let none = |name| (name, None);
        let link = |name, sink: &ObjectRef, media_type: &Option<String>| {
            let mut pairs = vec![("sink", Value::from(sink.to_wire()))];
            pairs.extend(media_type.clone().map(|m| ("mediaType", m.into())));
            (name, encode(pairs))
        };
        match self {
            WebRtcEndpointOp::ProcessOffer { offer } => {
                ("processOffer", encode([("offer", offer.clone().into())]))
            }
            WebRtcEndpointOp::GatherCandidates => none("gatherCandidates"),
            WebRtcEndpointOp::AddIceCandidate { candidate } => (
                "addIceCandidate",
                encode([("candidate", candidate.to_value())]),
            ),
            WebRtcEndpointOp::Connect { sink, media_type } => link("connect", sink, media_type),
            WebRtcEndpointOp::Disconnect { sink, media_type } => {
                link("disconnect", sink, media_type)
            }
            WebRtcEndpointOp::GetLocalSessionDescriptor => none("getLocalSessionDescriptor"),
            WebRtcEndpointOp::GetRemoteSessionDescriptor => none("getRemoteSessionDescriptor"),
            WebRtcEndpointOp::RequestKeyframe => none("requestKeyframe"),
            WebRtcEndpointOp::GetMediaState => none("getMediaState"),
            WebRtcEndpointOp::GetConnectionState => none("getConnectionState"),
            WebRtcEndpointOp::IsMediaFlowingIn { media_type } => (
                "isMediaFlowingIn",
                encode([("mediaType", media_type.as_str().into())]),
            ),
            WebRtcEndpointOp::IsMediaFlowingOut { media_type } => (
                "isMediaFlowingOut",
                encode([("mediaType", media_type.as_str().into())]),
            ),
            WebRtcEndpointOp::GetSinkConnections => none("getSinkConnections"),
            WebRtcEndpointOp::GetStats { media_type } => (
                "getStats",
                encode(media_type.map(|m| ("mediaType", m.as_str().into()))),
            ),
            WebRtcEndpointOp::GetProperty(p) => none(p.getter()),
            WebRtcEndpointOp::SetProperty(p, v) => (p.setter(), encode([(p.name(), v.clone())])),
        }
    }

    /// `Ok(None)` when `name` is not a WebRtcEndpoint operation (it may still be a MediaObject one).
    pub fn parse(name: &str, params: OperationParams<'_>) -> Result<Option<Self>, RpcError> {
        let p = Params(params);
        let link = || -> Result<(ObjectRef, Option<String>), RpcError> {
            let sink = ObjectRef::parse(p.str("sink")?);
            Ok((sink, p.opt_str("mediaType")?.map(str::to_owned)))
        };
        let kind = |kind: &str| {
            MediaType::parse(kind).ok_or_else(|| {
                marshall(format!(
                    "'mediaType' parameter should be AUDIO, VIDEO or DATA, not '{kind}'"
                ))
            })
        };
        let media_type = || -> Result<MediaType, RpcError> { kind(p.str("mediaType")?) };
        Ok(Some(match name {
            "processOffer" => WebRtcEndpointOp::ProcessOffer {
                offer: p.str("offer")?.to_owned(),
            },
            "gatherCandidates" => WebRtcEndpointOp::GatherCandidates,
            "addIceCandidate" => WebRtcEndpointOp::AddIceCandidate {
                candidate: IceCandidate::from_value(p.value("candidate")?)?,
            },
            "connect" => {
                let (sink, media_type) = link()?;
                WebRtcEndpointOp::Connect { sink, media_type }
            }
            "disconnect" => {
                let (sink, media_type) = link()?;
                WebRtcEndpointOp::Disconnect { sink, media_type }
            }
            "getLocalSessionDescriptor" => WebRtcEndpointOp::GetLocalSessionDescriptor,
            "getRemoteSessionDescriptor" => WebRtcEndpointOp::GetRemoteSessionDescriptor,
            "requestKeyframe" => WebRtcEndpointOp::RequestKeyframe,
            "getMediaState" => WebRtcEndpointOp::GetMediaState,
            "getConnectionState" => WebRtcEndpointOp::GetConnectionState,
            "isMediaFlowingIn" => WebRtcEndpointOp::IsMediaFlowingIn {
                media_type: media_type()?,
            },
            "isMediaFlowingOut" => WebRtcEndpointOp::IsMediaFlowingOut {
                media_type: media_type()?,
            },
            "getSinkConnections" => WebRtcEndpointOp::GetSinkConnections,
            "getStats" => WebRtcEndpointOp::GetStats {
                media_type: p.opt_str("mediaType")?.map(kind).transpose()?,
            },
            _ => return WebRtcProperty::parse_op(name, p),
        }))
    }
}

/// What a property holds, for `setX`'s type check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyKind {
    /// A JSON string.
    Str,
    /// A JSON integer.
    Int,
    /// A JSON boolean.
    Bool,
}

/// The settable WebRtcEndpoint properties (STUN/TURN, network, bandwidths), each read with `getX`
/// and written with `setX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebRtcProperty {
    /// `stunServerAddress`: the IP address of the STUN server used for ICE.
    StunServerAddress,
    /// `stunServerPort`: the port of the STUN server used for ICE.
    StunServerPort,
    /// `turnUrl`: the TURN relay to use, as `user:password@address:port`.
    TurnUrl,
    /// `networkInterfaces`: the comma-separated network interfaces ICE gathers candidates on.
    NetworkInterfaces,
    /// `iceTcp`: whether ICE also gathers TCP candidates.
    IceTcp,
    /// `externalIPv4`: a public IPv4 address to advertise in host candidates.
    ExternalIPv4,
    /// `externalIPv6`: a public IPv6 address to advertise in host candidates.
    ExternalIPv6,
    /// `minVideoRecvBandwidth`: the lowest video bandwidth (kbps) the endpoint asks the sender for.
    MinVideoRecvBandwidth,
    /// `minVideoSendBandwidth`: the lowest video bitrate (kbps) the endpoint sends at.
    MinVideoSendBandwidth,
    /// `maxVideoSendBandwidth`: the highest video bitrate (kbps) the endpoint sends at.
    MaxVideoSendBandwidth,
    /// `maxAudioRecvBandwidth`: the audio bandwidth cap (kbps) offered in the SDP; 0 for none.
    MaxAudioRecvBandwidth,
    /// `maxVideoRecvBandwidth`: the video bandwidth cap (kbps) offered in the SDP; 0 for none.
    MaxVideoRecvBandwidth,
    /// `mtu`: the largest RTP packet size, in bytes, the endpoint sends.
    Mtu,
}

/// (property, name, getter, setter, kind). Spelled out rather than derived from the name so every
/// operation name is a literal a reader can grep for.
const PROPERTIES: &[(WebRtcProperty, &str, &str, &str, PropertyKind)] = {
    use PropertyKind::*;
    use WebRtcProperty as P;
    &[
        (
            P::StunServerAddress,
            "stunServerAddress",
            "getStunServerAddress",
            "setStunServerAddress",
            Str,
        ),
        (
            P::StunServerPort,
            "stunServerPort",
            "getStunServerPort",
            "setStunServerPort",
            Int,
        ),
        (P::TurnUrl, "turnUrl", "getTurnUrl", "setTurnUrl", Str),
        (
            P::NetworkInterfaces,
            "networkInterfaces",
            "getNetworkInterfaces",
            "setNetworkInterfaces",
            Str,
        ),
        (P::IceTcp, "iceTcp", "getIceTcp", "setIceTcp", Bool),
        (
            P::ExternalIPv4,
            "externalIPv4",
            "getExternalIPv4",
            "setExternalIPv4",
            Str,
        ),
        (
            P::ExternalIPv6,
            "externalIPv6",
            "getExternalIPv6",
            "setExternalIPv6",
            Str,
        ),
        (
            P::MinVideoRecvBandwidth,
            "minVideoRecvBandwidth",
            "getMinVideoRecvBandwidth",
            "setMinVideoRecvBandwidth",
            Int,
        ),
        (
            P::MinVideoSendBandwidth,
            "minVideoSendBandwidth",
            "getMinVideoSendBandwidth",
            "setMinVideoSendBandwidth",
            Int,
        ),
        (
            P::MaxVideoSendBandwidth,
            "maxVideoSendBandwidth",
            "getMaxVideoSendBandwidth",
            "setMaxVideoSendBandwidth",
            Int,
        ),
        (
            P::MaxAudioRecvBandwidth,
            "maxAudioRecvBandwidth",
            "getMaxAudioRecvBandwidth",
            "setMaxAudioRecvBandwidth",
            Int,
        ),
        (
            P::MaxVideoRecvBandwidth,
            "maxVideoRecvBandwidth",
            "getMaxVideoRecvBandwidth",
            "setMaxVideoRecvBandwidth",
            Int,
        ),
        (P::Mtu, "mtu", "getMtu", "setMtu", Int),
    ]
};

impl WebRtcProperty {
    /// Every property, in KMS's declaration order.
    pub fn all() -> impl Iterator<Item = WebRtcProperty> {
        PROPERTIES.iter().map(|row| row.0)
    }

    fn row(
        self,
    ) -> &'static (
        WebRtcProperty,
        &'static str,
        &'static str,
        &'static str,
        PropertyKind,
    ) {
        // Every variant has exactly one row (the unit test checks), so the fallback is never taken.
        PROPERTIES
            .iter()
            .find(|row| row.0 == self)
            .unwrap_or(&PROPERTIES[0])
    }

    /// The property name (and the `setX` parameter name).
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The operation that reads the property, e.g. `getMtu`.
    pub fn getter(self) -> &'static str {
        self.row().2
    }

    /// The operation that writes the property, e.g. `setMtu`.
    pub fn setter(self) -> &'static str {
        self.row().3
    }

    /// The JSON type `setX` requires (40001 otherwise).
    pub fn kind(self) -> PropertyKind {
        self.row().4
    }

    /// What KMS answers `getX` with before any `setX`.
    pub fn default_value(self) -> Value {
        use WebRtcProperty as P;
        match self {
            P::StunServerAddress
            | P::TurnUrl
            | P::NetworkInterfaces
            | P::ExternalIPv4
            | P::ExternalIPv6 => "".into(),
            P::IceTcp => true.into(),
            P::MinVideoSendBandwidth => 100.into(),
            P::MaxVideoSendBandwidth => 500.into(),
            P::Mtu => 1200.into(),
            P::StunServerPort
            | P::MinVideoRecvBandwidth
            | P::MaxAudioRecvBandwidth
            | P::MaxVideoRecvBandwidth => 0.into(),
        }
    }

    /// `getX` or `setX {x}` for a property `x`; `Ok(None)` when `name` names no property.
    fn parse_op(name: &str, p: Params<'_>) -> Result<Option<WebRtcEndpointOp>, RpcError> {
        for &(prop, prop_name, getter, setter, kind) in PROPERTIES {
            if name == getter {
                return Ok(Some(WebRtcEndpointOp::GetProperty(prop)));
            }
            if name == setter {
                let v = p.value(prop_name)?;
                let (ok, ty) = match kind {
                    PropertyKind::Str => (v.is_string(), "a string"),
                    PropertyKind::Int => (v.is_i64(), "an integer"),
                    PropertyKind::Bool => (v.is_boolean(), "a boolean"),
                };
                if !ok {
                    return Err(marshall(format!("'{prop_name}' parameter should be {ty}")));
                }
                return Ok(Some(WebRtcEndpointOp::SetProperty(prop, v.clone())));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(class: RemoteClass, op: Operation) {
        let (name, params) = op.to_params();
        assert_eq!(
            Operation::parse(class, name, params.as_ref()).unwrap(),
            op,
            "{name}"
        );
    }

    #[test]
    fn every_operation_reads_back_what_it_writes() {
        let c = IceCandidate {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        let webrtc = [
            WebRtcEndpointOp::ProcessOffer {
                offer: "v=0".into(),
            },
            WebRtcEndpointOp::GatherCandidates,
            WebRtcEndpointOp::AddIceCandidate { candidate: c },
            WebRtcEndpointOp::Connect {
                sink: ObjectRef::NewRef(1),
                media_type: None,
            },
            WebRtcEndpointOp::Disconnect {
                sink: "E".into(),
                media_type: Some("VIDEO".into()),
            },
            WebRtcEndpointOp::GetLocalSessionDescriptor,
            WebRtcEndpointOp::IsMediaFlowingOut {
                media_type: MediaType::Audio,
            },
            WebRtcEndpointOp::SetProperty(WebRtcProperty::Mtu, json!(1000)),
            WebRtcEndpointOp::GetStats { media_type: None },
            WebRtcEndpointOp::GetStats {
                media_type: Some(MediaType::Video),
            },
            WebRtcEndpointOp::GetProperty(WebRtcProperty::ExternalIPv4),
        ];
        for op in webrtc {
            round_trip(RemoteClass::WebRtcEndpoint, op.into());
        }
        round_trip(
            RemoteClass::MediaPipeline,
            MediaObjectOp::AddTag {
                key: "k".into(),
                value: "v".into(),
            }
            .into(),
        );
        round_trip(RemoteClass::WebRtcEndpoint, MediaObjectOp::GetName.into());
        round_trip(
            RemoteClass::ServerManager,
            ServerManagerOp::GetUsedCpu {
                interval_ms: Some(50),
            }
            .into(),
        );
        round_trip(
            RemoteClass::ServerManager,
            ServerManagerOp::GetPipelines.into(),
        );
        assert_eq!(
            WebRtcEndpointOp::GatherCandidates.to_params(),
            ("gatherCandidates", None)
        );
        assert_eq!(
            WebRtcEndpointOp::GetStats {
                media_type: Some(MediaType::Audio)
            }
            .to_params(),
            (
                "getStats",
                json!({"mediaType": "AUDIO"}).as_object().cloned()
            )
        );
    }

    #[test]
    fn errors_are_worded_as_kms_words_them() {
        let params = json!({"mediaType": "TEXT"}).as_object().cloned();
        let e = Operation::parse(
            RemoteClass::WebRtcEndpoint,
            "isMediaFlowingIn",
            params.as_ref(),
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                40001,
                "'mediaType' parameter should be AUDIO, VIDEO or DATA, not 'TEXT'"
            )
        );
        // A pipeline has no processOffer, so its parameters are never looked at.
        let e = Operation::parse(RemoteClass::MediaPipeline, "processOffer", None).unwrap_err();
        assert_eq!(
            e.message,
            "Method 'processOffer' with 0 parameters not found"
        );
        let e =
            Operation::parse(RemoteClass::ServerManager, "getTags", params.as_ref()).unwrap_err();
        assert_eq!(e.message, "Method 'getTags' with 1 parameters not found");
        let bad_mtu = json!({"mtu": "big"}).as_object().cloned();
        let e =
            Operation::parse(RemoteClass::WebRtcEndpoint, "setMtu", bad_mtu.as_ref()).unwrap_err();
        assert_eq!(e.message, "'mtu' parameter should be an integer");
        let e =
            Operation::parse(RemoteClass::WebRtcEndpoint, "setSendTagsInEvents", None).unwrap_err();
        assert_eq!(e.message, "'sendTagsInEvents' parameter is required");
    }

    #[test]
    fn every_property_has_its_row() {
        use WebRtcProperty as P;
        let all = [
            P::StunServerAddress,
            P::StunServerPort,
            P::TurnUrl,
            P::NetworkInterfaces,
            P::IceTcp,
            P::ExternalIPv4,
            P::ExternalIPv6,
            P::MinVideoRecvBandwidth,
            P::MinVideoSendBandwidth,
            P::MaxVideoSendBandwidth,
            P::MaxAudioRecvBandwidth,
            P::MaxVideoRecvBandwidth,
            P::Mtu,
        ];
        assert_eq!(WebRtcProperty::all().collect::<Vec<_>>(), all);
        for p in all {
            let cap = {
                let mut c = p.name().chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            };
            assert_eq!(p.getter(), format!("get{cap}"));
            assert_eq!(p.setter(), format!("set{cap}"));
        }
    }
}
