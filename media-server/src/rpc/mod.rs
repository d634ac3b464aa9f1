//! The Kurento JSON-RPC server logic, apart from sockets: one [`Core`] per server takes text frames
//! from connections and answers them, and routes media events to the sessions subscribed to them.
//!
//! Time never comes from the clock here: the socket and driver layers pass `now_ms` in.

mod convert;
mod events;
mod invoke;
mod manager;

mod methods;
mod objects;
pub mod outbox;
mod properties;
pub(crate) mod state;
mod sysinfo;
mod transaction;
mod webrtc;

use crate::engine::Engine;
use kurento::jsonrpc::{Id, Message, RawRequest, Response};
use kurento::{ErrorCode, EventData, ObjectId, RpcError, RpcSessionId};
use objects::MediaObject;
use outbox::{DropCounters, EventDrops, Outbox, OutboxLimits};
use serde_json::Value;
pub use state::Counts;
use state::{ConnId, Connection, State};
use std::sync::{Arc, Mutex, MutexGuard};

/// Limits the protocol layer enforces.
#[derive(Debug, Clone)]
pub struct CoreLimits {
    /// Most live media objects; `create` beyond it gets 40009.
    pub max_objects: usize,
    /// Most registered sessions; a request that would register another gets 40009.
    pub max_sessions: usize,
    /// Bounds of each connection's event queues.
    pub events: OutboxLimits,
}

/// Longest session id accepted. Real ones are UUIDs (36 bytes); KMS takes any string, but every id is
/// stored and echoed, so an unbounded one would let one request pin megabytes per session.
pub const MAX_SESSION_ID_BYTES: usize = 256;
/// Longest `candidate` string `addIceCandidate` takes (40107 beyond). A candidate line with every
/// extension a browser adds is under 200 bytes; the endpoint keeps what it takes.
pub const MAX_CANDIDATE_BYTES: usize = 512;
/// Longest `sdpMid` `addIceCandidate` takes (40107 beyond). Browsers use "0", "1" or "audio"/"video".
pub const MAX_SDP_MID_BYTES: usize = 64;
/// Largest SDP offer `processOffer` parses (40201 beyond). Real offers are a few KiB; without a bound only
/// the frame limit (32 MB) would keep one request from tying up the SDP parser.
pub const MAX_OFFER_BYTES: usize = 256 * 1024;
/// Most subscription ids one session holds for one event of one object (kurento-client-js holds one).
pub const MAX_SUBSCRIPTIONS_PER_EVENT: usize = 64;
/// Most tags on one object.
pub const MAX_TAGS_PER_OBJECT: usize = 256;

/// 40009, for every bound on what clients make the server remember.
pub(crate) fn too_many(what: &str, limit: usize) -> RpcError {
    RpcError::new(
        ErrorCode::NotEnoughResources,
        format!("Too many {what} (limit {limit})"),
    )
}

/// Shared protocol state and the engine it drives.
pub struct Core {
    state: Mutex<State>,
    /// The wall clock, milliseconds since the epoch: given, never read here, so tests can pass their own.
    clock: Clock,
    engine: Engine,
    limits: CoreLimits,
    /// Made at start; a client seeing a new one after `connect` knows the server restarted.
    server_id: String,
    /// Events not delivered because a connection's queues had no room, by reason.
    event_drops: DropCounters,
}

/// The wall clock the core is given: milliseconds since the Unix epoch.
pub type Clock = fn() -> u64;

/// Per-request context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub now_ms: u64,
}

impl Core {
    /// A protocol core over `engine`, with a fresh server id.
    pub fn new(engine: Engine, limits: CoreLimits, clock: Clock) -> Arc<Core> {
        Arc::new(Core {
            state: Mutex::new(State::default()),
            clock,
            engine,
            limits,
            server_id: uuid::Uuid::new_v4().to_string(),
            event_drops: DropCounters::default(),
        })
    }

    /// The media engine the endpoints run on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The id `connect` and `ping` report: new on every start, so clients can tell a restart.
    pub fn server_id(&self) -> &str {
        &self.server_id
    }

    /// The state, even if a panicking thread poisoned the lock (the data stays consistent: every
    /// mutation is a few plain map operations).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Live counts of sessions, objects and connections.
    pub fn counts(&self) -> Counts {
        self.lock().counts()
    }

    /// Events dropped so far because a connection's queues had no room, over every reason.
    pub fn events_dropped(&self) -> u64 {
        self.event_drops.read().total()
    }

    /// Events dropped so far, by reason.
    pub fn event_drops(&self) -> EventDrops {
        self.event_drops.read()
    }

