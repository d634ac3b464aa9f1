//! The one place Kurento types meet engine types: engine errors become Kurento error replies, engine
//! events become Kurento events (updating the states the getters answer from), and Kurento candidates
//! and media types become the engine's, and the engine's stream stats become a `getStats` report.

use super::methods::not_found;
use super::objects::WebRtcState;
use crate::engine::{self, EndpointEvent, EngineError};
use kurento::types::IceCandidatePair;
use kurento::{
    ErrorCode, EventData, IceCandidate, MediaType, ObjectId, RpcError, RtpDirection,
    RtpStreamStats, StatsReport,
};

/// The Kurento error for an engine failure on `object`; `fallback` is the operation's own code for
/// failures without a more precise one.
pub(crate) fn engine_error(e: EngineError, object: &ObjectId, fallback: ErrorCode) -> RpcError {
    match e {
        // KMS's exact wording, which clients may match on; the parser's detail goes to the log.
        EngineError::EmptyOffer => RpcError::new(ErrorCode::SdpParseError, "Empty offer not valid"),
        EngineError::InvalidSdp(detail) => {
            tracing::info!(%object, "invalid SDP: {detail}");
            RpcError::new(ErrorCode::SdpParseError, "Invalid SDP")
        }
        EngineError::OfferNotNegotiable(d) => RpcError::new(
            ErrorCode::SdpEndPointProcessOfferError,
            format!("Error processing offer: {d}"),
        ),
        EngineError::AlreadyNegotiated => RpcError::new(
            ErrorCode::SdpEndPointAlreadyNegotiated,
            "Endpoint already negotiated",
        ),
        EngineError::Released => not_found(object),
        e @ (EngineError::Bind { .. } | EngineError::UfragCollision) => {
            RpcError::new(ErrorCode::NotEnoughResources, e.to_string())
        }
        e => RpcError::new(fallback, e.to_string()),
    }
}

/// The engine's arguments for a remote candidate: an empty `sdpMid` (KMS reads `null` as "") means
/// "match by m-line index".
pub(crate) fn remote_candidate(c: &IceCandidate) -> (&str, Option<&str>, u32) {
    let mid = (!c.sdp_mid.is_empty()).then_some(c.sdp_mid.as_str());
    (&c.candidate, mid, c.sdp_m_line_index)
}

fn media_type(m: engine::MediaType) -> MediaType {
    match m {
        engine::MediaType::Audio => MediaType::Audio,
        engine::MediaType::Video => MediaType::Video,
    }
}

/// KMS's `getStats` report for an endpoint's streams, those of `only` when the request named a media
/// type (DATA has no RTP streams, so it gets an empty report). The engine has no wall clock, so every
/// entry is stamped `now_ms`, the time of the answer.
pub(crate) fn stats_report(
    streams: &[engine::StreamStats],
    only: Option<MediaType>,
    now_ms: u64,
) -> StatsReport {
    let rtp = streams
        .iter()
        .filter(|s| only.is_none_or(|m| m == media_type(s.kind)))
        .map(|s| {
            let direction = match s.direction {
                engine::StreamDirection::Inbound => RtpDirection::Inbound,
                engine::StreamDirection::Outbound => RtpDirection::Outbound,
            };
            RtpStreamStats {
                // Unique within the report, as KMS's ids are: one stream per mid and direction.
                id: format!("{}-{}", direction.stats_type(), s.mid),
                direction: Some(direction),
                timestamp_millis: i64::try_from(now_ms).unwrap_or(i64::MAX),
                // str0m keeps the SSRCs to itself; KMS's clients only display this.
                ssrc: String::new(),
                codec_id: s.codec.clone().unwrap_or_default(),
                kind: Some(media_type(s.kind)),
                packets: s.packets,
                bytes: s.bytes,
                packets_lost: s
                    .packets_lost
                    .map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX)),
                fraction_lost: s.fraction_lost.map_or(0.0, f64::from),
                jitter_seconds: s.jitter_seconds.unwrap_or(0.0),
                round_trip_time_seconds: s.round_trip_time.map_or(0.0, |d| d.as_secs_f64()),
                // Precision loss above 2^53 bps is irrelevant.
                bitrate_bps: s.bitrate_bps as f64,
                fir_count: s.firs,
                pli_count: s.plis,
                nack_count: s.nacks,
            }
        })
        .collect();
    StatsReport { rtp }
}

