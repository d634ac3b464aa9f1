//! The tutorial's browser protocol on /helloworld: parsing what the page sends and shaping what it receives.
//!
//! Pure data in, data out: no sockets here, so every message shape is testable on its own. Every parse failure is
//! a sentence the person at the browser can act on; it goes back to the page as `{"id":"error","message":…}`.

use serde_json::{Map, Value, json};

/// An ICE candidate as the browser's `RTCIceCandidate.toJSON()` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `candidate:…` attribute value; empty means end-of-candidates.
    pub candidate: String,
    /// `sdpMid`: the media section's mid; empty when the browser sent none.
    pub sdp_mid: String,
    /// `sdpMLineIndex`: the media section's index; 0 when the browser sent none.
    pub sdp_m_line_index: u32,
}

/// A message from the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// `{"id":"start","sdpOffer":…}`: start the call with this offer.
    Start {
        /// The browser's SDP offer, never empty.
        sdp_offer: String,
    },
    /// `{"id":"onIceCandidate","candidate":{…}}`: one trickled browser candidate.
    OnIceCandidate(Candidate),
    /// `{"id":"stop"}`: end the call.
    Stop,
    /// Our own page's opt-in to the extra `sessionEvent` messages, which the tutorial's page would treat as errors.
    SubscribeEvents,
    /// `{"id":"getStats"}`: our own page asking for the media server's view of its call.
    GetStats,
    /// `{"id":"restartIce","sdpOffer":…}`: our own page's new offer with new ICE credentials, after its
    /// connection failed or its network changed.
    RestartIce {
        /// The new offer, never empty.
        sdp_offer: String,
    },
    /// `{"id":"resume","token":…}`: our own page, back on a new socket, continuing the call its last
    /// `startResponse` (or `resumeResponse`) gave it a token for.
    Resume {
        /// The resumption token, as the bridge issued it.
        token: String,
    },
}

impl ClientMessage {
    /// The message's `id`, as the page sent it.
    pub fn id(&self) -> &'static str {
        match self {
            Self::Start { .. } => "start",
            Self::OnIceCandidate(_) => "onIceCandidate",
            Self::Stop => "stop",
            Self::SubscribeEvents => "subscribeEvents",
            Self::Resume { .. } => "resume",
            Self::GetStats => "getStats",
            Self::RestartIce { .. } => "restartIce",
        }
    }
}

/// Why the bridge sent an `error`, for counting (the page only sees the sentence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unparseable, binary, over the answered size limit, or out of order (a candidate before start).
    BadMessage,
    /// A frame over the hard size limit; the socket is closed.
    TooBig,
    /// Over the message rate; the socket is closed.
    RateLimited,
    /// More browser candidates than the bridge holds for one call.
    TooManyCandidates,
    /// A gateway call failed (Start, AddIceCandidate, the event stream).
    Gateway,
    /// The gateway ended the session for a reason other than our Stop.
    SessionEnded,
    /// The bridge is draining.
    ShuttingDown,
    /// A `resume` found no call to continue.
    ResumeFailed,
}

impl ErrorKind {
    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadMessage => "bad_message",
            Self::TooBig => "too_big",
            Self::RateLimited => "rate_limited",
            Self::TooManyCandidates => "too_many_candidates",
            Self::Gateway => "gateway",
            Self::SessionEnded => "session_ended",
            Self::ShuttingDown => "shutting_down",
            Self::ResumeFailed => "resume_failed",
        }
    }
}

/// A message to the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `{"id":"startResponse","sdpAnswer":…}`: Start succeeded.
    StartResponse {
        /// The media server's SDP answer.
        sdp_answer: String,
        /// How to continue the call from another socket, when re-attach is on (extra fields, which the
        /// tutorial's page ignores).
        resume: Option<Ticket>,
        /// Whether `restartIce` works on this call (`iceRestart`).
        ice_restart: bool,
    },
    /// `{"id":"restartIceResponse","sdpAnswer":…}`: the media server's answer to `restartIce`.
    RestartIceResponse {
        /// The answer, with the media server's new ICE credentials.
        sdp_answer: String,
    },
    /// `{"id":"resumeResponse","resumeToken":…,"resumeWithinMs":…}`: the call goes on on this socket, with a
    /// fresh token for the next time.
    ResumeResponse(Option<Ticket>),
    /// `{"id":"iceCandidate","candidate":{…}}`: one of the media server's candidates.
    IceCandidate(Candidate),
    /// Always a plain sentence (the tutorial's server sometimes sent an object here); the kind is not sent, it
    /// labels the `web_bridge_browser_errors_total` metric.
    Error(ErrorKind, String),
    /// Only for sockets that sent `subscribeEvents`: `{"id":"sessionEvent","event":{"type":…,…}}`.
    SessionEvent(Value),
    /// `{"id":"stats","streams":[…]}`: the answer to `getStats`, one entry per RTP stream; or
    /// `{"id":"stats","error":…}` when the media server could not say (not an `error`: the call goes on).
    Stats(Result<Value, String>),
}

