//! The one conversion between the tutorial's messages and MediaSession's protobuf: the browser's offer becomes a
//! StartRequest, candidates map both ways, and the gateway's SessionEvents become browser messages (candidates
//! for everyone, the rest only for pages that opted in with `subscribeEvents`, since the tutorial's page treats
//! unknown ids as errors). gRPC failures become the page's `error` text in `gateway/status_text.rs`.

use media_proto::v1::session_event::Event;
use media_proto::v1::{
    EndReason, FlowDirection, IceCandidate, IceState, MediaKind, MediaStats, SessionEvent,
    StartRequest, connection_changed,
};
use serde_json::json;

use crate::browser::protocol::{Candidate, ErrorKind, ServerMessage};

/// The Start for a browser's `start`. The bridge trickles candidates, so it never asks the gateway to wait for
/// gathering.
pub(crate) fn start_request(sdp_offer: String) -> StartRequest {
    StartRequest {
        sdp_offer,
        wait_for_candidates: false,
    }
}

/// A browser candidate (`{candidate, sdpMid, sdpMLineIndex}`) as AddIceCandidate carries it.
impl From<Candidate> for IceCandidate {
    fn from(c: Candidate) -> Self {
        Self {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_m_line_index: c.sdp_m_line_index,
        }
    }
}

/// A server candidate as the page's `iceCandidate` message carries it.
impl From<IceCandidate> for Candidate {
    fn from(c: IceCandidate) -> Self {
        Self {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_m_line_index: c.sdp_m_line_index,
        }
    }
}

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
        Event::Candidate(c) => Forward::Always(ServerMessage::IceCandidate(c.into())),
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
            "direction": direction(f.direction()),
            "kind": kind(f.kind()),
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
            // The gateway's message names media servers and their addresses: for the log, not the page.
            tracing::info!(reason = ?e.reason(), "the gateway ended the session: {}", e.message);
            Forward::Always(ServerMessage::Error(
                ErrorKind::SessionEnded,
                format!("the media session ended: {}", end_reason(e.reason())),
            ))
        }
    }
}

/// The media server's streams as the page's `stats` message carries them, in the units the browser's own
/// `getStats()` uses where they meet (milliseconds, kbit/s), so the page can show them side by side.
pub(crate) fn stats(streams: Vec<MediaStats>) -> ServerMessage {
    let streams = streams
        .into_iter()
        .map(|s| {
            json!({
                "kind": kind(s.kind()),
                "direction": direction(s.direction()),
                "packets": s.packets,
                "bytes": s.bytes,
                "packetsLost": s.packets_lost,
                "jitterMs": s.jitter_seconds * 1000.0,
                "rttMs": s.round_trip_time_seconds * 1000.0,
                "bitrateKbps": s.bitrate_bps as f64 / 1000.0,
                "codec": s.codec,
            })
        })
        .collect();
    ServerMessage::Stats(Ok(serde_json::Value::Array(streams)))
}

fn direction(direction: FlowDirection) -> &'static str {
    match direction {
        FlowDirection::In => "in",
        FlowDirection::Out => "out",
        FlowDirection::Unspecified => "unspecified",
    }
}

fn kind(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::Data => "data",
        MediaKind::Unspecified => "unspecified",
    }
}

/// The page's words for why the gateway ended a session.
fn end_reason(reason: EndReason) -> &'static str {
    match reason {
        EndReason::LeaseExpired => "it was left unattended for too long",
        EndReason::MediaServerLost => "the media server was lost",
        EndReason::MediaServerRestarted => "the media server restarted",
        EndReason::Shutdown => "the media service is shutting down",
        EndReason::Stopped => "it was stopped",
        _ => "the media server reported an error",
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
    use media_proto::v1::{GatheringDone, SessionEnded};

    fn ev(event: Event) -> SessionEvent {
        SessionEvent { event: Some(event) }
    }

    #[test]
    fn candidates_keep_every_field_both_ways() {
        let browser = Candidate {
            candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host".into(),
            sdp_mid: "video".into(),
            sdp_m_line_index: 1,
        };
        let proto = IceCandidate::from(browser.clone());
        assert_eq!(proto.sdp_mid, "video");
        assert_eq!(proto.sdp_m_line_index, 1);
        assert_eq!(Candidate::from(proto), browser);
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
                "the media session ended: the media server was lost".into()
            ))
        );
    }
}
