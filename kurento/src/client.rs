//! The Kurento client state machine, sans-IO: request ids, the session, pending requests and their
//! deadlines, the keep-alive, and the resume-or-start-over handshake on every (re)connection.
//!
//! The caller owns the socket and the clock. It feeds what happens in (`on_connected`, `handle_frame`,
//! `on_disconnected`, `handle_timeout`) and drains what must happen out (`poll_transmit`, `poll_output`,
//! `poll_timeout`), in the style of str0m. Nothing here blocks, spawns or reads time.
//!
//! Connection lifecycle, as kurento-client-js 7.2.0 does it (protocol page §7):
//! * a connection with no session: `ping {interval}`, `describe manager_ServerManager` (KMS makes the session
//!   and returns its id), `invoke getInfo` → [`Output::RpcSessionEstablished`];
//! * a reconnection with a session: `ping`, `connect {sessionId}` → [`Output::RpcSessionResumed`], or, when the
//!   server answers 40007 or a different `serverId`, [`Output::RpcSessionLost`] and a fresh session as above.
//!
//! Requests made before the session is ready wait (their deadline runs); requests already written when the
//! socket drops fail with [`RequestError::Lost`] at once, since KMS will never answer them on a new socket.

use crate::error::{ErrorCode, RpcError};
use crate::event::{Event, ON_EVENT};
use crate::ids::{ObjectId, RpcSessionId};
use crate::jsonrpc::{DecodeError, Id, Message, Response};
use crate::operation::ServerManagerOp;
use crate::request::{Method, Request, SERVER_MANAGER};
use crate::types::ServerInfo;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

/// Timers and limits of one client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// How long a request may wait for its response (kurento-client-js: 20 s), counted from `request`.
    pub request_timeout: Duration,
    /// Time between pings while connected (kurento-client-js: 60 s).
    pub ping_interval: Duration,
    /// How long a ping may wait for its pong before [`Output::PingTimeout`].
    pub ping_timeout: Duration,
    /// Requests waiting or in flight at once; more fail with [`RequestError::Overloaded`]. `release` is
    /// exempt: refusing to free objects because the server is busy would leave them behind for good.
    pub max_pending: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(20),
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(20),
            max_pending: 1024,
        }
    }
}

/// The JSON-RPC id of a request; unique for the life of the client, across reconnections (§1.2: KMS caches
/// responses by session and id for 20 s, so a reused id could be answered from that cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a request has no result.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// The media server answered with an error.
    #[error("{0}")]
    Rpc(RpcError),
    /// No response arrived within the configured request timeout (held here).
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// It had been written when the connection dropped; no answer will ever come.
    #[error("the connection dropped while the request was in flight")]
    Lost,
    /// Refused at once: `max_pending` requests (held here) were already waiting or in flight.
    #[error("too many requests pending (limit {0})")]
    Overloaded(usize),
    /// Given up by [`Client::abandon_waiting`] before it was ever written.
    #[error("abandoned before it was sent")]
    NotSent,
}

/// Why every object of the old session is gone.
#[derive(Clone, Debug, PartialEq)]
pub enum RpcSessionLostReason {
    /// `connect` succeeded but the `serverId` changed: the media server restarted.
    ServerRestarted {
        /// The `serverId` the old session lived on.
        previous_server_id: String,
        /// The `serverId` `connect` reported now.
        server_id: String,
    },
    /// `connect` failed with 40007 INVALID_SESSION: a restart, or the session was collected.
    UnknownSession(RpcError),
}

/// Which handshake request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeStep {
    /// `describe manager_ServerManager`, which makes KMS issue a new session.
    Describe,
    /// `invoke getInfo` on the ServerManager, which checks the server's modules and capabilities.
    GetInfo,
    /// `connect {sessionId}`, which resumes the old session on a new connection.
    Resume,
}

/// A frame from the server that was ignored, and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// The frame is not JSON, or not a JSON-RPC message.
    #[error("{0}")]
    Decode(DecodeError),
    /// The server sent a request other than `onEvent` (its method name held here).
    #[error("unexpected request {0:?} from the media server")]
    UnexpectedRequest(String),
    /// An `onEvent` whose params could not be read.
    #[error("bad onEvent: {0}")]
    BadEvent(RpcError),
    /// A response whose id matches no request still waiting (never sent, answered or timed out).
    #[error("response to unknown or expired request id {0}")]
    UnmatchedResponse(Id),
    /// An error response with `id: null`, e.g. KMS refusing a frame it could not read.
    #[error("error response without an id: {0}")]
    ErrorWithoutId(RpcError),
}