/// What a page needs to resume its call on another socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The one-use resumption token.
    pub token: String,
    /// How long after its socket drops the call waits for it.
    pub within_ms: u64,
}

impl ServerMessage {
    /// The JSON text frame for this message.
    pub fn to_text(&self) -> String {
        let value = match self {
            Self::StartResponse {
                sdp_answer,
                resume,
                ice_restart,
            } => {
                let mut value = json!({
                    "id": "startResponse",
                    "sdpAnswer": sdp_answer,
                    "iceRestart": ice_restart,
                });
                if let Some(ticket) = resume {
                    value["resumeToken"] = json!(ticket.token);
                    value["resumeWithinMs"] = json!(ticket.within_ms);
                }
                value
            }
            Self::RestartIceResponse { sdp_answer } => {
                json!({"id": "restartIceResponse", "sdpAnswer": sdp_answer})
            }
            Self::ResumeResponse(ticket) => {
                let mut value = json!({"id": "resumeResponse"});
                if let Some(ticket) = ticket {
                    value["resumeToken"] = json!(ticket.token);
                    value["resumeWithinMs"] = json!(ticket.within_ms);
                }
                value
            }
            Self::IceCandidate(c) => json!({
                "id": "iceCandidate",
                "candidate": {
                    "candidate": c.candidate,
                    "sdpMid": c.sdp_mid,
                    "sdpMLineIndex": c.sdp_m_line_index,
                    "__module__": "kurento",
                    "__type__": "IceCandidate",
                },
            }),
            Self::Error(_, message) => json!({"id": "error", "message": message}),
            Self::SessionEvent(event) => json!({"id": "sessionEvent", "event": event}),
            Self::Stats(Ok(streams)) => json!({"id": "stats", "streams": streams}),
            Self::Stats(Err(why)) => json!({"id": "stats", "error": why}),
        };
        value.to_string()
    }
}

/// Parses one text frame from the browser.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("message is not valid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("message must be a JSON object with an \"id\" field".to_owned());
    };
    let id = match object.get("id") {
        Some(Value::String(id)) => id.as_str(),
        Some(_) => return Err("message \"id\" must be a string".to_owned()),
        None => return Err("message has no \"id\" field".to_owned()),
    };
    match id {
        "start" => offer(&object, "start").map(|sdp_offer| ClientMessage::Start { sdp_offer }),
        "restartIce" => {
            offer(&object, "restartIce").map(|sdp_offer| ClientMessage::RestartIce { sdp_offer })
        }
        "onIceCandidate" => parse_candidate(&object).map(ClientMessage::OnIceCandidate),
        "stop" => Ok(ClientMessage::Stop),
        "subscribeEvents" => Ok(ClientMessage::SubscribeEvents),
        "getStats" => Ok(ClientMessage::GetStats),
        "resume" => match object.get("token") {
            // Tokens are 64 hex digits; anything much longer is not one and is not echoed or looked up.
            Some(Value::String(token)) if !token.is_empty() && token.len() <= 128 => {
                Ok(ClientMessage::Resume {
                    token: token.clone(),
                })
            }
            Some(Value::String(_)) => {
                Err("resume's \"token\" is empty or too long to be a resumption token".to_owned())
            }
            Some(_) => Err("resume's \"token\" must be a string".to_owned()),
            None => Err("resume has no \"token\"".to_owned()),
        },
        other => Err(format!("unknown message id {:?}", truncate(other, 40))),
    }
}

/// The `sdpOffer` of a `start` or `restartIce` (named `what` in the sentence).
fn offer(object: &Map<String, Value>, what: &str) -> Result<String, String> {
    match object.get("sdpOffer") {
        Some(Value::String(sdp)) if !sdp.trim().is_empty() => Ok(sdp.clone()),
        Some(Value::String(_)) => Err(format!("{what} has an empty \"sdpOffer\"")),
        Some(_) => Err(format!(
            "{what}'s \"sdpOffer\" must be a string holding the SDP offer"
        )),
        None => Err(format!("{what} has no \"sdpOffer\"")),
    }
}

fn parse_candidate(object: &Map<String, Value>) -> Result<Candidate, String> {
    let Some(Value::Object(c)) = object.get("candidate") else {
        return Err("onIceCandidate needs a \"candidate\" object".to_owned());
    };
    let candidate = match c.get("candidate") {
        Some(Value::String(s)) => s.clone(),
        // The browser's final "no more candidates" arrives as null or missing text.
        Some(Value::Null) | None => String::new(),
        Some(_) => return Err("onIceCandidate's candidate.candidate must be a string".to_owned()),
    };
    if !candidate.is_empty() && !candidate.starts_with("candidate:") {
        return Err(format!(
            "ICE candidate {:?} does not start with \"candidate:\"",
            truncate(&candidate, 60)
        ));
    }
    let sdp_mid = match c.get("sdpMid") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(_) => return Err("onIceCandidate's candidate.sdpMid must be a string".to_owned()),
    };
    let sdp_m_line_index = match c.get("sdpMLineIndex") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or(
            "onIceCandidate's candidate.sdpMLineIndex must be a small non-negative integer",
        )?,
        Some(Value::Null) | None => 0,
        Some(_) => {
            return Err("onIceCandidate's candidate.sdpMLineIndex must be a number".to_owned());
        }
    };
    Ok(Candidate {
        candidate,
        sdp_mid,
        sdp_m_line_index,
    })
}

