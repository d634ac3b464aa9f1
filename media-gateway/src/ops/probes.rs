//! The operators' HTTP listener: Prometheus text at /metrics, liveness at /healthz, readiness at /readyz.
//! Plain HTTP on its own port, so a scraper or an orchestrator needs neither TLS nor the bearer token.

use super::metrics::Metrics;
use crate::links::Links;
use crate::session::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Clone)]
struct Probes {
    shared: Arc<Shared>,
    links: Arc<Links>,
    metrics: Arc<Metrics>,
}

/// Why the gateway should not get new sessions now, if it should not.
fn not_ready(p: &Probes) -> Option<&'static str> {
    if p.shared.shutdown.is_cancelled() {
        return Some("draining: the gateway is shutting down");
    }
    if !p.links.any_up() {
        return Some("no media server link is up");
    }
    None
}

async fn readyz(State(p): State<Probes>) -> impl IntoResponse {
    match not_ready(&p) {
        None => (StatusCode::OK, "ready\n".to_owned()),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}

/// Alive as long as this listener answers: the process serves until its drain is over.
async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics_text(State(p): State<Probes>) -> impl IntoResponse {
    let text = p.metrics.encode(&p.links, p.shared.registry.len());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

/// Serves until `stop` resolves.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    links: Arc<Links>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = shared.metrics.clone();
    let app = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probes {
            shared,
            links,
            metrics,
        });
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}
