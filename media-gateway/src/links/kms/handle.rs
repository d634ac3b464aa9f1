//! [`KmsLink`]: the cloneable handle to one media server link. Calls fail fast while the server is away.

use super::config::LinkConfig;
use super::driver::{Command, Driver, Shared};
use super::error::{KmsError, LinkNotice, LinkState};
use super::release_queue::ReleaseStats;
use super::routes::{Registration, Routes};
use kurento::{ErrorCode, Method, ObjectId, ServerInfo, WebRtcEndpointOp};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// The outcome of [`KmsLink::release`].
#[derive(Debug)]
pub enum Released {
    /// The media server confirmed it.
    Confirmed,
    /// The first attempt failed with this error; the link retries until it is confirmed.
    Owed(KmsError),
}

/// A handle to the task that owns the connection to one media server.
#[derive(Clone)]
pub struct KmsLink {
    uri: Arc<str>,
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    state: watch::Receiver<LinkState>,
    call_wait: Duration,
    request_timeout: Duration,
    shutdown: CancellationToken,
    endpoint_settings: Arc<[WebRtcEndpointOp]>,
}

impl KmsLink {
    /// Starts the link task; it connects at once and keeps reconnecting until `shutdown` is cancelled or
    /// every handle is dropped.
    pub fn spawn(uri: String, config: LinkConfig, shutdown: CancellationToken) -> KmsLink {
        let uri: Arc<str> = uri.into();
        let (commands, rx) = mpsc::channel(config.command_queue.max(1));
        let (state_tx, state) = watch::channel(LinkState::Connecting);
        let shared = Arc::new(Shared::new(state_tx, Arc::new(Routes::default()), &config));
        let link = KmsLink {
            uri: uri.clone(),
            commands,
            shared: shared.clone(),
            state,
            call_wait: config.call_wait,
            request_timeout: config.request_timeout,
            shutdown: shutdown.clone(),
            endpoint_settings: config.endpoint_settings.clone().into(),
        };
        tokio::spawn(Driver::new(uri, config, rx, shared, shutdown).run());
        link
    }

    /// The media server's WebSocket URI, as configured.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// What every WebRtcEndpoint created through this link is set to first (`LinkConfig::endpoint_settings`).
    pub fn endpoint_settings(&self) -> &[WebRtcEndpointOp] {
        &self.endpoint_settings
    }

    /// Sends one request in the link's rpc session and waits for its result's `value` (or the error).
    pub async fn call(&self, method: Method) -> Result<Value, KmsError> {
        if self.shutdown.is_cancelled() {
            return Err(KmsError::ShuttingDown);
        }
        self.wait_until_up().await?;
        let name = method.name();
        let (reply, rx) = oneshot::channel();
        match tokio::time::timeout(
            self.call_wait,
            self.commands.send(Command::Call { method, reply }),
        )
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(KmsError::ShuttingDown),
            Err(_) => return Err(self.unavailable("the link's command queue is full")),
        }
        // The state machine times requests out itself; this outer limit only guards against a lost reply.
        match tokio::time::timeout(self.request_timeout + Duration::from_secs(1), rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) if self.shutdown.is_cancelled() => Err(KmsError::ShuttingDown),
            Ok(Err(_)) => Err(KmsError::Lost {
                uri: self.uri.to_string(),
            }),
            Err(_) => Err(KmsError::Timeout {
                uri: self.uri.to_string(),
                method: name,
            }),
        }
    }

    /// Releases `object` (and everything in it). The first attempt is made now; if it fails for any reason
    /// but the media server's agreement that the object is gone, the link owes the release and retries it
    /// with backoff until confirmed, or until the rpc session (and the object with it) is lost.
    pub async fn release(&self, object: &ObjectId) -> Released {
        match self.call(Method::release(object)).await {
            Ok(_) => Released::Confirmed,
            Err(KmsError::Rpc(e)) if e.is(ErrorCode::MediaObjectNotFound) => Released::Confirmed,
            Err(e) => {
                self.release_later(object.clone());
                Released::Owed(e)
            }
        }
    }

    /// Owes a release of `object` without trying it first (the link is known to be down, say). False if the
    /// link already owes too many; reconciliation then finds the object by its owner tags.
    pub fn release_later(&self, object: ObjectId) -> bool {
        self.shared.owe_release(object)
    }

    /// What the link's owed releases look like now.
    pub fn release_stats(&self) -> ReleaseStats {
        self.shared.release_stats()
    }

    /// Server info once the link is up: waits like [`Self::call`] does (at most `call_wait` while
    /// connecting), so a caller that must choose how to talk to the server (transactions or not) does not
    /// choose before the server has said what it supports.
    pub async fn server_info_when_up(&self) -> Result<ServerInfo, KmsError> {
        if self.shutdown.is_cancelled() {
            return Err(KmsError::ShuttingDown);
        }
        self.wait_until_up().await?;
        self.server_info()
            .ok_or_else(|| self.unavailable("the rpc session was lost meanwhile"))
    }

    /// Server info (getInfo) learned when the rpc session was set up; `None` while not connected.
    pub fn server_info(&self) -> Option<ServerInfo> {
        self.shared.server_info()
    }

    /// Up/Down/Connecting, to drive grpc.health and fail fast.
    pub fn state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Routes the events of exactly `object` to `sink` until the returned guard is dropped. The sink also
    /// receives [`LinkNotice::RpcSessionLost`] (once per channel) when the rpc session's objects are gone.
    pub fn register(&self, object: ObjectId, sink: mpsc::Sender<LinkNotice>) -> Registration {
        self.shared.routes().add(object, sink)
    }

    fn unavailable(&self, reason: impl Into<String>) -> KmsError {
        KmsError::Unavailable {
            uri: self.uri.to_string(),
            reason: reason.into(),
        }
    }

    /// Up: go. Down: fail now. Connecting: wait at most `call_wait`, so a caller learns quickly either way.
    async fn wait_until_up(&self) -> Result<(), KmsError> {
        let mut state = self.state.clone();
        let now = state.borrow_and_update().clone();
        let settled = match now {
            LinkState::Connecting => {
                let wait = state.wait_for(|s| !matches!(s, LinkState::Connecting));
                match tokio::time::timeout(self.call_wait, wait).await {
                    Ok(Ok(s)) => s.clone(),
                    Ok(Err(_)) => return Err(KmsError::ShuttingDown),
                    Err(_) => {
                        return Err(self
                            .unavailable(format!("still connecting after {:?}", self.call_wait)));
                    }
                }
            }
            other => other,
        };
        match settled {
            LinkState::Up => Ok(()),
            LinkState::Down { reason } => Err(self.unavailable(reason)),
            LinkState::Connecting => Err(self.unavailable("connecting")),
        }
    }
}
