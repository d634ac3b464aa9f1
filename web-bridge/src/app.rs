//! The state every request handler shares: configuration, the gateway client, readiness, the page's files and
//! the limits.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::browser::origin::Allowed;
use crate::browser::resume::Resumption;
use crate::config::Config;
use crate::gateway::client::Gateway;
use crate::gateway::health::Readiness;
use crate::http::assets::Assets;
use crate::whip::resources::Resources;

#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) gateway: Gateway,
    pub(crate) readiness: Readiness,
    pub(crate) assets: Assets,
    /// The origins that may open `/helloworld`, fixed at start-up.
    pub(crate) origins: Allowed,
    /// The live WHIP resources, at most `limits.whip_max_resources`.
    pub(crate) whip: Arc<Resources>,
    /// The calls a page can resume from another socket: attached to theirs, or parked after it dropped.
    pub(crate) resumption: Arc<Resumption>,
    /// Caps open WebSockets at `limits.max_sockets`.
    pub(crate) sockets: Arc<Semaphore>,
    /// Every WebSocket, Start, WHIP resource and parked-call expiry task, so the drain can wait until they have stopped their calls.
    pub(crate) tasks: TaskTracker,
    /// Cancelled when the drain begins: sockets close, upgrades and `/readyz` answer 503.
    pub(crate) shutdown: CancellationToken,
}
