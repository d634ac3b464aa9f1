//! The state every request handler shares: configuration, the gateway client, the page's files and the limits.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::assets::Assets;
use crate::config::Config;
use crate::gateway::Gateway;

#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) gateway: Gateway,
    pub(crate) assets: Assets,
    /// Caps open WebSockets at `limits.max_sockets`.
    pub(crate) sockets: Arc<Semaphore>,
    /// Every connection and socket task, so shutdown can wait for them to stop their sessions.
    pub(crate) tasks: TaskTracker,
    pub(crate) shutdown: CancellationToken,
}
