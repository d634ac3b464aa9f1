//! The one conversion between the public API (`media_proto`) and Kurento (`kurento` types): candidates
//! both ways, the media server's `onEvent` notifications into public `SessionEvent`s, and the final
//! `SessionEnded` event with its end reason.

use kurento::{EventData, IceComponentState, MediaType};
use media_proto::v1::{
    self as pb, CandidatePairSelected, ConnectionChanged, GatheringDone, IceStateChanged,
    MediaFlowChanged, SessionEnded, SessionEvent, connection_changed::Layer, session_event::Event,
};

/// What one Kurento event means for a session.
#[derive(Debug, PartialEq)]
pub(crate) enum Meaning {
    /// Show it to the watchers.
    Publish(SessionEvent),
    /// The media server reported an error: the session ends with END_REASON_MEDIA_ERROR.
    Failed(String),
    /// Nothing a caller needs (an event we did not ask for).
    Ignore,
}

fn wrap(event: Event) -> Meaning {
    Meaning::Publish(SessionEvent { event: Some(event) })
}

/// The public candidate for a Kurento one.
pub(crate) fn candidate_to_pb(c: &kurento::IceCandidate) -> pb::IceCandidate {
    pb::IceCandidate {
        candidate: c.candidate.clone(),
        sdp_mid: c.sdp_mid.clone(),
        sdp_m_line_index: c.sdp_m_line_index,
    }
}

/// The Kurento candidate for a public one.
pub(crate) fn candidate_from_pb(c: &pb::IceCandidate) -> kurento::IceCandidate {
    kurento::IceCandidate {
        candidate: c.candidate.clone(),
        sdp_mid: c.sdp_mid.clone(),
        sdp_m_line_index: c.sdp_m_line_index,
    }
}

fn kind(m: MediaType) -> pb::MediaKind {
    match m {
        MediaType::Audio => pb::MediaKind::Audio,
        MediaType::Video => pb::MediaKind::Video,
        MediaType::Data => pb::MediaKind::Data,
    }
}

fn ice_state(s: IceComponentState) -> pb::IceState {
    match s {
        IceComponentState::Disconnected => pb::IceState::Disconnected,
        IceComponentState::Gathering => pb::IceState::Gathering,
        IceComponentState::Connecting => pb::IceState::Connecting,
        IceComponentState::Connected => pb::IceState::Connected,
        IceComponentState::Ready => pb::IceState::Ready,
        IceComponentState::Failed => pb::IceState::Failed,
    }
}

fn flow(direction: pb::FlowDirection, media_type: MediaType, flowing: bool) -> Meaning {
    wrap(Event::MediaFlow(MediaFlowChanged {
        direction: direction as i32,
        kind: kind(media_type) as i32,
        flowing,
    }))
}

fn connection(layer: Layer, connected: bool) -> Meaning {
    wrap(Event::Connection(ConnectionChanged {
        layer: layer as i32,
        connected,
    }))
}

/// What `data` means for the session.
pub(crate) fn interpret(data: &EventData) -> Meaning {
    match data {
        EventData::IceCandidateFound { candidate } => {
            wrap(Event::Candidate(candidate_to_pb(candidate)))
        }
        EventData::IceGatheringDone => wrap(Event::GatheringDone(GatheringDone {})),
        EventData::IceComponentStateChanged {
            stream_id,
            component_id,
            state,
        } => wrap(Event::IceState(IceStateChanged {
            state: ice_state(*state) as i32,
            stream_id: *stream_id,
            component_id: *component_id,
        })),
        EventData::NewCandidatePairSelected { candidate_pair } => {
            wrap(Event::CandidatePair(CandidatePairSelected {
                local_candidate: candidate_pair.local_candidate.clone(),
                remote_candidate: candidate_pair.remote_candidate.clone(),
            }))
        }
        EventData::MediaFlowInStateChanged {
            media_type,
            flowing,
            ..
        } => flow(pb::FlowDirection::In, *media_type, *flowing),
        EventData::MediaFlowOutStateChanged {
            media_type,
            flowing,
            ..
        } => flow(pb::FlowDirection::Out, *media_type, *flowing),
        EventData::ConnectionStateChanged { new_connected, .. } => {
            connection(Layer::Transport, *new_connected)
        }
        EventData::MediaStateChanged { new_connected, .. } => {
            connection(Layer::Media, *new_connected)
        }
        EventData::Error {
            description,
            error_code,
            error_type,
        } => Meaning::Failed(format!("{error_type} ({error_code}): {description}")),
        EventData::ObjectCreated { .. }
        | EventData::ObjectDestroyed { .. }
        | EventData::Other { .. } => Meaning::Ignore,
    }
}

/// The stream's last event.
pub(crate) fn ended(reason: pb::EndReason, message: impl Into<String>) -> SessionEvent {
    SessionEvent {
        event: Some(Event::Ended(SessionEnded {
            reason: reason as i32,
            message: message.into(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_events_map_onto_the_public_ones() {
        let c = kurento::IceCandidate {
            candidate: "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        assert_eq!(
            interpret(&EventData::IceCandidateFound {
                candidate: c.clone()
            }),
            wrap(Event::Candidate(candidate_to_pb(&c)))
        );
        assert_eq!(
            interpret(&EventData::MediaFlowOutStateChanged {
                media_type: MediaType::Video,
                pad_name: "default".into(),
                flowing: true
            }),
            wrap(Event::MediaFlow(MediaFlowChanged {
                direction: pb::FlowDirection::Out as i32,
                kind: pb::MediaKind::Video as i32,
                flowing: true
            }))
        );
        assert_eq!(
            interpret(&EventData::Error {
                description: "boom".into(),
                error_code: 6,
                error_type: "STREAM_ERROR_FAILED".into()
            }),
            Meaning::Failed("STREAM_ERROR_FAILED (6): boom".into())
        );
        assert_eq!(candidate_from_pb(&candidate_to_pb(&c)), c);
    }
}
