//! What the gateway tells its operators, on a plain-HTTP port of its own (so a scraper or an orchestrator
//! needs neither TLS nor the bearer token): Prometheus text at `/metrics`, and at `/readyz` whether it
//! wants new sessions (not draining, and a media server link up). The endpoints are `service_kit::ops`'s.

use crate::links::Links;
use crate::session::Shared;
use service_kit::ops::{Exposition, OPENMETRICS_TEXT, Probe};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

struct GatewayProbe {
    shared: Arc<Shared>,
    links: Arc<Links>,
}

impl Probe for GatewayProbe {
    fn metrics(&self) -> Exposition {
        Exposition {
            content_type: OPENMETRICS_TEXT,
            body: self
                .shared
                .metrics
                .encode(&self.links, self.shared.registry.len()),
        }
    }

    async fn ready(&self) -> Result<(), String> {
        if self.shared.shutdown.is_cancelled() {
            return Err("not ready: draining: the gateway is shutting down".into());
        }
        if !self.links.any_up() {
            return Err("not ready: no media server link is up".into());
        }
        Ok(())
    }
}

/// Serves until `stop` is cancelled; `/healthz` answers as long as this listener does, which is until the
/// drain is over.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    links: Arc<Links>,
    guard: service_kit::ops::Guard,
    stop: CancellationToken,
) {
    let router = service_kit::ops::router(Arc::new(GatewayProbe { shared, links }));
    service_kit::ops::serve(listener, router, guard, stop).await;
}