/// The Kurento event for one engine event of an endpoint, recording in `w` the states that
/// `getMediaState`, `isMediaFlowingIn` and the rest answer from.
pub(crate) fn endpoint_event(ev: EndpointEvent, w: &mut WebRtcState) -> EventData {
    match ev {
        EndpointEvent::IceCandidateFound {
            candidate,
            sdp_mid,
            sdp_m_line_index,
        } => EventData::IceCandidateFound {
            candidate: IceCandidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
            },
        },
        EndpointEvent::IceGatheringDone => EventData::IceGatheringDone,
        EndpointEvent::IceComponentStateChanged {
            state,
            stream_id,
            component_id,
        } => EventData::IceComponentStateChanged {
            stream_id,
            component_id,
            state,
        },
        EndpointEvent::NewCandidatePairSelected {
            local_candidate,
            remote_candidate,
        } => EventData::NewCandidatePairSelected {
            // One bundled, rtcp-muxed stream: KMS would say stream "1", component 1.
            candidate_pair: IceCandidatePair {
                stream_id: "1".into(),
                component_id: 1,
                local_candidate,
                remote_candidate,
            },
        },
        EndpointEvent::MediaFlowInStateChanged { kind, flowing } => {
            w.flowing_in.insert(media_type(kind), flowing);
            EventData::MediaFlowInStateChanged {
                media_type: media_type(kind),
                pad_name: "default".into(),
                flowing,
            }
        }
        EndpointEvent::MediaFlowOutStateChanged { kind, flowing } => {
            w.flowing_out.insert(media_type(kind), flowing);
            EventData::MediaFlowOutStateChanged {
                media_type: media_type(kind),
                pad_name: "default".into(),
                flowing,
            }
        }
        EndpointEvent::MediaStateChanged { connected } => {
            let old = std::mem::replace(&mut w.media_connected, connected);
            EventData::MediaStateChanged {
                old_connected: old,
                new_connected: connected,
            }
        }
        EndpointEvent::ConnectionStateChanged { connected } => {
            let old = std::mem::replace(&mut w.connection_connected, connected);
            EventData::ConnectionStateChanged {
                old_connected: old,
                new_connected: connected,
            }
        }
        EndpointEvent::Error { description } => EventData::Error {
            description,
            error_code: 0,
            error_type: "UNEXPECTED_ELEMENT_ERROR".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stream(kind: engine::MediaType, direction: engine::StreamDirection) -> engine::StreamStats {
        engine::StreamStats {
            mid: "0".into(),
            kind,
            direction,
            packets: 7,
            bytes: 700,
            packets_lost: Some(1),
            fraction_lost: None,
            jitter_seconds: Some(0.002),
            round_trip_time: Some(Duration::from_millis(30)),
            bitrate_bps: 64_000,
            codec: Some("audio/opus".into()),
            firs: 0,
            plis: 0,
            nacks: 0,
        }
    }

    #[test]
    fn stats_report_is_kms_shaped_and_filtered_by_media_type() {
        use engine::StreamDirection::{Inbound, Outbound};
        let streams = [
            stream(engine::MediaType::Audio, Inbound),
            stream(engine::MediaType::Audio, Outbound),
            stream(engine::MediaType::Video, Inbound),
        ];
        let v = stats_report(&streams, Some(MediaType::Audio), 1_700_000_000_000).to_value();
        let o = v.as_object().unwrap();
        assert_eq!(o.len(), 2, "{v}");
        let inbound = &v["inboundrtp-0"];
        assert_eq!(inbound["__type__"], "RTCInboundRTPStreamStats");
        assert_eq!(inbound["type"], "inboundrtp");
        assert_eq!(inbound["packetsReceived"], 7);
        assert_eq!(inbound["bytesReceived"], 700);
        assert_eq!(inbound["jitter"], 0.002);
        assert_eq!(inbound["codecId"], "audio/opus");
        assert_eq!(inbound["timestampMillis"], 1_700_000_000_000_i64);
        let outbound = &v["outboundrtp-0"];
        assert_eq!(outbound["packetsSent"], 7);
        assert_eq!(outbound["roundTripTime"], 0.03);
        assert_eq!(outbound["targetBitrate"], 64_000.0);
        assert_eq!(outbound["packetsLost"], 1);
        // DATA has no RTP streams; no filter gives all of them.
        assert!(
            stats_report(&streams, Some(MediaType::Data), 0)
                .rtp
                .is_empty()
        );
        assert_eq!(stats_report(&streams, None, 0).rtp.len(), 3);
    }
}