    /// A new connection; its writer sends what arrives in the returned outbox.
    pub fn open_connection(&self, conn: ConnId) -> Arc<Outbox> {
        let events = Arc::new(Outbox::new(self.limits.events));
        let c = Connection {
            events: Arc::clone(&events),
            session: None,
        };
        if let Some(old) = self.lock().connections.insert(conn, c) {
            old.events.close();
        }
        events
    }

    /// The connection closed; its session stays for the garbage collector (KMS releases nothing here).
    pub fn close_connection(&self, conn: ConnId) {
        self.lock().remove_connection(conn);
    }

    /// Handles one text frame; returns the frame to answer with, if any.
    pub async fn handle_text(
        self: &Arc<Self>,
        conn: ConnId,
        text: &str,
        now_ms: u64,
    ) -> Option<String> {
        let raw = match Message::decode(text) {
            Ok(Message::Request(r)) => r,
            // A response from a client makes no sense to KMS: no `method`, so an invalid request.
            Ok(Message::Response(_)) => {
                return Some(reply(None, Err(invalid_request())));
            }
            // KMS itself sends nothing for unparsable JSON (the client just times out); we answer
            // -32700 with id null so a broken client learns why at once.
            Err(e) => {
                tracing::debug!(conn, "bad frame: {e}");
                return Some(reply(None, Err(e.to_rpc_error())));
            }
        };
        let ctx = Ctx { now_ms };
        let id = raw.id.clone();
        let raw = self.inject_session(conn, raw);
        let outcome = self.handle_request(&raw, ctx).await;
        if let Ok(v) = &outcome
            && let Some(s) = v.get("sessionId").and_then(Value::as_str)
        {
            self.lock().bind(conn, s);
        }
        match id {
            Some(id) => Some(reply(Some(id), outcome)),
            // Every method has a result, so a notification gets KMS's complaint with that result.
            None => {
                let e = match outcome {
                    Ok(v) => RpcError {
                        code: ErrorCode::ServerError.code(),
                        message: "Ignoring response because of a notification request".into(),
                        data: Some(v),
                    },
                    Err(e) => e,
                };
                Some(reply(None, Err(e)))
            }
        }
    }

    /// On a bound connection, a request without `sessionId` gets the bound one (KMS does the same).
    fn inject_session(&self, conn: ConnId, mut raw: RawRequest) -> RawRequest {
        let bound = self
            .lock()
            .connections
            .get(&conn)
            .and_then(|c| c.session.clone());
        if let Some(s) = bound {
            let params = raw.params.get_or_insert_with(Default::default);
            if params.get("sessionId").is_none_or(Value::is_null) {
                params.insert("sessionId".into(), String::from(s).into());
            }
        }
        raw
    }

    /// Releases the media of objects already taken out of the registry, and tells the ServerManager's
    /// subscribers. Never fails: release must always succeed for the client.
    pub(crate) async fn finish_release(&self, gone: Vec<MediaObject>, now_ms: u64) {
        for obj in gone {
            if let Some(w) = &obj.webrtc {
                w.endpoint.release().await;
            }
            tracing::debug!(object = %obj.id, "released");
            let destroyed = EventData::ObjectDestroyed {
                object_id: obj.id.clone(),
            };
            self.object_event(destroyed, now_ms).await;
        }
    }

    /// Runs the garbage collector once.
    pub async fn collect_garbage(&self, now_ms: u64) {
        let (sessions, gone) = self.lock().collect_garbage();
        for s in &sessions {
            tracing::info!(session = %s, "session collected");
        }
        self.finish_release(gone, now_ms).await;
    }

    /// Releases everything (server shutdown).
    pub async fn release_all(&self, now_ms: u64) {
        let gone = {
            let mut st = self.lock();
            let ids: Vec<RpcSessionId> = st.sessions.keys().cloned().collect();
            let mut gone = Vec::new();
            for s in ids {
                gone.extend(st.drop_session(s.as_str(), true));
            }
            let rest: Vec<ObjectId> = st.objects.keys().cloned().collect();
            for id in rest {
                gone.extend(st.remove_tree(&id));
            }
            gone
        };
        self.finish_release(gone, now_ms).await;
    }
}

fn invalid_request() -> RpcError {
    RpcError::new(ErrorCode::InvalidRequest, "Invalid JSON-RPC request.")
}

fn reply(id: Option<Id>, outcome: Result<Value, RpcError>) -> String {
    Message::Response(Response { id, outcome }).encode()
}

/// A fresh Kurento session id (UUID v4).
pub(crate) fn new_session_id() -> RpcSessionId {
    RpcSessionId::new(uuid::Uuid::new_v4().to_string())
}
