//! The remote classes the hello world uses (ServerManager, MediaPipeline, WebRtcEndpoint), the events
//! each raises, and the event names `subscribe` takes: what both ends agree an object is.

use crate::error::{ErrorCode, RpcError};
use crate::types::wire_enum;

/// A Kurento remote class: what `describe` reports and what decides which operations and events an
/// object has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RemoteClass {
    ServerManager,
    MediaPipeline,
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

    pub fn supports_event(self, event: EventType) -> bool {
        self.events().contains(&event)
    }
}

/// The classes `create` can make, by their factory name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factory {
    MediaPipeline,
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
    Error,
    ElementConnected,
    ElementDisconnected,
    MediaFlowInStateChanged,
    MediaFlowOutStateChanged,
    MediaTranscodingStateChanged,
    MediaSessionStarted,
    MediaSessionTerminated,
    ConnectionStateChanged,
    MediaStateChanged,
    IceCandidateFound,
    IceGatheringDone,
    IceComponentStateChanged,
    NewCandidatePairSelected,
    DtlsConnectionStateChange,
    DataChannelOpened,
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
