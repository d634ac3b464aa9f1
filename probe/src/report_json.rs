//! The report as JSON (`media-probe --json`), for scripts and dashboards: the same facts as the table,
//! durations in milliseconds, and the verdict with its reasons.

use std::time::Duration;

use media_proto::v1::{FlowDirection, MediaKind};
use serde_json::{Map, Value, json};

use crate::echo_report::KindCounts;
use crate::report::{Backend, ProbeReport};
use crate::server_stats::ServerStream;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn counts(c: &KindCounts) -> Value {
    json!({"sent": c.sent, "echoed": c.echoed, "duplicates": c.duplicates})
}

fn stream(report: &ProbeReport, s: &ServerStream) -> Value {
    let kind = match s.kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::Data => "data",
        MediaKind::Unspecified => "unspecified",
    };
    let direction = match s.direction {
        FlowDirection::In => "in",
        FlowDirection::Out => "out",
        FlowDirection::Unspecified => "unspecified",
    };
    json!({
        "kind": kind,
        "direction": direction,
        "packets": s.packets,
        "bytes": s.bytes,
        "packets_lost": s.packets_lost,
        "jitter_ms": s.jitter.map(ms),
        "round_trip_time_ms": s.round_trip_time.map(ms),
        "bitrate_bps": s.bitrate_bps,
        "codec": s.codec,
        // What the probe counted for the same stream: frames sent (in) or got back intact (out).
        "probe_packets": report.probe_count(s),
    })
}

