//! The one helper behind the client tests: plays a transcript against a [`kurento::Client`] on a virtual clock.
//!
//! Lines (besides `kurento::transcript`'s `C>`/`K>` frames and `#` comments):
//! * `A> {"method":…,"params":{…}}`: the application calls `request` with that method (no id, no sessionId);
//! * `O> {…}`: the next output must match (rendered as JSON by [`render`]; `$NAME` and `"*"` work as in frames);
//! * `K! <text>`: feed the raw text as one frame (for malformed input);
//! * `@connect`, `@disconnect`, `@abandon`, `@wait <n>ms|s`, `@let NAME = <json>`, `@config {…}`, `@include <file>`,
//!   `@next-timeout <n>ms|s` (what `poll_timeout` must say, relative to the start).
//!
//! Strict: before every input, every frame the client transmitted and every output must have been matched
//! (except that `@disconnect` may discard frames not yet written, which is what it tests); and no request id
//! may ever repeat.

use kurento::transcript::{self, Bindings, Direction};
use kurento::{
    Client, ClientConfig, Output, RawRequest, Request, RequestError, RpcSessionLostReason,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Plays `kurento/tests/transcripts/<name>`; panics with the failing line.
pub(crate) fn run_transcript(name: &str) {
    if let Err(e) = run_file(name) {
        panic!("{name}: {e}");
    }
}

pub(crate) fn run_file(name: &str) -> Result<(), String> {
    let mut player = Player::new();
    player.play_file(name)?;
    player.expect_idle(true)
}

/// Plays transcript text directly (used to prove the helper itself catches mismatches).
pub(crate) fn run_text(text: &str) -> Result<(), String> {
    let mut player = Player::new();
    player.play("<text>", text)?;
    player.expect_idle(true)
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

struct Player {
    client: Client,
    start: Instant,
    now: Instant,
    bindings: Bindings,
    ids_sent: HashSet<String>,
    configured: bool,
}

impl Player {
    fn new() -> Self {
        let start = Instant::now();
        Self {
            client: Client::new(ClientConfig::default()),
            start,
            now: start,
            bindings: Bindings::default(),
            ids_sent: HashSet::new(),
            configured: false,
        }
    }

    fn play_file(&mut self, name: &str) -> Result<(), String> {
        let text = std::fs::read_to_string(dir().join(name)).map_err(|e| format!("{name}: {e}"))?;
        self.play(name, &text)
    }

    fn play(&mut self, file: &str, text: &str) -> Result<(), String> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            self.line(line)
                .map_err(|e| format!("{file}:{}: {e}\n  {line}", i + 1))?;
        }
        Ok(())
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        if let Some(d) = line.strip_prefix('@') {
            return self.directive(d);
        }
        if let Some(raw) = line.strip_prefix("K!") {
            self.expect_idle(true)?;
            self.client.handle_frame(raw.trim(), self.now);
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("A>") {
            self.expect_idle(true)?;
            let v: Value = serde_json::from_str(rest.trim()).map_err(|e| e.to_string())?;
            let v = self.bindings.substitute(&v);
            let raw = RawRequest {
                id: None,
                method: v["method"].as_str().ok_or("A> needs a method")?.to_owned(),
                params: v.get("params").and_then(Value::as_object).cloned(),
            };
            let req = Request::parse(&raw).map_err(|e| e.to_string())?;
            self.client.request(req.method, self.now);
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("O>") {
            let expected: Value = serde_json::from_str(rest.trim()).map_err(|e| e.to_string())?;
            let out = self
                .client
                .poll_output()
                .ok_or("expected an output, got none")?;
            return self.bindings.check(&expected, &render(&out));
        }
        let parsed = transcript::parse(line)?;
        let Some(frame) = parsed.first() else {
            return Ok(());
        };
        match frame.direction {
            Direction::ToServer => {
                let sent = self
                    .client
                    .poll_transmit()
                    .ok_or("expected a frame, the client sent none")?;
                let actual: Value = serde_json::from_str(&sent)
                    .map_err(|e| format!("client sent non-JSON {sent:?}: {e}"))?;
                self.bindings.check(&frame.message, &actual)?;
                let id = actual["id"].to_string();
                if !self.ids_sent.insert(id.clone()) {
                    return Err(format!("request id {id} was used twice"));
                }
                Ok(())
            }
            Direction::ToClient => {
                self.expect_idle(true)?;
                let text = self.bindings.substitute(&frame.message).to_string();
                self.client.handle_frame(&text, self.now);
                Ok(())
            }
        }
    }

    fn directive(&mut self, d: &str) -> Result<(), String> {
        let (word, arg) = d.split_once(' ').map_or((d, ""), |(w, a)| (w, a.trim()));
        match word {
            "connect" => {
                self.expect_idle(true)?;
                self.client.on_connected(self.now);
            }
            "disconnect" => {
                // Frames still queued are discarded by design: they were never written.
                self.expect_idle(false)?;
                self.client.on_disconnected(self.now);
            }
            "abandon" => {
                self.expect_idle(false)?;
                self.client.abandon_waiting();
            }
            "wait" => {
                self.expect_idle(true)?;
                self.now += duration(arg)?;
                self.client.handle_timeout(self.now);
            }
            "next-timeout" => {
                let want = self.start + duration(arg)?;
                let got = self.client.poll_timeout();
                if got != Some(want) {
                    return Err(format!(
                        "poll_timeout is {:?} after start, wanted {arg}",
                        got.map(|t| t - self.start)
                    ));
                }
            }
            "let" => {
                let (name, value) = arg.split_once('=').ok_or("@let NAME = <json>")?;
                let value: Value = serde_json::from_str(value.trim()).map_err(|e| e.to_string())?;
                self.bindings.bind(name.trim(), value);
            }
            "config" => {
                if self.configured || self.now != self.start {
                    return Err("@config must come first".into());
                }
                let v: Value = serde_json::from_str(arg).map_err(|e| e.to_string())?;
                let ms = |k: &str, d: Duration| {
                    v.get(k)
                        .and_then(Value::as_u64)
                        .map_or(d, Duration::from_millis)
                };
                let base = ClientConfig::default();
                let config = ClientConfig {
                    request_timeout: ms("request_timeout_ms", base.request_timeout),
                    ping_interval: ms("ping_interval_ms", base.ping_interval),
                    ping_timeout: ms("ping_timeout_ms", base.ping_timeout),
                    max_pending: v
                        .get("max_pending")
                        .and_then(Value::as_u64)
                        .map_or(base.max_pending, |n| n as usize),
                };
                self.client = Client::new(config);
                self.configured = true;
            }
            "include" => self.play_file(arg)?,
            _ => return Err(format!("unknown directive @{word}")),
        }
        Ok(())
    }

    /// Fails if the client produced something the transcript did not expect.
    fn expect_idle(&mut self, frames_too: bool) -> Result<(), String> {
        if let Some(o) = self.client.poll_output() {
            return Err(format!("unexpected output {}", render(&o)));
        }
        if let Some(f) = frames_too.then(|| self.client.poll_transmit()).flatten() {
            return Err(format!("unexpected frame {f}"));
        }
        Ok(())
    }
}

fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {s:?}");
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    let secs = s.strip_suffix('s').ok_or_else(bad)?;
    secs.parse().map(Duration::from_secs).map_err(|_| bad())
}

/// An output as JSON, so transcripts can state it and use placeholders.
pub(crate) fn render(o: &Output) -> Value {
    match o {
        Output::Response { id, method, result } => {
            let mut r = json!({"id": id.0, "method": method});
            match result {
                Ok(v) => r["value"] = v.clone(),
                Err(RequestError::Rpc(e)) => {
                    r["error"] = json!({"code": e.code, "message": e.message});
                    if let Some(d) = &e.data {
                        r["error"]["data"] = d.clone();
                    }
                }
                Err(RequestError::Timeout(_)) => r["failed"] = "timeout".into(),
                Err(RequestError::Lost) => r["failed"] = "lost".into(),
                Err(RequestError::Overloaded(_)) => r["failed"] = "overloaded".into(),
                Err(RequestError::NotSent) => r["failed"] = "notSent".into(),
            }
            json!({ "response": r })
        }
        Output::Event(e) => json!({ "event": e.to_value() }),
        Output::RpcSessionEstablished {
            session_id,
            server_info,
        } => json!({"sessionEstablished": {
            "sessionId": session_id, "version": server_info.version,
            "capabilities": server_info.capabilities,
            "modules": server_info.modules.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
        }}),
        Output::RpcSessionResumed {
            session_id,
            server_id,
        } => {
            json!({"sessionResumed": {"sessionId": session_id, "serverId": server_id}})
        }
        Output::RpcSessionLost { session_id, reason } => match reason {
            RpcSessionLostReason::ServerRestarted {
                previous_server_id,
                server_id,
            } => json!({"sessionLost": {
                "sessionId": session_id, "reason": "serverRestarted",
                "previousServerId": previous_server_id, "serverId": server_id,
            }}),
            RpcSessionLostReason::UnknownSession(e) => json!({"sessionLost": {
                "sessionId": session_id, "reason": "unknownSession", "code": e.code,
            }}),
        },
        Output::PingTimeout => json!({"pingTimeout": true}),
        Output::HandshakeFailed { step, reason } => {
            json!({"handshakeFailed": {"step": format!("{step:?}"), "reason": reason}})
        }
        Output::BadFrame(e) => json!({ "badFrame": e.to_string() }),
        Output::Unclaimed { method, objects } => {
            json!({"unclaimed": {"method": method, "objects": objects}})
        }
    }
}
