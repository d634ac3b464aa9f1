//! The Janus JSON API as the probe speaks it, without sockets: the requests it builds and the replies and
//! events it reads. Janus replies are network input, so parsing never panics and takes only what it
//! needs: an unknown field is ignored, an unknown event kind is kept by name.

use serde_json::{Value, json};

use crate::peer::IceCandidate;

/// The plugin whose handle echoes media back to the peer that sent it.
pub(crate) const ECHOTEST: &str = "janus.plugin.echotest";

/// `{"janus":"create"}`: a new Janus session.
pub(crate) fn create(transaction: &str) -> String {
    json!({"janus": "create", "transaction": transaction}).to_string()
}

/// `{"janus":"attach"}`: a handle on `plugin` inside the session.
pub(crate) fn attach(transaction: &str, plugin: &str) -> String {
    json!({"janus": "attach", "plugin": plugin, "transaction": transaction}).to_string()
}

/// The echotest message carrying the offer: echo audio and video back.
pub(crate) fn offer(transaction: &str, audio: bool, video: bool, sdp: &str) -> String {
    json!({
        "janus": "message",
        "transaction": transaction,
        "body": {"audio": audio, "video": video},
        "jsep": {"type": "offer", "sdp": sdp},
    })
    .to_string()
}

/// One trickled candidate, or `None` for end-of-candidates (`{"completed":true}`).
pub(crate) fn trickle(transaction: &str, candidate: Option<&IceCandidate>) -> String {
    let candidate = match candidate {
        Some(c) => json!({
            "candidate": c.candidate,
            "sdpMid": c.sdp_mid,
            "sdpMLineIndex": c.sdp_m_line_index,
        }),
        None => json!({"completed": true}),
    };
    json!({"janus": "trickle", "transaction": transaction, "candidate": candidate}).to_string()
}

/// `{"janus":"keepalive"}`: keeps a session alive past Janus's `session_timeout` (60 s by default).
pub(crate) fn keepalive(transaction: &str) -> String {
    json!({"janus": "keepalive", "transaction": transaction}).to_string()
}

/// `{"janus":"destroy"}`: ends the session and every handle in it (the PeerConnection hangs up).
pub(crate) fn destroy(transaction: &str) -> String {
    json!({"janus": "destroy", "transaction": transaction}).to_string()
}

/// Janus's synchronous answer to a POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `success`, with `data.id` when the request created something (a session or a handle).
    Success {
        transaction: String,
        id: Option<u64>,
    },
    /// `ack`: accepted; the outcome comes later as an event on the long poll.
    Ack { transaction: String },
    /// `error`, with Janus's code and reason.
    Error { code: i64, reason: String },
}

/// Why a reply or an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a Janus message: {0}")]
    Shape(String),
}

/// An SDP carried in a `jsep` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Jsep {
    pub kind: String,
    pub sdp: String,
}

/// What the long poll delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// Nothing happened for Janus's long-poll period (30 s).
    Keepalive,
    /// A plugin's asynchronous reply to a message; the echotest's carries the answer in `jsep`, or an
    /// `error` in its data.
    Plugin {
        transaction: Option<String>,
        jsep: Option<Jsep>,
        error: Option<String>,
    },
    /// A candidate Janus trickled (full-trickle only), or its end (`None`).
    Trickle(Option<IceCandidate>),
    /// ICE and DTLS are up.
    WebrtcUp,
    /// Janus started or stopped receiving one kind of media.
    Media { kind: String, receiving: bool },
    /// Janus saw loss on one kind of media.
    SlowLink { media: String, uplink: bool },
    /// The PeerConnection went down, with Janus's reason.
    Hangup { reason: String },
    /// The handle is gone.
    Detached,
    /// An error addressed to the session rather than to a request.
    Error { code: i64, reason: String },
    /// An event kind the probe does not know, by name.
    Other(String),
}

/// Reads Janus's reply to a POST.
pub(crate) fn parse_reply(bytes: &[u8]) -> Result<Reply, ParseError> {
    let value = parse_json(bytes)?;
    let transaction = || str_field(&value, "transaction").unwrap_or_default();
    match str_field(&value, "janus").as_deref() {
        Some("success") => Ok(Reply::Success {
            transaction: transaction(),
            id: value.pointer("/data/id").and_then(Value::as_u64),
        }),
        Some("ack") => Ok(Reply::Ack {
            transaction: transaction(),
        }),
        Some("error") => {
            let (code, reason) = error_of(&value);
            Ok(Reply::Error { code, reason })
        }
        Some(other) => Err(ParseError::Shape(format!("unexpected reply {other:?}"))),
        None => Err(ParseError::Shape("no \"janus\" field".into())),
    }
}

