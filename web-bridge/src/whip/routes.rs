//! The WHIP HTTP handlers (RFC 9725): `POST /whip` creates a resource, `PATCH /whip/{id}` trickles the
//! client's candidates, `DELETE /whip/{id}` ends it, `OPTIONS` answers browsers' preflights. One middleware
//! checks the Origin, adds the CORS answer and counts every response; the protocol decisions live in the
//! sans-IO modules next door (`headers`, `offer`, `sdpfrag`, `status`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use media_proto::v1::IceCandidate;

use crate::app::App;
use crate::ice_servers;
use crate::whip::headers::{self, ALLOW_ENDPOINT, ALLOW_RESOURCE, IfMatch};
use crate::whip::offer::{self, Offer};
use crate::whip::resources::{self, Resource};
use crate::whip::status::{Call, Failure};
use crate::whip::{sdpfrag, session};

const SDP: &str = "application/sdp";
const SDPFRAG: &str = "application/trickle-ice-sdpfrag";

/// `/whip` and `/whip/{resource}`; other methods get axum's 405 with `Allow`.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/whip", post(create).options(options_endpoint))
        .route(
            "/whip/{resource}",
            patch(trickle).delete(delete).options(options_resource),
        )
        .layer(middleware::from_fn_with_state(Arc::clone(&app), around))
        .with_state(app)
}

/// Every WHIP response passes here: a browser page from an origin that is not allowed gets 403 (CORS alone
/// would only hide the answer, not stop the request), an allowed one gets its CORS headers, and each
/// response is counted by method and status.
async fn around(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = match *request.method() {
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let allow = if request.uri().path() == "/whip" {
        ALLOW_ENDPOINT
    } else {
        ALLOW_RESOURCE
    };
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = match app.origins.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(why) => {
            tracing::info!("refused a WHIP request: {why}");
            failed(&Failure::Forbidden(why))
        }
    };
    if let Some(origin) = origin
        && response.status() != StatusCode::FORBIDDEN
    {
        headers::cors(response.headers_mut(), &origin, allow);
    }
    app.config
        .counters
        .metrics
        .whip_request(method, response.status().as_u16());
    response
}

/// `POST /whip`: an SDP offer in, `201 Created` with the answer, `Location`, `ETag` and `Link` out.
async fn create(State(app): State<Arc<App>>, request_headers: HeaderMap, body: Body) -> Response {
    match publish(&app, &request_headers, body).await {
        Ok(response) => response,
        Err(failure) => failed(&failure),
    }
}

async fn publish(
    app: &Arc<App>,
    request_headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let authenticated = authorize(app, request_headers)?;
    if !headers::has_media_type(request_headers, SDP) {
        return Err(Failure::UnsupportedMediaType(SDP));
    }
    if app.shutdown.is_cancelled() {
        return Err(Failure::Unavailable(
            "the server is shutting down".to_owned(),
        ));
    }
    let sdp = text_body(app, request_headers, body).await?;
    let offer = Offer::parse(&sdp).map_err(|e| Failure::from(&e))?;
    let slot = app.whip.reserve().ok_or_else(|| {
        Failure::Unavailable(format!(
            "the server holds its most WHIP sessions ({}); try again later",
            app.config.limits.whip_max_resources
        ))
    })?;
    let published = session::spawn(app, slot, sdp, offer)
        .await
        .map_err(|_| Failure::Internal("the session's task ended without an answer".to_owned()))?
        .map_err(|e| Failure::from_gateway(Call::Start, &e))?;
    let mut response = (StatusCode::CREATED, published.sdp_answer).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SDP));
    h.insert(
        header::LOCATION,
        header_value(&format!("/whip/{}", published.id))?,
    );
    h.insert(header::ETAG, header_value(&published.etag)?);
    h.insert("accept-patch", HeaderValue::from_static(SDPFRAG));
    for link in headers::ice_server_links(&ice_servers::for_client(app, authenticated).await) {
        h.append(header::LINK, link);
    }
    Ok(response)
}

