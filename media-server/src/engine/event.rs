//! Events an endpoint reports to its owner, named and shaped after Kurento's WebRtcEndpoint events.

/// Kind of media in flow events (Kurento `MediaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `AUDIO`
    Audio,
    /// `VIDEO`
    Video,
}

impl MediaType {
    /// The Kurento wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Audio => "AUDIO",
            MediaType::Video => "VIDEO",
        }
    }

    pub(crate) fn from_kind(kind: str0m::media::MediaKind) -> Self {
        match kind {
            str0m::media::MediaKind::Audio => MediaType::Audio,
            str0m::media::MediaKind::Video => MediaType::Video,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            MediaType::Audio => 0,
            MediaType::Video => 1,
        }
    }
}

/// Kurento's `IceComponentState`, shared with the protocol library so the wire names live in one place.
pub use kurento::IceComponentState;

/// One thing that happened on an endpoint. Delivered with `try_send`: a consumer that falls behind loses
/// events (counted in [`crate::engine::EngineStats::events_dropped`]) rather than stalling media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointEvent {
    /// A local candidate, once per active m-line of the local SDP (BUNDLE), as KMS sends it.
    IceCandidateFound {
        /// `candidate:...` attribute value, without `a=`.
        candidate: String,
        /// The m-line's `a=mid`.
        sdp_mid: String,
        /// The m-line's index in the local SDP.
        sdp_m_line_index: u32,
    },
    /// All local candidates were reported.
    IceGatheringDone,
    /// ICE state of the (single, bundled, rtcp-muxed) component.
    IceComponentStateChanged {
        /// New state.
        state: IceComponentState,
        /// ICE stream id; always 1 with BUNDLE.
        stream_id: u32,
        /// ICE component id; always 1 with rtcp-mux.
        component_id: u32,
    },
    /// The pair ICE settled on.
    NewCandidatePairSelected {
        /// Local candidate string.
        local_candidate: String,
        /// Remote candidate string (a peer-reflexive one if the peer never signalled it).
        remote_candidate: String,
    },
    /// Media of `kind` started or stopped arriving from the peer.
    MediaFlowInStateChanged {
        /// AUDIO or VIDEO.
        kind: MediaType,
        /// FLOWING (true) or NOT_FLOWING.
        flowing: bool,
    },
    /// Media of `kind` started or stopped being sent to the peer.
    MediaFlowOutStateChanged {
        /// AUDIO or VIDEO.
        kind: MediaType,
        /// FLOWING (true) or NOT_FLOWING.
        flowing: bool,
    },
    /// Kurento MediaState: CONNECTED once media arrives, DISCONNECTED when ICE is lost.
    MediaStateChanged {
        /// CONNECTED (true) or DISCONNECTED.
        connected: bool,
    },
    /// Kurento ConnectionState: CONNECTED once ICE and DTLS are up, DISCONNECTED when lost.
    ConnectionStateChanged {
        /// CONNECTED (true) or DISCONNECTED.
        connected: bool,
    },
    /// Something failed inside the endpoint (Kurento `Error` event).
    Error {
        /// What happened, for a person.
        description: String,
    },
}
