//! Turns the gateway's SessionEvents into browser messages: candidates for everyone, the rest only for pages
//! that opted in with `subscribeEvents` (the tutorial's page treats unknown ids as errors).

use media_proto::v1::session_event::Event;
use media_proto::v1::{
    EndReason, FlowDirection, IceState, MediaKind, SessionEvent, connection_changed,
};
use serde_json::json;

use crate::browser::protocol::{Candidate, ErrorKind, ServerMessage};

/// What one gateway event means for the browser.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Forward {
    /// Send to every page.
    Always(ServerMessage),
    /// Send only to pages that sent `subscribeEvents`.
    Subscribed(ServerMessage),
    /// Nothing to send.
    Nothing,
}

/// Maps one event. The session's end becomes an `error` for everyone unless the bridge itself stopped it,
/// so a page stuck on "playing" learns its media is gone (and the tutorial's page just logs it).
pub(crate) fn forward(event: SessionEvent) -> Forward {
    let Some(event) = event.event else {
        return Forward::Nothing;
    };
    match event {
        // The gateway says end-of-candidates with GatheringDone; an empty candidate would only confuse old pages.
        Event::Candidate(c) if c.candidate.is_empty() => Forward::Nothing,
        Event::Candidate(c) => Forward::Always(ServerMessage::IceCandidate(Candidate {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_m_line_index: c.sdp_m_line_index,
        })),
        Event::GatheringDone(_) => subscribed(json!({"type": "gatheringDone"})),
        Event::IceState(s) => subscribed(json!({
            "type": "iceState",
            "state": ice_state(s.state()),
            "streamId": s.stream_id,
            "componentId": s.component_id,
        })),
        Event::CandidatePair(p) => subscribed(json!({
            "type": "candidatePair",
            "local": p.local_candidate,
            "remote": p.remote_candidate,
        })),
        Event::MediaFlow(f) => subscribed(json!({
            "type": "mediaFlow",
            "direction": match f.direction() {
                FlowDirection::In => "in",
                FlowDirection::Out => "out",
                FlowDirection::Unspecified => "unspecified",
            },
            "kind": match f.kind() {
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
                MediaKind::Data => "data",
                MediaKind::Unspecified => "unspecified",
            },
            "flowing": f.flowing,
        })),
        Event::Connection(c) => subscribed(json!({
            "type": "connection",
            "layer": match c.layer() {
                connection_changed::Layer::Transport => "transport",
                connection_changed::Layer::Media => "media",
                connection_changed::Layer::Unspecified => "unspecified",
            },
            "connected": c.connected,
        })),
        Event::Ended(e) if e.reason() == EndReason::Stopped => Forward::Nothing,
        Event::Ended(e) => {
            let why = if e.message.is_empty() {
                format!("{:?}", e.reason())
            } else {
                e.message
            };
            Forward::Always(ServerMessage::Error(
                ErrorKind::SessionEnded,
                format!("the media session ended: {why}"),
            ))
        }
    }
}

fn subscribed(event: serde_json::Value) -> Forward {
    Forward::Subscribed(ServerMessage::SessionEvent(event))
}

fn ice_state(state: IceState) -> &'static str {
    match state {
        IceState::Unspecified => "UNSPECIFIED",
        IceState::Disconnected => "DISCONNECTED",
        IceState::Gathering => "GATHERING",
        IceState::Connecting => "CONNECTING",
        IceState::Connected => "CONNECTED",
        IceState::Ready => "READY",
        IceState::Failed => "FAILED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use media_proto::v1::{GatheringDone, IceCandidate, SessionEnded};

    fn ev(event: Event) -> SessionEvent {
        SessionEvent { event: Some(event) }
    }

    #[test]
    fn candidates_go_to_everyone_and_the_rest_only_to_subscribers() {
        let c = IceCandidate {
            candidate: "candidate:1 1 UDP 1 127.0.0.1 9 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        assert!(matches!(
            forward(ev(Event::Candidate(c))),
            Forward::Always(ServerMessage::IceCandidate(_))
        ));
        assert!(matches!(
            forward(ev(Event::GatheringDone(GatheringDone {}))),
            Forward::Subscribed(_)
        ));
    }

    #[test]
    fn an_unexpected_end_is_an_error_but_our_own_stop_is_silent() {
        let stopped = SessionEnded {
            reason: EndReason::Stopped as i32,
            message: String::new(),
        };
        assert_eq!(forward(ev(Event::Ended(stopped))), Forward::Nothing);
        let lost = SessionEnded {
            reason: EndReason::MediaServerLost as i32,
            message: "media server at ws://x lost".into(),
        };
        assert_eq!(
            forward(ev(Event::Ended(lost))),
            Forward::Always(ServerMessage::Error(
                ErrorKind::SessionEnded,
                "the media session ended: media server at ws://x lost".into()
            ))
        );
    }
}