impl ProbeReport {
    /// The report as one JSON object. `server_stats` is absent for a backend without GetSessionStats
    /// (Janus), `{"error": ...}` when the call failed, and `{"streams": [...]}` otherwise.
    pub fn to_json(&self) -> Value {
        let e = &self.echo;
        let mut out = Map::new();
        let mut put = |k: &str, v: Value| {
            out.insert(k.to_owned(), v);
        };
        put(
            "backend",
            json!(match self.backend {
                Backend::Gateway => "gateway",
                Backend::Janus => "janus",
            }),
        );
        put("server", json!(self.gateway));
        put("session_id", json!(self.session_id));
        put("trickle", json!(self.trickle));
        put("audio", json!(self.audio));
        put("video", json!(self.video));
        put("min_echo_ratio", json!(self.min_echo_ratio));
        put("setup_ms", json!(ms(self.start.setup)));
        put("offer_to_answer_ms", json!(ms(self.start.latency)));
        put(
            "candidates",
            json!({
                "sent": self.local_candidates_sent,
                "received_on_stream": self.server_candidates,
                "in_answer": self.start.answer_candidates,
                "unparsable": self.bad_server_candidates,
                "gathering_done": self.gathering_done,
            }),
        );
        put(
            "connected_after_ms",
            json!(ms(self.echo_started_after + e.connected_after)),
        );
        put(
            "first_echo_after_offer_ms",
            json!(self.first_echo_since_start().map(ms)),
        );
        put(
            "echo",
            json!({
                "audio": counts(&e.audio),
                "video": counts(&e.video),
                "mismatches": e.mismatches,
                "mismatch_examples": e.mismatch_examples,
                "rtt_ms": e.rtt.map(|r| json!({
                    "min": ms(r.min), "median": ms(r.median), "p95": ms(r.p95), "max": ms(r.max),
                })),
                "keyframe_requests": e.keyframe_requests,
            }),
        );
        match &self.server_stats {
            None => {}
            Some(Err(error)) => put("server_stats", json!({ "error": error })),
            Some(Ok(streams)) => put(
                "server_stats",
                json!({ "streams": streams.iter().map(|s| stream(self, s)).collect::<Vec<_>>() }),
            ),
        }
        put("released", json!(self.released));
        put(
            "ended",
            json!(self.ended.as_ref().map(|(reason, message)| json!({
                "reason": reason.as_str_name(), "message": message,
            }))),
        );
        put("stream_error", json!(self.stream_error));
        put("states", json!(self.states));
        let failures = self.failures();
        put("passed", json!(failures.is_empty()));
        put("failures", json!(failures));
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo_report::EchoReport;
    use crate::report::StartFacts;

    /// A gateway run that got 150 frames of each kind back, with the server's view as given.
    fn report(server_stats: Option<Result<Vec<ServerStream>, String>>) -> ProbeReport {
        let counts = KindCounts {
            sent: 150,
            echoed: 149,
            duplicates: 0,
        };
        ProbeReport {
            backend: Backend::Gateway,
            gateway: "http://127.0.0.1:50051".into(),
            session_id: "s1".into(),
            trickle: true,
            audio: true,
            video: true,
            min_echo_ratio: 0.9,
            start: StartFacts {
                setup: Duration::from_millis(1),
                latency: Duration::from_millis(5),
                answer_candidates: 0,
            },
            local_candidates_sent: 1,
            server_candidates: 1,
            bad_server_candidates: Vec::new(),
            gathering_done: true,
            states: Vec::new(),
            ended: Some((media_proto::v1::EndReason::Stopped, String::new())),
            stream_error: None,
            echo: EchoReport {
                connected_after: Duration::from_millis(50),
                first_echo_after: Some(Duration::from_millis(52)),
                audio: counts,
                video: counts,
                mismatches: 0,
                mismatch_examples: Vec::new(),
                rtt: None,
                keyframe_requests: 0,
            },
            echo_started_after: Duration::from_millis(10),
            server_stats,
            released: true,
        }
    }

    fn audio_in() -> ServerStream {
        ServerStream {
            kind: MediaKind::Audio,
            direction: FlowDirection::In,
            packets: 148,
            bytes: 13_000,
            packets_lost: 0,
            jitter: Some(Duration::from_micros(300)),
            round_trip_time: None,
            bitrate_bps: 33_200,
            codec: "audio/opus".into(),
        }
    }

    #[test]
    fn server_streams_sit_next_to_the_probe_counts() {
        let out = ServerStream {
            direction: FlowDirection::Out,
            round_trip_time: Some(Duration::from_micros(400)),
            ..audio_in()
        };
        let r = report(Some(Ok(vec![audio_in(), out])));
        let table = r.to_string();
        assert!(
            table.contains(
                "    audio in               packets 148 (probe sent 150), bytes 13000, lost 0, \
                 jitter 0.3 ms, RTT -, 33.2 kbit/s, audio/opus"
            ),
            "{table}"
        );
        assert!(table.contains("(probe got back 149)"), "{table}");
        assert!(table.contains("RTT 0.4 ms"), "{table}");
        let json = r.to_json();
        let streams = &json["server_stats"]["streams"];
        assert_eq!(streams[0]["direction"], "in");
        assert_eq!(streams[0]["packets"], 148);
        assert_eq!(streams[0]["probe_packets"], 150);
        assert_eq!(streams[0]["round_trip_time_ms"], Value::Null);
        assert_eq!(streams[1]["probe_packets"], 149);
        assert_eq!(streams[1]["codec"], "audio/opus");
        assert_eq!(json["passed"], true);
    }

    #[test]
    fn a_failed_stats_call_is_said_but_does_not_fail_the_run() {
        let r = report(Some(Err(
            "gateway at x failed GetSessionStats: UNAVAILABLE".into(),
        )));
        assert!(r.passed());
        let table = r.to_string();
        assert!(
            table.contains("GetSessionStats failed (not part of the verdict): gateway at x"),
            "{table}"
        );
        assert!(table.ends_with("verdict                  PASS"), "{table}");
        let json = r.to_json();
        assert!(json["server_stats"]["error"].as_str().is_some(), "{json}");
        assert_eq!(json["passed"], true);
    }

    #[test]
    fn a_backend_without_stats_leaves_them_out() {
        let r = ProbeReport {
            backend: Backend::Janus,
            ..report(None)
        };
        assert!(!r.to_string().contains("server stats"));
        let json = r.to_json();
        assert!(json.get("server_stats").is_none(), "{json}");
        assert_eq!(json["backend"], "janus");
    }
}