/// What the caller must act on.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The outcome of a [`Client::request`]: `result.value` (`null` for void operations), or why not.
    Response {
        /// The id [`Client::request`] returned.
        id: RequestId,
        /// The JSON-RPC method of the request, e.g. `"invoke"`.
        method: &'static str,
        /// `result.value`, or why there is none.
        result: Result<Value, RequestError>,
    },
    /// An `onEvent` notification from the server, for a subscription of this session.
    Event(Event),
    /// A new session is ready (first connection, or after [`Output::RpcSessionLost`]).
    RpcSessionEstablished {
        /// The `sessionId` KMS issued.
        session_id: RpcSessionId,
        /// What `getInfo` reported about the server.
        server_info: ServerInfo,
    },
    /// The same session continues on a new connection; its objects and subscriptions still exist.
    RpcSessionResumed {
        /// The session that continues.
        session_id: RpcSessionId,
        /// The `serverId` `connect` reported (unchanged).
        server_id: String,
    },
    /// Every object of `session_id` is gone; a fresh session is being established.
    RpcSessionLost {
        /// The session that is gone.
        session_id: RpcSessionId,
        /// Why KMS no longer has it.
        reason: RpcSessionLostReason,
    },
    /// A ping got no pong in time: the connection is probably dead, and the caller should drop it.
    PingTimeout,
    /// The session could not be set up on this connection; the caller should drop it and retry later.
    HandshakeFailed {
        /// The handshake request that failed.
        step: HandshakeStep,
        /// The error it failed with, as text.
        reason: String,
    },
    /// A frame from the server was ignored; informative only, the client carries on.
    BadFrame(FrameError),
    /// A request that makes objects (`create`, or a `transaction` holding one) was answered after it
    /// had timed out: its caller is gone, so nobody owns `objects` but whoever hears this.
    Unclaimed {
        /// The JSON-RPC method of the late request.
        method: &'static str,
        /// What it made, outermost first (see [`Method::created_objects`]).
        objects: Vec<ObjectId>,
    },
}

enum Purpose {
    User(Method),
    Ping,
    Handshake(HandshakeStep),
}

struct Pending {
    purpose: Purpose,
    deadline: Instant,
    /// Handed out by `poll_transmit`, so possibly received by the server.
    sent: bool,
}

struct Held {
    id: u64,
    method: Method,
    deadline: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Disconnected,
    Handshaking,
    Ready,
}

/// One Kurento client: one session, over any number of successive connections.
pub struct Client {
    config: ClientConfig,
    next_id: u64,
    pings_sent: u64,
    session_id: Option<RpcSessionId>,
    server_id: Option<String>,
    server_info: Option<ServerInfo>,
    phase: Phase,
    next_ping: Option<Instant>,
    /// When the server last sent a frame (any frame): proof the link is alive while a pong is late.
    heard_at: Option<Instant>,
    pending: BTreeMap<u64, Pending>,
    held: VecDeque<Held>,
    /// Object-making requests that timed out after being written, oldest first, so a late reply's
    /// objects can be handed on ([`Output::Unclaimed`]). At most `max_pending`; cleared when the
    /// connection drops, since no reply can come after that.
    overdue: BTreeMap<u64, Method>,
    transmit: VecDeque<(u64, String)>,
    outputs: VecDeque<Output>,
}

impl Client {
    /// A disconnected client with no session yet; call `on_connected` once the socket is open.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            next_id: 0,
            pings_sent: 0,
            session_id: None,
            server_id: None,
            server_info: None,
            phase: Phase::Disconnected,
            next_ping: None,
            heard_at: None,
            pending: BTreeMap::new(),
            held: VecDeque::new(),
            overdue: BTreeMap::new(),
            transmit: VecDeque::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The Kurento session, once the server has issued one.
    pub fn session_id(&self) -> Option<&RpcSessionId> {
        self.session_id.as_ref()
    }

    /// The `serverId` from the last successful `connect`.
    pub fn server_id(&self) -> Option<&str> {
        self.server_id.as_deref()
    }

