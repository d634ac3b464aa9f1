//! The operator endpoints on the bridge's own port: `GET /metrics` (Prometheus text), `GET /healthz` (the
//! process serves) and `GET /readyz` (the gateway is SERVING and the bridge is not draining).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;

/// The content type Prometheus expects for the text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut response = app.config.counters.prometheus_text().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_TEXT),
    );
    response
}

/// Liveness: answering at all is the signal.
pub(crate) async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

pub(crate) async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.readiness.check().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => {
            tracing::debug!("not ready: {why}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response()
        }
    }
}