/// `PATCH /whip/{resource}`: the client's trickled candidates (and end-of-candidates) to AddIceCandidate
/// (204), or with `If-Match: *` an ICE restart to RestartIce (200 with the server's new fragment and ETag).
async fn trickle(
    State(app): State<Arc<App>>,
    Path(resource): Path<String>,
    request_headers: HeaderMap,
    body: Body,
) -> Response {
    match patch_resource(&app, &resource, &request_headers, body).await {
        Ok(response) => response,
        Err(failure) => failed(&failure),
    }
}

async fn patch_resource(
    app: &Arc<App>,
    resource: &str,
    request_headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    authorize(app, request_headers)?;
    let found = app.whip.get(resource).ok_or(Failure::NotFound)?;
    if !headers::has_media_type(request_headers, SDPFRAG) {
        return Err(Failure::UnsupportedMediaType(SDPFRAG));
    }
    let restart = match headers::if_match(request_headers, &found.etag) {
        IfMatch::Matches => false,
        IfMatch::Missing => return Err(Failure::PreconditionRequired),
        IfMatch::Mismatch => return Err(Failure::PreconditionFailed),
        IfMatch::Any => true,
    };
    // RFC 9725 section 4.3.2: a session without ICE restarts answers 422, whatever the body.
    if restart && !found.ice_restart {
        return Err(restart_refused());
    }
    let text = text_body(app, request_headers, body).await?;
    if restart {
        return restart_ice(app, resource, &found, &text).await;
    }
    let fragment = sdpfrag::parse(&text, app.config.limits.whip_max_candidates)
        .map_err(|e| Failure::from(&e))?;
    if fragment.ufrag.is_some() && fragment.ufrag != found.offer.ufrag {
        return Err(if found.ice_restart {
            Failure::BadRequest(
                "the fragment names another ICE session; an ICE restart needs If-Match: *"
                    .to_owned(),
            )
        } else {
            restart_refused()
        });
    }
    add_candidates(app, &found, &fragment).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends a fragment's candidates, each checked (its mid known) before the first is sent, so a bad
/// fragment adds nothing.
async fn add_candidates(
    app: &Arc<App>,
    found: &Resource,
    fragment: &sdpfrag::Fragment,
) -> Result<(), Failure> {
    let mut candidates = Vec::new();
    for (mid, candidate) in fragment.items() {
        let index = found.offer.m_line_index(mid).ok_or_else(|| {
            Failure::BadRequest("a candidate names an a=mid the offer does not have".to_owned())
        })?;
        candidates.push(IceCandidate {
            candidate: candidate.unwrap_or_default().to_owned(),
            sdp_mid: found.offer.mid_or_first(mid),
            sdp_m_line_index: index,
        });
    }
    for candidate in candidates {
        app.gateway
            .add_ice_candidate(&found.session_id, candidate)
            .await
            .map_err(|e| Failure::from_gateway(Call::AddIceCandidate, &e))?;
    }
    Ok(())
}

/// An ICE restart (RFC 9725 section 4.3.2): the fragment's new ufrag and pwd make the client's offer
/// a restart offer for RestartIce; the answer's credentials and candidates go back as a fragment with
/// a new ETag, and the fragment's own candidates follow to AddIceCandidate.
async fn restart_ice(
    app: &Arc<App>,
    resource: &str,
    found: &Resource,
    text: &str,
) -> Result<Response, Failure> {
    let fragment = sdpfrag::parse_restart(text, app.config.limits.whip_max_candidates)
        .map_err(|e| Failure::from(&e))?;
    let (Some(ufrag), Some(pwd)) = (fragment.ufrag.as_deref(), fragment.pwd.as_deref()) else {
        return Err(Failure::BadRequest(
            "an ICE restart fragment needs a=ice-ufrag and a=ice-pwd".to_owned(),
        ));
    };
    if fragment.ufrag == found.offer.ufrag {
        return Err(Failure::BadRequest(
            "an ICE restart needs a new a=ice-ufrag".to_owned(),
        ));
    }
    let offer = offer::restarted(&found.sdp, ufrag, pwd);
    let answer = app
        .gateway
        .restart_ice(&found.session_id, offer)
        .await
        .map_err(|e| match e.code {
            tonic::Code::FailedPrecondition => restart_refused(),
            _ => Failure::from_gateway(Call::RestartIce, &e),
        })?;
    let body = sdpfrag::from_answer(&answer).ok_or_else(|| {
        Failure::Internal("the media server's answer names no ICE credentials".to_owned())
    })?;
    let etag = resources::new_etag();
    if !app
        .whip
        .restarted(resource, etag.clone(), fragment.ufrag.clone())
    {
        return Err(Failure::NotFound);
    }
    let restarted = Resource {
        offer: Offer {
            ufrag: fragment.ufrag.clone(),
            ..found.offer.clone()
        },
        ..found.clone()
    };
    add_candidates(app, &restarted, &fragment).await?;
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SDPFRAG));
    h.insert(header::ETAG, header_value(&etag)?);
    Ok(response)
}