    /// What `getInfo` said when the current session was established.
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.server_info.as_ref()
    }

    /// Connected and the session established or resumed: requests go out at once.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// Queues `method` in the current session. Its outcome arrives as [`Output::Response`] with this id.
    pub fn request(&mut self, method: Method, now: Instant) -> RequestId {
        let id = self.alloc_id();
        let exempt = matches!(method, Method::Release { .. });
        if !exempt && self.pending.len() + self.held.len() >= self.config.max_pending {
            self.outputs.push_back(Output::Response {
                id: RequestId(id),
                method: method.name(),
                result: Err(RequestError::Overloaded(self.config.max_pending)),
            });
            return RequestId(id);
        }
        let deadline = now + self.config.request_timeout;
        if self.phase == Phase::Ready {
            self.send_user(id, method, deadline);
        } else {
            self.held.push_back(Held {
                id,
                method,
                deadline,
            });
        }
        RequestId(id)
    }

    /// A WebSocket to the media server is open: start (or resume) the session on it.
    pub fn on_connected(&mut self, now: Instant) {
        if self.phase != Phase::Disconnected {
            // The caller replaced a connection without telling us it closed.
            self.on_disconnected(now);
        }
        self.phase = Phase::Handshaking;
        self.send_ping(now);
        self.next_ping = Some(now + self.config.ping_interval);
        match self.session_id.clone() {
            Some(s) => self.send_internal(
                Purpose::Handshake(HandshakeStep::Resume),
                Method::Connect,
                Some(s),
                now,
            ),
            None => self.start_fresh_session(now),
        }
    }

    /// The WebSocket closed. Requests already written are lost; those not yet written wait for the next one.
    pub fn on_disconnected(&mut self, _now: Instant) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.phase = Phase::Disconnected;
        self.next_ping = None;
        self.transmit.clear();
        self.overdue.clear();
        let mut requeue = Vec::new();
        for (id, p) in std::mem::take(&mut self.pending) {
            match p.purpose {
                Purpose::User(method) if !p.sent => requeue.push(Held {
                    id,
                    method,
                    deadline: p.deadline,
                }),
                Purpose::User(method) => self.outputs.push_back(Output::Response {
                    id: RequestId(id),
                    method: method.name(),
                    result: Err(RequestError::Lost),
                }),
                Purpose::Ping | Purpose::Handshake(_) => {}
            }
        }
        requeue.extend(self.held.drain(..));
        requeue.sort_by_key(|h| h.id);
        self.held = requeue.into();
    }

    /// Fails every request not yet written (held while disconnected or setting up) with
    /// [`RequestError::NotSent`]. For callers that fail fast while down rather than let requests wait for
    /// the next connection, where they would run long after their caller gave up.
    pub fn abandon_waiting(&mut self) {
        let unsent: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| !p.sent && matches!(p.purpose, Purpose::User(_)))
            .map(|(id, _)| *id)
            .collect();
        let mut abandoned: Vec<(u64, &'static str)> = Vec::new();
        for id in unsent {
            if let Some(Pending {
                purpose: Purpose::User(m),
                ..
            }) = self.pending.remove(&id)
            {
                abandoned.push((id, m.name()));
            }
        }
        self.transmit
            .retain(|(id, _)| !abandoned.iter().any(|(a, _)| a == id));
        abandoned.extend(self.held.drain(..).map(|h| (h.id, h.method.name())));
        abandoned.sort_by_key(|(id, _)| *id);
        for (id, method) in abandoned {
            self.outputs.push_back(Output::Response {
                id: RequestId(id),
                method,
                result: Err(RequestError::NotSent),
            });
        }
    }

    /// One text frame from the media server. Never panics; bad frames become [`Output::BadFrame`].
    pub fn handle_frame(&mut self, text: &str, now: Instant) {
        self.heard_at = Some(now);
        match Message::decode(text) {
            Err(e) => self.bad(FrameError::Decode(e)),
            Ok(Message::Request(r)) if r.method == ON_EVENT && r.id.is_none() => {
                let params = r.params.unwrap_or_default();
                match Event::from_params(&params) {
                    Ok(e) => self.outputs.push_back(Output::Event(e)),
                    Err(e) => self.bad(FrameError::BadEvent(e)),
                }
            }
            Ok(Message::Request(r)) => self.bad(FrameError::UnexpectedRequest(r.method)),
            Ok(Message::Response(r)) => self.on_response(r, now),
        }
    }

    /// Expires requests and sends the keep-alive ping when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            let Some(p) = self.pending.remove(&id) else {
                continue;
            };
            match p.purpose {
                Purpose::User(m) => {
                    self.timed_out(id, m.name());
                    if p.sent && m.creates() {
                        self.remember_overdue(id, m);
                    }
                }
                // A server busy answering other requests answers a ping in its turn, after them: any
                // frame since the ping went out (or was last given more time) proves the link alive,
                // so the ping waits another timeout. Only a server that says nothing for a whole
                // timeout is reported.
                Purpose::Ping
                    if self
                        .heard_at
                        .is_some_and(|at| at > p.deadline - self.config.ping_timeout) =>
                {
                    self.pending.insert(
                        id,
                        Pending {
                            deadline: now + self.config.ping_timeout,
                            ..p
                        },
                    );
                }
                Purpose::Ping => self.outputs.push_back(Output::PingTimeout),
                Purpose::Handshake(step) => self.outputs.push_back(Output::HandshakeFailed {
                    step,
                    reason: format!("no response within {:?}", self.config.request_timeout),
                }),
            }
        }
        while let Some(pos) = self.held.iter().position(|h| h.deadline <= now) {
            if let Some(h) = self.held.remove(pos) {
                self.timed_out(h.id, h.method.name());
            }
        }
        if self.next_ping.is_some_and(|t| t <= now) {
            // One ping at a time: a missing pong is already being timed.
            if !self
                .pending
                .values()
                .any(|p| matches!(p.purpose, Purpose::Ping))
            {
                self.send_ping(now);
            }
            self.next_ping = Some(now + self.config.ping_interval);
        }
    }

    /// The next frame to write to the socket.
    pub fn poll_transmit(&mut self) -> Option<String> {
        let (id, frame) = self.transmit.pop_front()?;
        if let Some(p) = self.pending.get_mut(&id) {
            p.sent = true;
        }
        Some(frame)
    }

    /// The next thing the caller must act on, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadlines = self.pending.values().map(|p| p.deadline);
        let held = self.held.iter().map(|h| h.deadline);
        deadlines.chain(held).chain(self.next_ping).min()
    }

    fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn bad(&mut self, e: FrameError) {
        self.outputs.push_back(Output::BadFrame(e));
    }

    fn timed_out(&mut self, id: u64, method: &'static str) {
        self.outputs.push_back(Output::Response {
            id: RequestId(id),
            method,
            result: Err(RequestError::Timeout(self.config.request_timeout)),
        });
    }

    fn remember_overdue(&mut self, id: u64, method: Method) {
        self.overdue.insert(id, method);
        while self.overdue.len() > self.config.max_pending.max(1) {
            self.overdue.pop_first();
        }
    }

    fn send_user(&mut self, id: u64, method: Method, deadline: Instant) {
        let frame = Request::new(method.clone(), self.session_id.clone()).encode(Id::from(id));
        self.pending.insert(
            id,
            Pending {
                purpose: Purpose::User(method),
                deadline,
                sent: false,
            },
        );
        self.transmit.push_back((id, frame));
    }

    fn send_internal(
        &mut self,
        purpose: Purpose,
        method: Method,
        session: Option<RpcSessionId>,
        now: Instant,
    ) {
        let id = self.alloc_id();
        let timeout = match purpose {
            Purpose::Ping => self.config.ping_timeout,
            _ => self.config.request_timeout,
        };
        let frame = Request::new(method, session).encode(Id::from(id));
        self.pending.insert(
            id,
            Pending {
                purpose,
                deadline: now + timeout,
                sent: false,
            },
        );
        self.transmit.push_back((id, frame));
    }

    /// Like kurento-client-js, only the very first ping carries `interval` (which KMS ignores anyway), and
    /// pings carry no session id.
    fn send_ping(&mut self, now: Instant) {
        let interval = (self.pings_sent == 0)
            .then(|| u64::try_from(self.config.ping_interval.as_millis()).unwrap_or(u64::MAX));
        self.pings_sent += 1;
        self.send_internal(Purpose::Ping, Method::Ping { interval }, None, now);
    }

    /// `describe manager_ServerManager` without a session id makes KMS create and register a session.
    fn start_fresh_session(&mut self, now: Instant) {
        self.session_id = None;
        self.server_info = None;
        let describe = Method::Describe {
            object: SERVER_MANAGER.into(),
        };
        self.send_internal(
            Purpose::Handshake(HandshakeStep::Describe),
            describe,
            None,
            now,
        );
    }

    fn become_ready(&mut self) {
        self.phase = Phase::Ready;
        while let Some(h) = self.held.pop_front() {
            self.send_user(h.id, h.method, h.deadline);
        }
    }

    fn handshake_failed(&mut self, step: HandshakeStep, reason: impl Into<String>) {
        self.outputs.push_back(Output::HandshakeFailed {
            step,
            reason: reason.into(),
        });
    }

    fn on_response(&mut self, r: Response, now: Instant) {
        let Some(id) = r.id else {
            match r.outcome {
                Err(e) => self.bad(FrameError::ErrorWithoutId(e)),
                Ok(_) => self.bad(FrameError::Decode(DecodeError::Invalid(
                    "result without an id",
                ))),
            }
            return;
        };
        let Some(p) = id.as_u64().and_then(|n| self.pending.remove(&n)) else {
            match id.as_u64().and_then(|n| self.overdue.remove(&n)) {
                Some(method) => {
                    let objects = match r.outcome {
                        Ok(result) => method.created_objects(&value_of(result)),
                        Err(_) => Vec::new(),
                    };
                    if !objects.is_empty() {
                        self.outputs.push_back(Output::Unclaimed {
                            method: method.name(),
                            objects,
                        });
                    }
                }
                None => self.bad(FrameError::UnmatchedResponse(id)),
            }
            return;
        };
        let n = id.as_u64().unwrap_or_default();
        match p.purpose {
            Purpose::User(method) => {
                if let Ok(result) = &r.outcome {
                    self.learn_session(result);
                }
                self.outputs.push_back(Output::Response {
                    id: RequestId(n),
                    method: method.name(),
                    result: r.outcome.map(value_of).map_err(RequestError::Rpc),
                });
            }
            // A ping's only job is to be answered; an error answer still proves the link is alive.
            Purpose::Ping => {}
            Purpose::Handshake(HandshakeStep::Describe) => match r.outcome {
                Ok(result) => match str_field(&result, "sessionId").map(RpcSessionId::new) {
                    Some(s) => {
                        self.session_id = Some(s.clone());
                        let get_info =
                            Method::invoke_op(ObjectId::server_manager(), ServerManagerOp::GetInfo);
                        self.send_internal(
                            Purpose::Handshake(HandshakeStep::GetInfo),
                            get_info,
                            Some(s),
                            now,
                        );
                    }
                    None => self.handshake_failed(
                        HandshakeStep::Describe,
                        "describe result carries no sessionId",
                    ),
                },
                Err(e) => self.handshake_failed(HandshakeStep::Describe, e.to_string()),
            },
            Purpose::Handshake(HandshakeStep::GetInfo) => {
                match r.outcome.map(value_of).map(|v| ServerInfo::from_value(&v)) {
                    Ok(Ok(info)) => {
                        let session_id = self.session_id.clone().unwrap_or_default();
                        self.server_info = Some(info.clone());
                        self.outputs.push_back(Output::RpcSessionEstablished {
                            session_id,
                            server_info: info,
                        });
                        self.become_ready();
                    }
                    Ok(Err(e)) | Err(e) => {
                        self.handshake_failed(HandshakeStep::GetInfo, e.to_string());
                    }
                }
            }
            Purpose::Handshake(HandshakeStep::Resume) => self.on_resume(r.outcome, now),
        }
    }

    fn on_resume(&mut self, outcome: Result<Value, RpcError>, now: Instant) {
        let old_session = self.session_id.clone().unwrap_or_default();
        match outcome {
            Ok(result) => {
                let new_id = str_field(&result, "serverId");
                match (self.server_id.clone(), new_id) {
                    (Some(previous), Some(current)) if previous != current => {
                        self.server_id = Some(current.clone());
                        self.outputs.push_back(Output::RpcSessionLost {
                            session_id: old_session,
                            reason: RpcSessionLostReason::ServerRestarted {
                                previous_server_id: previous,
                                server_id: current,
                            },
                        });
                        self.start_fresh_session(now);
                    }
                    (previous, current) => {
                        self.server_id = current.or(previous);
                        self.outputs.push_back(Output::RpcSessionResumed {
                            session_id: old_session,
                            server_id: self.server_id.clone().unwrap_or_default(),
                        });
                        self.become_ready();
                    }
                }
            }
            Err(e) if e.is(ErrorCode::InvalidSession) => {
                // Whoever answers now is not the server we knew; learn its id at the next `connect`.
                self.server_id = None;
                self.outputs.push_back(Output::RpcSessionLost {
                    session_id: old_session,
                    reason: RpcSessionLostReason::UnknownSession(e),
                });
                self.start_fresh_session(now);
            }
            Err(e) => self.handshake_failed(HandshakeStep::Resume, e.to_string()),
        }
    }

    /// §2.1: the session comes from the first response that carries one (normally `describe`'s).
    fn learn_session(&mut self, result: &Value) {
        if self.session_id.is_none() {
            self.session_id = str_field(result, "sessionId").map(RpcSessionId::new);
        }
    }
}

/// `result.value`; a missing `value` (or a `null` result) is a void result.
fn value_of(result: Value) -> Value {
    match result {
        Value::Object(mut o) => o.remove("value").unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}