/// Keeps echoed input short, cut on a character boundary.
fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_tutorial_messages() {
        assert_eq!(
            parse(r#"{"id":"start","sdpOffer":"v=0\r\n"}"#),
            Ok(ClientMessage::Start {
                sdp_offer: "v=0\r\n".into()
            })
        );
        let c = r#"{"id":"onIceCandidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"ab"}}"#;
        assert_eq!(
            parse(c),
            Ok(ClientMessage::OnIceCandidate(Candidate {
                candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host".into(),
                sdp_mid: "0".into(),
                sdp_m_line_index: 0,
            }))
        );
        assert_eq!(parse(r#"{"id":"stop"}"#), Ok(ClientMessage::Stop));
        assert_eq!(
            parse(r#"{"id":"resume","token":"ab12"}"#),
            Ok(ClientMessage::Resume {
                token: "ab12".into()
            })
        );
    }

    #[test]
    fn restart_ice_needs_an_offer() {
        assert_eq!(
            parse(r#"{"id":"restartIce","sdpOffer":"v=0\r\n"}"#),
            Ok(ClientMessage::RestartIce {
                sdp_offer: "v=0\r\n".into()
            })
        );
        assert!(
            parse(r#"{"id":"restartIce"}"#)
                .unwrap_err()
                .contains("restartIce has no \"sdpOffer\"")
        );
        assert!(
            parse(r#"{"id":"restartIce","sdpOffer":" "}"#)
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn resume_needs_a_token() {
        assert!(
            parse(r#"{"id":"resume"}"#)
                .unwrap_err()
                .contains("no \"token\"")
        );
        assert!(
            parse(r#"{"id":"resume","token":7}"#)
                .unwrap_err()
                .contains("must be a string")
        );
        let long = format!(r#"{{"id":"resume","token":"{}"}}"#, "a".repeat(500));
        assert!(parse(&long).unwrap_err().contains("too long"));
    }

    #[test]
    fn start_response_carries_the_ticket_only_when_resumable() {
        let plain: Value = serde_json::from_str(
            &ServerMessage::StartResponse {
                sdp_answer: "v=0".into(),
                resume: None,
                ice_restart: false,
            }
            .to_text(),
        )
        .unwrap();
        assert!(plain.get("resumeToken").is_none());
        let ticket = Ticket {
            token: "t".into(),
            within_ms: 30_000,
        };
        let resumable: Value = serde_json::from_str(
            &ServerMessage::StartResponse {
                sdp_answer: "v=0".into(),
                resume: Some(ticket.clone()),
                ice_restart: true,
            }
            .to_text(),
        )
        .unwrap();
        assert_eq!(resumable["resumeToken"], "t");
        assert_eq!(resumable["iceRestart"], true);
        assert_eq!(plain["iceRestart"], false);
        assert_eq!(resumable["resumeWithinMs"], 30_000);
        let resumed: Value =
            serde_json::from_str(&ServerMessage::ResumeResponse(Some(ticket)).to_text()).unwrap();
        assert_eq!(resumed["id"], "resumeResponse");
        assert_eq!(resumed["resumeToken"], "t");
    }

    #[test]
    fn bad_input_gets_a_sentence() {
        assert!(parse("not json").unwrap_err().contains("not valid JSON"));
        assert!(parse("[1]").unwrap_err().contains("JSON object"));
        assert!(
            parse(r#"{"id":"dance"}"#)
                .unwrap_err()
                .contains("unknown message id \"dance\"")
        );
        assert!(
            parse(r#"{"id":"start"}"#)
                .unwrap_err()
                .contains("no \"sdpOffer\"")
        );
        assert!(
            parse(r#"{"id":"start","sdpOffer":7}"#)
                .unwrap_err()
                .contains("must be a string")
        );
        assert!(
            parse(r#"{"id":"onIceCandidate"}"#)
                .unwrap_err()
                .contains("\"candidate\" object")
        );
    }

    #[test]
    fn server_candidates_carry_the_kurento_type_tags() {
        let text = ServerMessage::IceCandidate(Candidate {
            candidate: "candidate:1 1 UDP 2015363327 127.0.0.1 20372 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 0,
        })
        .to_text();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["id"], "iceCandidate");
        assert_eq!(v["candidate"]["__module__"], "kurento");
        assert_eq!(v["candidate"]["__type__"], "IceCandidate");
        assert_eq!(v["candidate"]["sdpMLineIndex"], 0);
    }
}
