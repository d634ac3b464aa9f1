//! What every session shares with the rest of the gateway: the configuration, the registry, the task
//! tracker, the drain token and the metrics. It depends on no session code but the registry, so the actor,
//! the opening of a session and the gRPC services can all hold it without a cycle.

use super::registry::Registry;
use crate::config::Config;
use crate::metrics::Metrics;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every session shares with the gateway.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) registry: Registry,
    /// Every session task, so shutdown can wait for their releases.
    pub(crate) tracker: TaskTracker,
    /// Cancelled when the gateway starts draining: sessions end with END_REASON_SHUTDOWN and Start is
    /// refused.
    pub(crate) shutdown: CancellationToken,
    pub(crate) metrics: Arc<Metrics>,
}
