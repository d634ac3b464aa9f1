//! The HTTP surface: the page, `GET /config.json` for the page's ICE servers, the `/helloworld` WebSocket, and
//! the operator endpoints (`service_kit::ops`'s router over [`BridgeProbe`]), all on one port.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use tracing::Instrument as _;

use crate::app::App;
use crate::browser::socket;
use crate::http::probe::BridgeProbe;

/// The tungstenite hard limit, above the answered limit so that messages a little too big get a clear `error`
/// while the socket stays usable; beyond this the socket is closed (after an `error`, when possible).
const HARD_LIMIT_FACTOR: usize = 4;

pub(crate) fn router(app: Arc<App>) -> Router {
    let ops = service_kit::ops::router(Arc::new(BridgeProbe(Arc::clone(&app))));
    Router::new()
        .route("/helloworld", get(helloworld))
        .route("/config.json", get(config_json))
        .fallback(get(asset))
        .with_state(app)
        .merge(ops)
}

async fn helloworld(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if app.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
            .into_response();
    }
    if let Err(why) = app.origins.check(&headers) {
        tracing::warn!("refused a WebSocket: {why}");
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    let Ok(permit) = app.sockets.clone().try_acquire_owned() else {
        let why = format!(
            "too many open connections (limit {})",
            app.config.limits.max_sockets
        );
        return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    };
    let hard = app
        .config
        .limits
        .max_message_bytes
        .saturating_mul(HARD_LIMIT_FACTOR);
    let guard = app.config.counters.socket_opened();
    // Held from here (not only once upgraded), so a drain that starts between this answer and the upgrade
    // still waits for this socket.
    let tracked = app.tasks.token();
    // Every log line about this socket carries its gateway session id once Start has returned, the same id
    // the gateway logs, so one session can be followed across both services.
    let span = tracing::info_span!("socket", session_id = tracing::field::Empty);
    upgrade
        .max_message_size(hard)
        .max_frame_size(hard)
        .on_failed_upgrade(|e| tracing::debug!("WebSocket upgrade failed: {e}"))
        .on_upgrade(move |ws| {
            async move {
                socket::serve(ws, app, guard).await;
                drop(permit);
                drop(tracked);
            }
            .instrument(span)
        })
}

async fn config_json(State(app): State<Arc<App>>) -> Response {
    let body = json!({ "iceServers": app.config.ice_servers }).to_string();
    with_headers(body.into_bytes(), "application/json")
}

async fn asset(State(app): State<Arc<App>>, OriginalUri(uri): OriginalUri) -> Response {
    match app.assets.get(uri.path()).await {
        Some(a) => with_headers(a.body, a.content_type),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn with_headers(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The page changes with the binary; a stale cached script would speak an old protocol.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
