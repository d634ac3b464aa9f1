//! The link task: connects with a timeout, drives [`kurento::Client`] over the WebSocket, reconnects with
//! bounded exponential backoff, and turns the client's outputs into replies, notices and link state.

use super::config::LinkConfig;
use super::error::{KmsError, LinkState};
use super::log_budget::{LogBudget, Verdict};
use super::release_queue::{ReleaseQueue, ReleaseStats};
use super::routes::Routes;
use futures_util::{SinkExt, StreamExt};
use kurento::{
    Client, ClientConfig, ErrorCode, Id, Method, ObjectId, Output, Request, RequestError,
    RequestId, RpcError, ServerInfo,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

type Reply = oneshot::Sender<Result<Value, KmsError>>;
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(super) enum Command {
    Call { method: Method, reply: Reply },
}

/// Retries of owed releases in flight at once, so a mass release never crowds out other calls.
const RETRY_WINDOW: usize = 64;

/// A request the task sent, and who hears its outcome.
enum Call {
    /// A handle's call. `creates` keeps the method of a `create`/`transaction`, so that if its caller
    /// has gone by the time the reply comes, what it made is released rather than forgotten.
    Caller {
        reply: Reply,
        creates: Option<Method>,
    },
    /// The link's own retry of an owed release.
    Retry(ObjectId),
}

/// What handles read without asking the task.
pub(super) struct Shared {
    state: watch::Sender<LinkState>,
    info: Mutex<Option<ServerInfo>>,
    routes: Arc<Routes>,
    /// Releases owed to the media server; handles add to it without waiting for the task.
    releases: Mutex<ReleaseQueue>,
    /// Wakes the task when a release is owed.
    release_owed: Notify,
}

impl Shared {
    pub(super) fn new(
        state: watch::Sender<LinkState>,
        routes: Arc<Routes>,
        config: &LinkConfig,
    ) -> Self {
        Self {
            state,
            info: Mutex::new(None),
            routes,
            releases: Mutex::new(ReleaseQueue::new(
                config.max_owed_releases,
                config.backoff_min,
                config.backoff_max,
            )),
            release_owed: Notify::new(),
        }
    }

    fn releases(&self) -> std::sync::MutexGuard<'_, ReleaseQueue> {
        // Every queue operation leaves it consistent, so a panicked holder cannot corrupt it.
        self.releases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Owes a release of `object`; false if the queue is full (reconciliation will find it).
    pub(super) fn owe_release(&self, object: ObjectId) -> bool {
        let added = self.releases().add(object, Instant::now());
        self.release_owed.notify_one();
        added
    }

    pub(super) fn release_stats(&self) -> ReleaseStats {
        self.releases().stats()
    }

    pub(super) fn server_info(&self) -> Option<ServerInfo> {
        self.info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn routes(&self) -> &Arc<Routes> {
        &self.routes
    }

    fn set_info(&self, info: Option<ServerInfo>) {
        *self
            .info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = info;
    }

    fn set_state(&self, s: LinkState) {
        self.state.send_if_modified(|cur| {
            let changed = *cur != s;
            *cur = s;
            changed
        });
    }
}

/// Why a connection ended.
enum End {
    Shutdown,
    Dropped(String),
}

pub(super) struct Driver {
    uri: Arc<str>,
    config: LinkConfig,
    client: Client,
    commands: mpsc::Receiver<Command>,
    calls: HashMap<RequestId, Call>,
    /// How many of `calls` are retries of owed releases.
    retries_in_flight: usize,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    /// getInfo of the current rpc session, republished when a resume brings the link back up.
    info: Option<ServerInfo>,
    /// Bounds the warnings a misbehaving media server can make us write.
    complaints: LogBudget,
}

/// Warnings about one media server's bad frames written per minute at most.
const COMPLAINTS_PER_MINUTE: u32 = 10;

impl Driver {
    pub(super) fn new(
        uri: Arc<str>,
        config: LinkConfig,
        commands: mpsc::Receiver<Command>,
        shared: Arc<Shared>,
        shutdown: CancellationToken,
    ) -> Self {
        let client = Client::new(ClientConfig {
            request_timeout: config.request_timeout,
            ping_interval: config.ping_interval,
            ping_timeout: config.ping_timeout,
            max_pending: config.max_pending,
        });
        Self {
            uri,
            config,
            client,
            commands,
            calls: HashMap::new(),
            retries_in_flight: 0,
            complaints: LogBudget::new(COMPLAINTS_PER_MINUTE, Duration::from_secs(60)),
            shared,
            shutdown,
            info: None,
        }
    }

    pub(super) async fn run(mut self) {
        let mut backoff = self.config.backoff_min;
        loop {
            self.shared.set_state(LinkState::Connecting);
            let reason = match self.connect().await {
                Err(End::Shutdown) => break,
                Err(End::Dropped(reason)) => reason,
                Ok(ws) => {
                    tracing::info!(uri = %self.uri, "connected to the media server");
                    let end = self.serve(ws).await;
                    let was_up = matches!(*self.shared.state.borrow(), LinkState::Up);
                    self.client.on_disconnected(Instant::now());
                    // Calls fail fast while down; nothing may run later on behalf of a caller who gave up.
                    self.client.abandon_waiting();
                    self.shared.set_info(None);
                    self.drain_outputs();
                    match end {
                        End::Shutdown => break,
                        End::Dropped(reason) => {
                            tracing::warn!(uri = %self.uri, %reason, "connection to the media server ended");
                            if was_up {
                                backoff = self.config.backoff_min;
                            }
                            reason
                        }
                    }
                }
            };
            self.shared.set_state(LinkState::Down {
                reason: reason.clone(),
            });
            if self.pause(backoff, &reason).await.is_err() {
                break;
            }
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
        self.finish();
    }

    /// One connection attempt, bounded by `connect_timeout`. Calls that slip in meanwhile are refused.
    async fn connect(&mut self) -> Result<Socket, End> {
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(self.config.max_frame_bytes))
            .max_frame_size(Some(self.config.max_frame_bytes));
        let request = match self.upgrade_request() {
            Ok(r) => r,
            Err(e) => return Err(End::Dropped(e)),
        };
        let attempt = tokio::time::timeout(
            self.config.connect_timeout,
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true),
        );
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => return Err(End::Shutdown),
                r = &mut attempt => return match r {
                    Ok(Ok((ws, _))) => Ok(ws),
                    Ok(Err(e)) => Err(End::Dropped(format!("cannot connect: {e}"))),
                    Err(_) => Err(End::Dropped(format!("no connection within {:?}", self.config.connect_timeout))),
                },
                cmd = self.commands.recv() => match cmd {
                    Some(c) => self.refuse(c, "connecting"),
                    None => return Err(End::Shutdown),
                },
            }
        }
    }

    /// The upgrade request: the URI, and the shared secret when one is configured.
    fn upgrade_request(
        &self,
    ) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = (*self.uri)
            .into_client_request()
            .map_err(|e| format!("bad media server URI: {e}"))?;
        if let Some(secret) = &self.config.auth_secret {
            let value = format!("Bearer {secret}")
                .parse()
                .map_err(|_| "the media server secret is not valid in a header".to_owned())?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(request)
    }

    /// Waits out the backoff, refusing calls at once (the gateway promises to fail fast while down).
    async fn pause(&mut self, delay: Duration, reason: &str) -> Result<(), ()> {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => return Err(()),
                () = &mut sleep => return Ok(()),
                cmd = self.commands.recv() => match cmd {
                    Some(c) => self.refuse(c, reason),
                    None => return Err(()),
                },
            }
        }
    }

    /// Runs one connection until it breaks, the link must drop it, or shutdown.
    async fn serve(&mut self, ws: Socket) -> End {
        let (mut tx, mut rx) = ws.split();
        self.client.on_connected(Instant::now());
        loop {
            self.retry_owed_releases();
            while let Some(frame) = self.client.poll_transmit() {
                let write = tokio::time::timeout(
                    self.config.request_timeout,
                    tx.send(Message::text(frame)),
                );
                match write.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return End::Dropped(format!("write failed: {e}")),
                    Err(_) => return End::Dropped("write stalled".into()),
                }
            }
            if let Some(reason) = self.drain_outputs() {
                let _ = tokio::time::timeout(Duration::from_millis(200), tx.close()).await;
                return End::Dropped(reason);
            }
            let retry_due = self
                .client
                .is_ready()
                .then(|| self.shared.releases().next_due())
                .flatten();
            let deadline = match (self.client.poll_timeout(), retry_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timer = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.shutdown.cancelled() => {
                    let _ = tokio::time::timeout(Duration::from_millis(200), tx.close()).await;
                    return End::Shutdown;
                }
                msg = rx.next() => match msg {
                    Some(Ok(Message::Text(t))) => self.client.handle_frame(t.as_str(), Instant::now()),
                    Some(Ok(Message::Binary(b))) => {
                        self.complain(&format!("binary frame of {} bytes ignored", b.len()));
                    }
                    // tungstenite queues the pong; flush so it leaves even when we have nothing to send. A
                    // server that stops reading must not wedge the link here with health still SERVING.
                    Some(Ok(Message::Ping(_))) => {
                        match tokio::time::timeout(self.config.request_timeout, tx.flush()).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => return End::Dropped(format!("write failed: {e}")),
                            Err(_) => return End::Dropped("write stalled (pong)".into()),
                        }
                    }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(f))) => {
                        return End::Dropped(format!("closed by the media server ({f:?})"));
                    }
                    Some(Err(e)) => return End::Dropped(format!("read failed: {e}")),
                    None => return End::Dropped("closed by the media server".into()),
                },
                cmd = self.commands.recv() => match cmd {
                    Some(c) => self.submit(c),
                    None => return End::Shutdown,
                },
                () = timer => self.client.handle_timeout(Instant::now()),
                () = self.shared.release_owed.notified() => {}
            }
        }
    }

    /// Sends the owed releases that are due, within the retry window, once the rpc session is ready.
    fn retry_owed_releases(&mut self) {
        if !self.client.is_ready() || self.retries_in_flight >= RETRY_WINDOW {
            return;
        }
        let now = Instant::now();
        let due = self
            .shared
            .releases()
            .take_due(now, RETRY_WINDOW - self.retries_in_flight);
        for object in due {
            let id = self.client.request(Method::release(&object), now);
            tracing::debug!(uri = %self.uri, %object, "retrying a release");
            self.calls.insert(id, Call::Retry(object));
            self.retries_in_flight += 1;
        }
    }

    fn retry_finished(&mut self, object: &ObjectId, result: &Result<Value, RequestError>) {
        self.retries_in_flight = self.retries_in_flight.saturating_sub(1);
        let mut q = self.shared.releases();
        match result {
            // KMS never fails a release; a server that says the object is unknown agrees it is gone.
            Ok(_) => q.confirmed(object),
            Err(RequestError::Rpc(e)) if e.is(ErrorCode::MediaObjectNotFound) => {
                q.confirmed(object);
            }
            Err(e) => {
                tracing::debug!(uri = %self.uri, %object, error = %e, "release retry failed");
                q.failed(object, Instant::now());
            }
        }
    }

    /// Objects nobody owns any more: owe their release.
    fn unclaimed(&self, method: &'static str, objects: Vec<ObjectId>) {
        let now = Instant::now();
        let mut q = self.shared.releases();
        for object in objects {
            tracing::info!(uri = %self.uri, %object, method, "releasing an object whose caller had left");
            if !q.add_unclaimed(object, now) {
                tracing::warn!(uri = %self.uri, "owed releases full: leaving an object to reconciliation");
            }
        }
    }

    fn submit(&mut self, Command::Call { method, reply }: Command) {
        if reply.is_closed() {
            return;
        }
        // Refuse here rather than let the socket fail on a frame the peer would reject anyway.
        let size = Request::new(method.clone(), self.client.session_id().cloned())
            .encode(Id::from(u64::MAX))
            .len();
        if size > self.config.max_frame_bytes {
            let e = RpcError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "request of {size} bytes exceeds max_frame_bytes {}",
                    self.config.max_frame_bytes
                ),
            );
            let _ = reply.send(Err(KmsError::Rpc(e)));
            return;
        }
        let creates = method.creates().then(|| method.clone());
        let id = self.client.request(method, Instant::now());
        self.calls.insert(id, Call::Caller { reply, creates });
    }

    fn refuse(&self, Command::Call { reply, .. }: Command, reason: &str) {
        let _ = reply.send(Err(KmsError::Unavailable {
            uri: self.uri.to_string(),
            reason: reason.to_owned(),
        }));
    }

    /// Acts on every client output; returns why the connection must be dropped, if it must.
    fn drain_outputs(&mut self) -> Option<String> {
        let mut drop_reason = None;
        while let Some(out) = self.client.poll_output() {
            match out {
                Output::Response { id, method, result } => match self.calls.remove(&id) {
                    Some(Call::Caller { reply, creates }) => {
                        let late = reply.send(result.map_err(|e| self.map_error(e, method)));
                        if let (Err(Ok(value)), Some(m)) = (late, creates) {
                            self.unclaimed(method, m.created_objects(&value));
                        }
                    }
                    Some(Call::Retry(object)) => self.retry_finished(&object, &result),
                    None => {}
                },
                Output::Unclaimed { method, objects } => self.unclaimed(method, objects),
                Output::Event(e) => self.shared.routes().dispatch(&self.uri, e),
                Output::RpcSessionEstablished {
                    session_id: rpc_session_id,
                    server_info,
                } => {
                    tracing::info!(uri = %self.uri, %rpc_session_id, version = %server_info.version, "media server rpc session established");
                    self.info = Some(server_info.clone());
                    self.shared.set_info(Some(server_info));
                    self.shared.set_state(LinkState::Up);
                }
                Output::RpcSessionResumed {
                    session_id: rpc_session_id,
                    server_id,
                } => {
                    tracing::info!(uri = %self.uri, %rpc_session_id, %server_id, "media server rpc session resumed");
                    self.shared.set_info(self.info.clone());
                    self.shared.set_state(LinkState::Up);
                }
                Output::RpcSessionLost {
                    session_id: rpc_session_id,
                    reason,
                } => {
                    let message = match reason {
                        kurento::RpcSessionLostReason::ServerRestarted {
                            previous_server_id,
                            server_id,
                        } => format!(
                            "rpc session {rpc_session_id} is gone: the media server restarted (serverId {previous_server_id} -> {server_id})"
                        ),
                        kurento::RpcSessionLostReason::UnknownSession(e) => {
                            format!(
                                "rpc session {rpc_session_id} is gone: the media server no longer knows it ({e})"
                            )
                        }
                    };
                    tracing::warn!(uri = %self.uri, "{message}");
                    self.info = None;
                    self.shared.set_info(None);
                    self.shared.set_state(LinkState::Connecting);
                    let gone = self.shared.releases().lost_with_rpc_session();
                    if gone > 0 {
                        tracing::info!(uri = %self.uri, objects = gone, "owed releases dropped: the objects went with the rpc session");
                    }
                    self.shared
                        .routes()
                        .broadcast_lost(true, &message, &self.shutdown);
                }
                Output::PingTimeout => drop_reason = Some("ping timed out".to_owned()),
                Output::HandshakeFailed { step, reason } => {
                    drop_reason = Some(format!("rpc session setup failed at {step:?}: {reason}"));
                }
                Output::BadFrame(e) => self.complain(&format!("ignored a bad frame: {e}")),
            }
        }
        drop_reason
    }

    /// A warning about the media server's frames, within the log budget.
    fn complain(&mut self, what: &str) {
        if let Verdict::Log { suppressed } = self.complaints.spend(Instant::now()) {
            if suppressed > 0 {
                tracing::warn!(uri = %self.uri, suppressed, "more complaints about the media server's frames were not logged");
            }
            // Bounded: a frame's text can be megabytes.
            let mut end = what.len().min(300);
            while !what.is_char_boundary(end) {
                end -= 1;
            }
            let what = &what[..end];
            tracing::warn!(uri = %self.uri, "media server frame: {what}");
        }
    }

    fn map_error(&self, e: RequestError, method: &'static str) -> KmsError {
        let uri = self.uri.to_string();
        match e {
            RequestError::Rpc(e) => KmsError::Rpc(e),
            RequestError::Timeout(_) => KmsError::Timeout { uri, method },
            RequestError::Lost => KmsError::Lost { uri },
            RequestError::NotSent => KmsError::Unavailable {
                uri,
                reason: "the connection dropped before the request was sent".into(),
            },
            RequestError::Overloaded(n) => KmsError::Unavailable {
                uri,
                reason: format!("{n} requests already in flight"),
            },
        }
    }

    /// Shutdown: every waiting caller and sink hears about it; the state says why calls fail.
    fn finish(mut self) {
        self.shared.set_state(LinkState::Down {
            reason: "the link shut down".into(),
        });
        self.shared.set_info(None);
        for (_, call) in self.calls.drain() {
            if let Call::Caller { reply, .. } = call {
                let _ = reply.send(Err(KmsError::ShuttingDown));
            }
        }
        let owed = self.shared.releases().abandon();
        if owed > 0 {
            tracing::warn!(uri = %self.uri, objects = owed, "link stopped with releases owed: left to reconciliation");
        }
        self.commands.close();
        while let Ok(Command::Call { reply, .. }) = self.commands.try_recv() {
            let _ = reply.send(Err(KmsError::ShuttingDown));
        }
        self.shared.routes().broadcast_lost(
            false,
            "the media server link shut down",
            &self.shutdown,
        );
        tracing::info!(uri = %self.uri, "media server link stopped");
    }
}
