//! The remote classes the hello world uses (ServerManager, MediaPipeline, WebRtcEndpoint), the events
//! each raises, and the event names `subscribe` takes: what both ends agree an object is.

use crate::error::{ErrorCode, RpcError};
use crate::types::wire_enum;

/// A Kurento remote class: what `describe` reports and what decides which operations and events an
/// object has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RemoteClass {
    /// `kurento.ServerManager`: the singleton describing the server, id `manager_ServerManager`.
    ServerManager,
    /// `kurento.MediaPipeline`: the container that owns and connects media elements.
    MediaPipeline,
    /// `kurento.WebRtcEndpoint`: an element that exchanges media with a browser over WebRTC.
    WebRtcEndpoint,
}

impl RemoteClass {
    /// The bare class name (`type` in `describe`, the factory name in `create`).
    pub fn name(self) -> &'static str {
        match self {
            RemoteClass::ServerManager => "ServerManager",
            RemoteClass::MediaPipeline => "MediaPipeline",
            RemoteClass::WebRtcEndpoint => "WebRtcEndpoint",
        }
    }

    /// Ancestors, nearest first, as `describe` reports them.
    pub fn hierarchy(self) -> &'static [&'static str] {
        match self {
            RemoteClass::ServerManager | RemoteClass::MediaPipeline => &["kurento.MediaObject"],
            RemoteClass::WebRtcEndpoint => &[
                "kurento.BaseRtpEndpoint",
                "kurento.SdpEndpoint",
                "kurento.SessionEndpoint",
                "kurento.Endpoint",
                "kurento.MediaElement",
                "kurento.MediaObject",
            ],
        }
    }

    /// The events `subscribe` accepts on an object of this class (its own plus inherited ones), as
    /// KMS 7.2.0 declares them.
    pub fn events(self) -> &'static [EventType] {
        match self {
            RemoteClass::ServerManager => SERVER_MANAGER_EVENTS,
            RemoteClass::MediaPipeline => MEDIA_PIPELINE_EVENTS,
            RemoteClass::WebRtcEndpoint => WEBRTC_ENDPOINT_EVENTS,
        }
    }

    /// Whether `subscribe` to `event` succeeds on an object of this class (else KMS answers 40106).
    pub fn supports_event(self, event: EventType) -> bool {
        self.events().contains(&event)
    }
}

/// The classes `create` can make, by their factory name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factory {
    /// `"MediaPipeline"`: makes a new, empty pipeline.
    MediaPipeline,
    /// `"WebRtcEndpoint"`: makes a WebRTC endpoint inside a given pipeline.
    WebRtcEndpoint,
}

impl Factory {
    /// The factory named `name` (bare, as KMS's factory map holds it), or KMS's 40108-style refusal.
    pub fn parse(name: &str) -> Result<Self, RpcError> {
        match name {
            "MediaPipeline" => Ok(Factory::MediaPipeline),
            "WebRtcEndpoint" => Ok(Factory::WebRtcEndpoint),
            _ => Err(RpcError::new(
                ErrorCode::MediaObjectNotAvailable,
                format!("Factory '{name}' not found"),
            )),
        }
    }

    /// The class of what it makes.
    pub fn class(self) -> RemoteClass {
        match self {
            Factory::MediaPipeline => RemoteClass::MediaPipeline,
            Factory::WebRtcEndpoint => RemoteClass::WebRtcEndpoint,
        }
    }

    /// The name `create` carries in `type`.
    pub fn name(self) -> &'static str {
        self.class().name()
    }
}