/// Reads one long-poll response: a single event (`maxev=1`) or an array of them.
pub(crate) fn parse_events(bytes: &[u8]) -> Result<Vec<Event>, ParseError> {
    match parse_json(bytes)? {
        Value::Array(items) => items.iter().map(event).collect(),
        one => event(&one).map(|e| vec![e]),
    }
}

fn event(value: &Value) -> Result<Event, ParseError> {
    let Some(kind) = str_field(value, "janus") else {
        return Err(ParseError::Shape("event without a \"janus\" field".into()));
    };
    Ok(match kind.as_str() {
        "keepalive" => Event::Keepalive,
        "event" => Event::Plugin {
            transaction: str_field(value, "transaction"),
            jsep: value.get("jsep").and_then(|j| {
                Some(Jsep {
                    kind: str_field(j, "type")?,
                    sdp: str_field(j, "sdp")?,
                })
            }),
            error: value
                .pointer("/plugindata/data/error")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        "trickle" => Event::Trickle(trickled(value.get("candidate"))),
        "webrtcup" => Event::WebrtcUp,
        "media" => Event::Media {
            kind: str_field(value, "type").unwrap_or_default(),
            receiving: value
                .get("receiving")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "slowlink" => Event::SlowLink {
            media: str_field(value, "media").unwrap_or_default(),
            uplink: value
                .get("uplink")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "hangup" => Event::Hangup {
            reason: str_field(value, "reason").unwrap_or_default(),
        },
        "detached" => Event::Detached,
        "error" => {
            let (code, reason) = error_of(value);
            Event::Error { code, reason }
        }
        _ => Event::Other(kind),
    })
}

/// A trickled candidate; `{"completed":true}`, a missing one or one without a candidate line end it.
fn trickled(candidate: Option<&Value>) -> Option<IceCandidate> {
    let c = candidate?;
    Some(IceCandidate {
        candidate: str_field(c, "candidate")?,
        sdp_mid: str_field(c, "sdpMid").unwrap_or_default(),
        sdp_m_line_index: c
            .get("sdpMLineIndex")
            .and_then(Value::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(0),
    })
}

fn parse_json(bytes: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(bytes).map_err(|e| ParseError::NotJson(e.to_string()))
}

fn str_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn error_of(value: &Value) -> (i64, String) {
    let code = value
        .pointer("/error/code")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let reason = value
        .pointer("/error/reason")
        .and_then(Value::as_str)
        .unwrap_or("(no reason)")
        .to_owned();
    (code, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The replies and events below are Janus 1.1.2's (Debian), captured with `json = "plain"`.

    #[test]
    fn create_and_attach_replies_carry_the_new_ids() {
        let created =
            br#"{"janus": "success", "transaction": "a", "data": {"id": 7810865508081309}}"#;
        assert_eq!(
            parse_reply(created),
            Ok(Reply::Success {
                transaction: "a".into(),
                id: Some(7810865508081309)
            })
        );
        let attached = br#"{"janus": "success", "session_id": 7136215312306152, "transaction": "b", "data": {"id": 2764080230100403}}"#;
        assert_eq!(
            parse_reply(attached),
            Ok(Reply::Success {
                transaction: "b".into(),
                id: Some(2764080230100403)
            })
        );
        let destroyed =
            br#"{"janus": "success", "session_id": 7136215312306152, "transaction": "d"}"#;
        assert_eq!(
            parse_reply(destroyed),
            Ok(Reply::Success {
                transaction: "d".into(),
                id: None
            })
        );
    }

    #[test]
    fn acks_and_errors_are_told_apart() {
        let ack = br#"{"janus": "ack", "session_id": 1, "transaction": "c", "hint": "I'm taking my time!"}"#;
        assert_eq!(
            parse_reply(ack),
            Ok(Reply::Ack {
                transaction: "c".into()
            })
        );
        let error = br#"{"janus": "error", "session_id": 7136215312306152, "transaction": "c", "error": {"code": 459, "reason": "No such handle 123 in session 7136215312306152"}}"#;
        assert_eq!(
            parse_reply(error),
            Ok(Reply::Error {
                code: 459,
                reason: "No such handle 123 in session 7136215312306152".into()
            })
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"<html>404</html>",
            b"[]",
            b"{}",
            b"{\"janus\": 7}",
            b"{\"janus\": \"event\"}",
            b"{\"janus\": \"success\", \"data\": {\"id\": -1}}",
            b"{\"janus\": \"error\", \"error\": \"flat\"}",
            &[0xff, 0xfe],
        ] {
            let _ = parse_reply(bad);
            let _ = parse_events(bad);
        }
        assert!(matches!(
            parse_reply(b"not json"),
            Err(ParseError::NotJson(_))
        ));
        assert!(matches!(
            parse_reply(br#"{"janus": "event"}"#),
            Err(ParseError::Shape(_))
        ));
        assert_eq!(
            parse_reply(br#"{"janus": "success", "data": {"id": -1}}"#),
            Ok(Reply::Success {
                transaction: String::new(),
                id: None
            })
        );
    }

    #[test]
    fn the_echotest_answer_arrives_as_a_plugin_event_with_jsep() {
        let event = br#"{"janus": "event", "session_id": 1, "transaction": "c", "sender": 2, "plugindata": {"plugin": "janus.plugin.echotest", "data": {"echotest": "event", "result": "ok"}}, "jsep": {"type": "answer", "sdp": "v=0\r\n"}}"#;
        assert_eq!(
            parse_events(event),
            Ok(vec![Event::Plugin {
                transaction: Some("c".into()),
                jsep: Some(Jsep {
                    kind: "answer".into(),
                    sdp: "v=0\r\n".into()
                }),
                error: None
            }])
        );
        let refused = br#"{"janus": "event", "session_id": 1, "transaction": "c", "sender": 2, "plugindata": {"plugin": "janus.plugin.echotest", "data": {"echotest": "event", "error_code": 412, "error": "Invalid element (audio should be a boolean)"}}}"#;
        assert_eq!(
            parse_events(refused),
            Ok(vec![Event::Plugin {
                transaction: Some("c".into()),
                jsep: None,
                error: Some("Invalid element (audio should be a boolean)".into())
            }])
        );
    }

    #[test]
    fn session_events_are_read_one_or_many() {
        let many = br#"[
            {"janus": "keepalive"},
            {"janus": "webrtcup", "session_id": 1, "sender": 2},
            {"janus": "media", "session_id": 1, "sender": 2, "mid": "0", "type": "audio", "receiving": true},
            {"janus": "slowlink", "session_id": 1, "sender": 2, "mid": "1", "media": "video", "uplink": false, "lost": 5},
            {"janus": "trickle", "session_id": 1, "sender": 2, "candidate": {"sdpMid": "0", "sdpMLineIndex": 0, "candidate": "candidate:1 1 udp 2015363327 10.77.0.2 40000 typ host"}},
            {"janus": "trickle", "session_id": 1, "sender": 2, "candidate": {"completed": true}},
            {"janus": "hangup", "session_id": 1, "sender": 2, "reason": "DTLS alert"},
            {"janus": "detached", "session_id": 1, "sender": 2},
            {"janus": "error", "error": {"code": 458, "reason": "No such session 1"}},
            {"janus": "timeout", "session_id": 1}
        ]"#;
        let events = parse_events(many);
        assert_eq!(
            events,
            Ok(vec![
                Event::Keepalive,
                Event::WebrtcUp,
                Event::Media {
                    kind: "audio".into(),
                    receiving: true
                },
                Event::SlowLink {
                    media: "video".into(),
                    uplink: false
                },
                Event::Trickle(Some(IceCandidate {
                    candidate: "candidate:1 1 udp 2015363327 10.77.0.2 40000 typ host".into(),
                    sdp_mid: "0".into(),
                    sdp_m_line_index: 0
                })),
                Event::Trickle(None),
                Event::Hangup {
                    reason: "DTLS alert".into()
                },
                Event::Detached,
                Event::Error {
                    code: 458,
                    reason: "No such session 1".into()
                },
                Event::Other("timeout".into()),
            ])
        );
        assert_eq!(
            parse_events(br#"{"janus": "keepalive"}"#),
            Ok(vec![Event::Keepalive])
        );
    }

    #[test]
    fn requests_have_the_shapes_janus_expects() {
        let offer: Value = serde_json::from_str(&offer("t", true, false, "v=0")).unwrap();
        assert_eq!(
            offer,
            json!({"janus": "message", "transaction": "t", "body": {"audio": true, "video": false},
                   "jsep": {"type": "offer", "sdp": "v=0"}})
        );
        let c = IceCandidate {
            candidate: "candidate:1 1 udp 1 10.77.0.1 5000 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        };
        let one: Value = serde_json::from_str(&trickle("t", Some(&c))).unwrap();
        assert_eq!(
            one["candidate"],
            json!({"candidate": c.candidate, "sdpMid": "0", "sdpMLineIndex": 0})
        );
        let end: Value = serde_json::from_str(&trickle("t", None)).unwrap();
        assert_eq!(end["candidate"], json!({"completed": true}));
        let attach: Value = serde_json::from_str(&attach("t", ECHOTEST)).unwrap();
        assert_eq!(attach["plugin"], "janus.plugin.echotest");
        for (text, verb) in [
            (create("t"), "create"),
            (keepalive("t"), "keepalive"),
            (destroy("t"), "destroy"),
        ] {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                (v["janus"].as_str(), v["transaction"].as_str()),
                (Some(verb), Some("t"))
            );
        }
    }
}
