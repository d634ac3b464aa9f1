//! The HTTP surface: the page, `GET /config.json` for the page's ICE servers, the `/helloworld` WebSocket, WHIP
//! (`/whip`, in `whip/routes.rs`), and
//! the operator endpoints (`service_kit::ops`'s router over [`BridgeProbe`]), on one port unless `/metrics` is
//! moved to its own listener. Every response carries the page's security headers.

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tracing::Instrument as _;

use crate::app::App;
use crate::browser::{socket, upgrade};
use crate::http::probe::BridgeProbe;

/// The tungstenite hard limit, above the answered limit so that messages a little too big get a clear `error`
/// while the socket stays usable; beyond this the socket is closed (after an `error`, when possible).
const HARD_LIMIT_FACTOR: usize = 4;
/// Initial read buffer of each WebSocket, and the most one read takes: a candidate message fits. The offer
/// grows the buffer once to its size, and tungstenite keeps that capacity for the socket's life, so the
/// smaller the start, the less each held socket keeps (1 KiB: about 6 KiB held after a 5 KB offer, against
/// 9 KiB from 4 KiB).
const WS_READ_BUFFER: usize = 1024;

/// The page's policy: its own scripts, styles and fetches only (the WebSocket is same-origin, which CSP 3's
/// `'self'` covers for `ws:`/`wss:`), the `data:` favicon, camera streams as `srcObject` (not a URL, so
/// `media-src 'self'` is enough), never framed, no forms, no plugins, no `<base>`.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'; object-src 'none'";

/// The public router. With `metrics_elsewhere`, `/metrics` answers 404 here (it is served by
/// [`ops_router`] on the `--metrics-listen` address instead).
pub(crate) fn router(app: Arc<App>, metrics_elsewhere: bool) -> Router {
    let router = Router::new()
        .route("/helloworld", get(helloworld))
        .route("/config.json", get(config_json))
        .fallback(get(asset))
        .with_state(Arc::clone(&app))
        .merge(crate::whip::routes::router(Arc::clone(&app)))
        .merge(ops_router(app));
    let router = if metrics_elsewhere {
        router.layer(middleware::from_fn(hide_metrics))
    } else {
        router
    };
    router.layer(middleware::map_response(security_headers))
}

/// `/metrics`, `/healthz` and `/readyz` alone, for the operators' listener.
pub(crate) fn ops_router(app: Arc<App>) -> Router {
    service_kit::ops::router(Arc::new(BridgeProbe(app)))
}

async fn hide_metrics(request: Request, next: Next) -> Response {
    if request.uri().path() == "/metrics" {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    next.run(request).await
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn helloworld(State(app): State<Arc<App>>, mut request: Request) -> Response {
    let headers = request.headers();
    // First, as axum's extractor did: a request that is no handshake gets the handshake's answer, and
    // never takes a socket slot.
    let accept = match upgrade::accept(headers) {
        Ok(accept) => accept,
        Err(refused) => return refused.into_response(),
    };
    if app.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
            .into_response();
    }
    if let Err(why) = app.origins.check(headers) {
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
    let on_upgrade = hyper::upgrade::on(&mut request);
    let hard = app
        .config
        .limits
        .max_message_bytes
        .saturating_mul(HARD_LIMIT_FACTOR);
    let config = WebSocketConfig::default()
        .max_message_size(Some(hard))
        .max_frame_size(Some(hard))
        // tungstenite allocates its read buffer up front (128 KiB by default), for every held socket;
        // the page's messages are a few KiB and a bigger one grows the buffer as it arrives.
        .read_buffer_size(WS_READ_BUFFER)
        // Each frame is written at once anyway (the link flushes every send).
        .write_buffer_size(0);
    let guard = app.config.counters.socket_opened();
    // Held from here (not only once upgraded), so a drain that starts between this answer and the upgrade
    // still waits for this socket.
    let tracked = app.tasks.token();
    // Every log line about this socket carries its gateway session id once Start has returned, the same id
    // the gateway logs, so one session can be followed across both services.
    let span = tracing::info_span!("socket", session_id = tracing::field::Empty);
    tokio::spawn(
        async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let io = hyper_util::rt::TokioIo::new(upgraded);
                    let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                    socket::serve(ws, app, guard).await;
                }
                Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
            }
            drop(permit);
            drop(tracked);
        }
        .instrument(span),
    );
    upgrade::switching_protocols(accept)
}

/// The ICE servers for the page (`crate::ice_servers`): TURN credentials minted for this page load, so
/// never cached.
async fn config_json(State(app): State<Arc<App>>) -> Response {
    let servers = crate::ice_servers::for_client(&app, false).await;
    let mut body = json!({ "iceServers": servers });
    if let Some(policy) = app.config.ice_transport_policy.page_value() {
        body["iceTransportPolicy"] = json!(policy);
    }
    let body = body.to_string();
    let mut response = with_headers(body.into_bytes(), "application/json");
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
    response
}
