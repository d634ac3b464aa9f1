//! GetSessionStats asks the session's endpoint for `getStats` once per media type and turns KMS's
//! RTP entries into MediaStats; an unknown session is NOT_FOUND, a silent media server
//! DEADLINE_EXCEEDED.

use crate::common::{self, OFFER, Script, on_peer, on_peer_with, what};
use media_proto::v1::{FlowDirection, GetSessionStatsRequest, MediaKind, MediaStats};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tonic::Code;

/// Shaped like KMS 7.2's answer to `getStats {mediaType}` on a WebRtcEndpoint in loopback: element
/// stats (skipped) and one entry per direction, without a `kind` (the IDL has none).
fn kms_report(media_type: &str) -> Value {
    let (ssrc, packets, bytes) = match media_type {
        "AUDIO" => (111, 250, 30_000),
        _ => (222, 900, 800_000),
    };
    json!({
        "kurento-element-stats": {"__module__": "kurento", "__type__": "EndpointStats",
            "id": "kurento-element-stats", "type": "endpoint", "timestampMillis": 1_700_000_000_000_i64,
            "inputLatency": [], "E2ELatency": []},
        format!("kurento-inbound-rtp-{ssrc}"): {"__module__": "kurento",
            "__type__": "RTCInboundRTPStreamStats", "id": format!("kurento-inbound-rtp-{ssrc}"),
            "type": "inboundrtp", "timestampMillis": 1_700_000_000_000_i64, "ssrc": ssrc.to_string(),
            "codecId": "", "firCount": 0, "pliCount": 1, "nackCount": 0, "packetsLost": 2,
            "fractionLost": 0.0, "packetsReceived": packets, "bytesReceived": bytes, "jitter": 0.004},
        format!("kurento-outbound-rtp-{ssrc}"): {"__module__": "kurento",
            "__type__": "RTCOutboundRTPStreamStats", "id": format!("kurento-outbound-rtp-{ssrc}"),
            "type": "outboundrtp", "timestampMillis": 1_700_000_000_000_i64, "ssrc": ssrc.to_string(),
            "codecId": "", "packetsLost": 0, "fractionLost": 0.0, "packetsSent": packets - 1,
            "bytesSent": bytes - 100, "targetBitrate": 500_000.0, "roundTripTime": 0.015}
    })
}

fn stats(kind: MediaKind, direction: FlowDirection, packets: u64, bytes: u64) -> MediaStats {
    MediaStats {
        kind: kind as i32,
        direction: direction as i32,
        packets,
        bytes,
        ..MediaStats::default()
    }
}

#[tokio::test]
async fn kms_get_stats_becomes_media_stats() {
    let script = Script {
        stats: Some(Arc::new(kms_report)),
        ..Script::default()
    };
    let (mut gw, peer) = on_peer(script).await;
    let session_id = common::start_session(&mut gw.client, OFFER).await;
    let streams = gw
        .client
        .get_session_stats(GetSessionStatsRequest {
            session_id: session_id.clone(),
        })
        .await
        .expect("GetSessionStats")
        .into_inner()
        .streams;

    let inbound = |kind, packets, bytes| MediaStats {
        packets_lost: 2,
        jitter_seconds: 0.004,
        ..stats(kind, FlowDirection::In, packets, bytes)
    };
    let outbound = |kind, packets, bytes| MediaStats {
        round_trip_time_seconds: 0.015,
        bitrate_bps: 500_000,
        ..stats(kind, FlowDirection::Out, packets, bytes)
    };
    assert_eq!(
        streams,
        vec![
            inbound(MediaKind::Audio, 250, 30_000),
            outbound(MediaKind::Audio, 249, 29_900),
            inbound(MediaKind::Video, 900, 800_000),
            outbound(MediaKind::Video, 899, 799_900),
        ]
    );
    // One getStats per media type, on the session's endpoint.
    let asked: Vec<Value> = peer
        .received()
        .iter()
        .filter(|r| what(r) == "getStats")
        .map(|r| {
            assert_eq!(
                r["params"]["object"].as_str(),
                common::endpoint(&peer).as_deref()
            );
            r["params"]["operationParams"].clone()
        })
        .collect();
    assert_eq!(
        asked,
        vec![json!({"mediaType": "AUDIO"}), json!({"mediaType": "VIDEO"})]
    );
}

#[tokio::test]
async fn unknown_session_is_not_found() {
    let (mut gw, _peer) = on_peer(Script::default()).await;
    let e = gw
        .client
        .get_session_stats(GetSessionStatsRequest {
            session_id: "0123456789abcdef0123456789abcdef".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
}

#[tokio::test]
async fn a_silent_media_server_is_deadline_exceeded() {
    let script = Script {
        silent: vec!["getStats"],
        ..Script::default()
    };
    let (mut gw, _peer) = on_peer_with(script, |c| media_gateway::Config {
        request_timeout: Duration::from_millis(300),
        ..c
    })
    .await;
    let session_id = common::start_session(&mut gw.client, OFFER).await;
    let e = gw
        .client
        .get_session_stats(GetSessionStatsRequest { session_id })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
}