/// RFC 9725 §4.3.1: a session that supports Trickle ICE but not ICE restarts answers a restart with 422.
/// The session's media server cannot restart ICE (KMS 7.2).
fn restart_refused() -> Failure {
    Failure::Unprocessable(
        "ICE restarts are not supported; DELETE this resource and POST a new offer".to_owned(),
    )
}

/// `DELETE /whip/{resource}`: stops the session; answers once the gateway has.
async fn delete(
    State(app): State<Arc<App>>,
    Path(resource): Path<String>,
    request_headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorize(&app, &request_headers) {
        return failed(&failure);
    }
    let Some(stop) = app.whip.take(&resource) else {
        return failed(&Failure::NotFound);
    };
    let (reply, outcome) = tokio::sync::oneshot::channel();
    if stop.send(reply).is_err() {
        // The task is ending on its own (the session ended at the gateway): the resource is gone either way.
        return StatusCode::OK.into_response();
    }
    match outcome.await {
        Ok(Ok(())) | Err(_) => StatusCode::OK.into_response(),
        Ok(Err(e)) => failed(&Failure::from_gateway(Call::Stop, &e)),
    }
}

async fn options_endpoint() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ALLOW, HeaderValue::from_static(ALLOW_ENDPOINT));
    h.insert("accept-post", HeaderValue::from_static(SDP));
    response
}

async fn options_resource() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ALLOW, HeaderValue::from_static(ALLOW_RESOURCE));
    h.insert("accept-patch", HeaderValue::from_static(SDPFRAG));
    response
}

/// Checks the bearer token when one is configured; `Ok(true)` when the request proved it.
fn authorize(app: &App, request_headers: &HeaderMap) -> Result<bool, Failure> {
    match &app.config.whip_token {
        None => Ok(false),
        Some(token) if headers::bearer_matches(request_headers, token.expose()) => Ok(true),
        Some(_) => Err(Failure::Unauthorized),
    }
}

/// Reads a UTF-8 body of at most `whip_max_body_bytes`: a declared length over it is refused before
/// reading, and reading stops at the limit.
async fn text_body(app: &App, request_headers: &HeaderMap, body: Body) -> Result<String, Failure> {
    let limit = app.config.limits.whip_max_body_bytes;
    let declared = request_headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Failure::TooLarge(limit));
    }
    let bytes: Bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Failure::TooLarge(limit))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Failure::BadRequest("the body is not UTF-8 text".to_owned()))
}

fn header_value(text: &str) -> Result<HeaderValue, Failure> {
    HeaderValue::from_str(text).map_err(|_| Failure::Internal("cannot build a header".to_owned()))
}

/// The response for a failure: its status, a one-line text body, `Retry-After` when waiting helps, and
/// `WWW-Authenticate` on 401.
fn failed(failure: &Failure) -> Response {
    let status = failure.status();
    if status.is_server_error() {
        tracing::info!(
            status = status.as_u16(),
            "WHIP request failed: {}",
            failure.message()
        );
    } else {
        tracing::debug!(
            status = status.as_u16(),
            "WHIP request refused: {}",
            failure.message()
        );
    }
    let mut response = (status, format!("{}\n", failure.message())).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Some(secs) = failure.retry_after() {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if *failure == Failure::Unauthorized {
        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}