/// An event name, as `subscribe` takes it and `onEvent` carries it in `value.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// Raised by any media object when something went wrong inside it.
    Error,
    /// Raised by an element when one of its source pads is connected to a sink.
    ElementConnected,
    /// Raised by an element when one of its source pads is disconnected from a sink.
    ElementDisconnected,
    /// Raised by an element when incoming media starts or stops flowing into it.
    MediaFlowInStateChanged,
    /// Raised by an element when outgoing media starts or stops flowing out of it.
    MediaFlowOutStateChanged,
    /// Raised by an element when incoming media begins and transcoding is or is not required.
    MediaTranscodingStateChanged,
    /// Raised by a session endpoint when a client's media session starts.
    MediaSessionStarted,
    /// Raised by a session endpoint when a client's media session ends.
    MediaSessionTerminated,
    /// Raised by an RTP endpoint when the connection between the peers changes state.
    ConnectionStateChanged,
    /// Raised by an RTP endpoint when media (judged by the RTCP flow) between the peers changes state.
    MediaStateChanged,
    /// Raised by a WebRtcEndpoint when it gathers a new local ICE candidate.
    IceCandidateFound,
    /// Raised by a WebRtcEndpoint when it has gathered all its local ICE candidates.
    IceGatheringDone,
    /// Raised by a WebRtcEndpoint when an ICE component changes state.
    IceComponentStateChanged,
    /// Raised by a WebRtcEndpoint when the ICE library picks a new candidate pair.
    NewCandidatePairSelected,
    /// Raised by a WebRtcEndpoint when an ICE component's DTLS connection changes state.
    DtlsConnectionStateChange,
    /// Raised by a WebRtcEndpoint when a data channel opens.
    DataChannelOpened,
    /// Raised by a WebRtcEndpoint when a data channel closes.
    DataChannelClosed,
    /// Raised by the ServerManager when any object is created.
    ObjectCreated,
    /// Raised by the ServerManager when any object is destroyed.
    ObjectDestroyed,
}

wire_enum!(EventType {
    Error = "Error",
    ElementConnected = "ElementConnected",
    ElementDisconnected = "ElementDisconnected",
    MediaFlowInStateChanged = "MediaFlowInStateChanged",
    MediaFlowOutStateChanged = "MediaFlowOutStateChanged",
    MediaTranscodingStateChanged = "MediaTranscodingStateChanged",
    MediaSessionStarted = "MediaSessionStarted",
    MediaSessionTerminated = "MediaSessionTerminated",
    ConnectionStateChanged = "ConnectionStateChanged",
    MediaStateChanged = "MediaStateChanged",
    IceCandidateFound = "IceCandidateFound",
    IceGatheringDone = "IceGatheringDone",
    IceComponentStateChanged = "IceComponentStateChanged",
    NewCandidatePairSelected = "NewCandidatePairSelected",
    DtlsConnectionStateChange = "DtlsConnectionStateChange",
    DataChannelOpened = "DataChannelOpened",
    DataChannelClosed = "DataChannelClosed",
    ObjectCreated = "ObjectCreated",
    ObjectDestroyed = "ObjectDestroyed",
});

impl EventType {
    /// The 40106 a server answers `subscribe` with for an event the object does not raise (`name` as
    /// the client spelled it, known or not).
    pub fn not_supported(name: &str) -> RpcError {
        RpcError::new(
            ErrorCode::MediaObjectEventNotSupported,
            format!("Event '{name}' not supported"),
        )
    }
}

/// The events a WebRtcEndpoint supports in KMS 7.2.0 (including those inherited from its ancestors).
pub const WEBRTC_ENDPOINT_EVENTS: &[EventType] = &[
    EventType::Error,
    EventType::ElementConnected,
    EventType::ElementDisconnected,
    EventType::MediaFlowInStateChanged,
    EventType::MediaFlowOutStateChanged,
    EventType::MediaTranscodingStateChanged,
    EventType::MediaSessionStarted,
    EventType::MediaSessionTerminated,
    EventType::ConnectionStateChanged,
    EventType::MediaStateChanged,
    EventType::IceCandidateFound,
    EventType::IceGatheringDone,
    EventType::IceComponentStateChanged,
    EventType::NewCandidatePairSelected,
    EventType::DtlsConnectionStateChange,
    EventType::DataChannelOpened,
    EventType::DataChannelClosed,
];

/// The events a MediaPipeline supports.
pub const MEDIA_PIPELINE_EVENTS: &[EventType] = &[EventType::Error];

/// The events the ServerManager supports.
pub const SERVER_MANAGER_EVENTS: &[EventType] = &[
    EventType::Error,
    EventType::ObjectCreated,
    EventType::ObjectDestroyed,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_per_class() {
        let ev = |s| EventType::parse(s).unwrap();
        assert!(RemoteClass::WebRtcEndpoint.supports_event(ev("IceCandidateFound")));
        assert_eq!(EventType::parse("OnIceCandidate"), None);
        assert!(RemoteClass::ServerManager.supports_event(ev("ObjectDestroyed")));
        assert!(!RemoteClass::MediaPipeline.supports_event(ev("IceCandidateFound")));
        assert_eq!(
            Factory::parse("PlayerEndpoint").unwrap_err().message,
            "Factory 'PlayerEndpoint' not found"
        );
    }
}
