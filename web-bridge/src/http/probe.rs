//! What the bridge tells its operators: its counters as Prometheus text at `/metrics`, and at `/readyz`
//! whether it wants new browsers (not draining, and the gateway SERVING).

use std::sync::Arc;

use service_kit::ops::{Exposition, PROMETHEUS_TEXT, Probe};

use crate::app::App;

/// The bridge's [`Probe`], a view of the shared state.
pub(crate) struct BridgeProbe(pub(crate) Arc<App>);

impl Probe for BridgeProbe {
    fn metrics(&self) -> Exposition {
        Exposition {
            content_type: PROMETHEUS_TEXT,
            body: self.0.config.counters.prometheus_text(),
        }
    }

    async fn ready(&self) -> Result<(), String> {
        self.0.readiness.check().await
    }
}
