//! The link task: connects with a timeout, drives [`kurento::Client`] over the WebSocket, reconnects with
//! bounded exponential backoff, and turns the client's outputs into replies, notices and link state.

use super::config::LinkConfig;
use super::error::{KmsError, LinkState};
use super::routes::Routes;
use futures_util::{SinkExt, StreamExt};
use kurento::{
    Client, ClientConfig, ErrorCode, Id, Method, Output, Request, RequestError, RequestId,
    RpcError, ServerInfo,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

type Reply = oneshot::Sender<Result<Value, KmsError>>;
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(super) enum Command {
    Call { method: Method, reply: Reply },
}

/// What handles read without asking the task.
pub(super) struct Shared {
    state: watch::Sender<LinkState>,
    info: Mutex<Option<ServerInfo>>,
    routes: Arc<Routes>,
}

impl Shared {
    pub(super) fn new(state: watch::Sender<LinkState>, routes: Arc<Routes>) -> Self {
        Self {
            state,
            info: Mutex::new(None),
            routes,
        }
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
    calls: HashMap<RequestId, Reply>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    /// getInfo of the current rpc session, republished when a resume brings the link back up.
    info: Option<ServerInfo>,
}

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
        let attempt = tokio::time::timeout(
            self.config.connect_timeout,
            tokio_tungstenite::connect_async_with_config(&*self.uri, Some(ws_config), true),
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
            let deadline = self.client.poll_timeout();
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
                        tracing::warn!(uri = %self.uri, bytes = b.len(), "binary frame from the media server ignored");
                    }
                    // tungstenite queues the pong; flush so it leaves even when we have nothing to send.
                    Some(Ok(Message::Ping(_))) => {
                        let _ = tx.flush().await;
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
        let id = self.client.request(method, Instant::now());
        self.calls.insert(id, reply);
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
                Output::Response { id, method, result } => {
                    if let Some(reply) = self.calls.remove(&id) {
                        let _ = reply.send(result.map_err(|e| self.map_error(e, method)));
                    }
                }
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
                    self.shared
                        .routes()
                        .broadcast_lost(true, &message, &self.shutdown);
                }
                Output::PingTimeout => drop_reason = Some("ping timed out".to_owned()),
                Output::HandshakeFailed { step, reason } => {
                    drop_reason = Some(format!("rpc session setup failed at {step:?}: {reason}"));
                }
                Output::BadFrame(e) => {
                    tracing::warn!(uri = %self.uri, "ignored a bad frame from the media server: {e}");
                }
            }
        }
        drop_reason
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
        for (_, reply) in self.calls.drain() {
            let _ = reply.send(Err(KmsError::ShuttingDown));
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
