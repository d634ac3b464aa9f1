//! The one conversion between the public API (`media_proto`) and Kurento (`kurento` types): candidates
//! both ways, the media server's `onEvent` notifications into public `SessionEvent`s, and the final
//! `SessionEnded` event with its end reason, and `getStats` reports into `MediaStats`.

use kurento::{EventData, IceComponentState, MediaType, RtpDirection, StatsReport};
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

/// The public stats of a report asked for with `mediaType: asked`: inbound first, then outbound, so
/// the order does not depend on the media server's map order. An entry that names another kind than
/// the one asked for is the server's word and kept as it says.
pub(crate) fn stats_to_pb(report: &StatsReport, asked: MediaType) -> Vec<pb::MediaStats> {
    let mut out: Vec<(RtpDirection, pb::MediaStats)> = report
        .rtp
        .iter()
        .filter_map(|s| {
            let direction = s.direction?;
            let pb_direction = match direction {
                RtpDirection::Inbound => pb::FlowDirection::In,
                RtpDirection::Outbound => pb::FlowDirection::Out,
            };
            // Negative or non-finite values from a broken server read as 0, never as a wrapped count.
            let finite = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
            Some((
                direction,
                pb::MediaStats {
                    kind: kind(s.kind.unwrap_or(asked)) as i32,
                    direction: pb_direction as i32,
                    packets: s.packets,
                    bytes: s.bytes,
                    packets_lost: s.packets_lost,
                    jitter_seconds: finite(s.jitter_seconds),
                    round_trip_time_seconds: finite(s.round_trip_time_seconds),
                    // `as` saturates, which is right for a rate.
                    bitrate_bps: finite(s.bitrate_bps) as u64,
                    codec: s.codec_id.clone(),
                },
            ))
        })
        .collect();
    out.sort_by_key(|(d, _)| matches!(d, RtpDirection::Outbound));
    out.into_iter().map(|(_, s)| s).collect()
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

    #[test]
    fn stats_reports_map_onto_media_stats() {
        let v = serde_json::json!({
            "out": {"type": "outboundrtp", "packetsSent": 9, "bytesSent": 900,
                "roundTripTime": 0.02, "targetBitrate": 300000.0, "packetsLost": 1},
            "in": {"type": "inboundrtp", "packetsReceived": 10, "bytesReceived": 1000,
                "jitter": -1.0, "codecId": "video/VP8"},
            "t": {"type": "transport", "bytesSent": 5}
        });
        let report = StatsReport::from_value(&v, Some(MediaType::Video)).unwrap();
        let pb = stats_to_pb(&report, MediaType::Video);
        assert_eq!(
            pb,
            vec![
                pb::MediaStats {
                    kind: pb::MediaKind::Video as i32,
                    direction: pb::FlowDirection::In as i32,
                    packets: 10,
                    bytes: 1000,
                    packets_lost: 0,
                    jitter_seconds: 0.0,
                    round_trip_time_seconds: 0.0,
                    bitrate_bps: 0,
                    codec: "video/VP8".into(),
                },
                pb::MediaStats {
                    kind: pb::MediaKind::Video as i32,
                    direction: pb::FlowDirection::Out as i32,
                    packets: 9,
                    bytes: 900,
                    packets_lost: 1,
                    jitter_seconds: 0.0,
                    round_trip_time_seconds: 0.02,
                    bitrate_bps: 300_000,
                    codec: String::new(),
                },
            ]
        );
    }
}
