//! The task that owns one WHIP resource's gateway session, from Start to Stop.
//!
//! Start runs here, not in the POST handler, because hyper drops a handler whose client disconnects: a
//! session whose 201 nobody received is stopped by this task. Afterwards the task keeps the session's
//! StreamCandidates stream open (the gateway releases a session nobody watches or calls for its lease,
//! exactly as a browser socket's call keeps its session alive) and ends on the first of: DELETE (Stop, whose
//! outcome goes back to the handler), the bridge's drain (Stop), no media flowing in for `whip_idle_timeout`
//! (Stop: the client is gone, see `liveness.rs`), or the session ending at the gateway. Its
//! [`Slot`] unlists the resource on every one of those paths. The task is tracked, so the drain waits for it.

use std::sync::Arc;

use media_proto::v1::session_event::Event;
use media_proto::v1::{FlowDirection, SessionEvent, StartRequest};
use tokio::sync::oneshot;
use tokio_stream::StreamExt as _;
use tracing::Instrument as _;

use crate::app::App;
use crate::gateway::client::{CallError, Gateway};
use crate::whip::liveness::Liveness;
use crate::whip::offer::Offer;
use crate::whip::resources::{self, Resource, Slot, StopRequest};

/// What the POST answers with once Start has returned.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) id: String,
    pub(crate) etag: String,
    pub(crate) sdp_answer: String,
}

/// Spawns the resource's task: Start with `sdp`, publish the resource in `slot`, report to the POST, then
/// hold the session until it is deleted, drained or ended.
pub(crate) fn spawn(
    app: &Arc<App>,
    slot: Slot,
    sdp: String,
    offer: Offer,
) -> oneshot::Receiver<Result<Published, CallError>> {
    let (reply, published) = oneshot::channel();
    let app = Arc::clone(app);
    let span = tracing::info_span!(
        "whip",
        resource = tracing::field::Empty,
        session_id = tracing::field::Empty
    );
    let tasks = app.tasks.clone();
    tasks.spawn(run(app, slot, sdp, offer, reply).instrument(span));
    published
}

async fn run(
    app: Arc<App>,
    mut slot: Slot,
    sdp: String,
    offer: Offer,
    reply: oneshot::Sender<Result<Published, CallError>>,
) {
    let counters = &app.config.counters;
    // Counted with the browsers' sessions (`gateway_sessions_open`) from the moment Start is sent.
    let _session = counters.call_opened();
    let gateway = app.gateway.clone();
    // WHIP has no server-to-client trickle: the answer must already hold the media server's candidates.
    let kept: Arc<str> = Arc::from(sdp.as_str());
    let request = StartRequest {
        sdp_offer: sdp,
        wait_for_candidates: true,
    };
    let started = match gateway.start(request).await {
        Ok(started) => started,
        Err(e) => {
            let _ = reply.send(Err(e));
            return;
        }
    };
    let session_id = started.session_id;
    let etag = resources::new_etag();
    let (id, stopped) = slot.publish(Resource {
        session_id: session_id.clone(),
        etag: etag.clone(),
        offer,
        sdp: kept,
        ice_restart: started.capabilities.is_some_and(|c| c.ice_restart),
    });
    let span = tracing::Span::current();
    span.record("resource", id.as_str());
    span.record("session_id", session_id.as_str());
    let published = Published {
        id,
        etag,
        sdp_answer: started.sdp_answer,
    };
    if reply.send(Ok(published)).is_err() {
        counters.metrics.calls_orphaned.inc();
        tracing::info!("the WHIP client left before its 201; stopping the session");
        stop(&gateway, &session_id).await;
        return;
    }
    tracing::info!("WHIP resource created");
    hold(&app, &gateway, &session_id, stopped).await;
    drop(slot);
}

/// Watches the session until DELETE, the drain, its client's silence, or its end.
async fn hold(
    app: &App,
    gateway: &Gateway,
    session_id: &str,
    mut stopped: oneshot::Receiver<StopRequest>,
) {
    let metrics = &app.config.counters.metrics;
    let mut stream = match gateway.stream_events(session_id).await {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!("cannot watch the WHIP session, stopping it: {e}");
            stop(gateway, session_id).await;
            return;
        }
    };
    let mut liveness = Liveness::new(
        app.config.limits.whip_idle_timeout,
        std::time::Instant::now(),
    );
    loop {
        // Without a deadline (media flows) this branch is disabled; the far instant only fills the slot.
        let idle = liveness
            .deadline()
            .map_or_else(far_future, tokio::time::Instant::from_std);
        tokio::select! {
            request = &mut stopped => {
                let result = gateway.stop(session_id).await;
                tracing::info!(ok = result.is_ok(), "WHIP resource deleted");
                // The sender is gone only if the handler left; the session is stopped all the same.
                if let Ok(reply) = request {
                    let _ = reply.send(result);
                }
                return;
            }
            () = tokio::time::sleep_until(idle), if liveness.deadline().is_some() => {
                tracing::info!(timeout = ?app.config.limits.whip_idle_timeout, "no media from the WHIP client; stopping its session");
                metrics.whip_idle_closed.inc();
                stop(gateway, session_id).await;
                return;
            }
            () = app.shutdown.cancelled() => {
                tracing::info!("draining: stopping the WHIP session");
                stop(gateway, session_id).await;
                return;
            }
            item = stream.next() => match item {
                Some(Ok(SessionEvent { event: Some(Event::Ended(ended)) })) => {
                    // The gateway ended it (lease, media server lost, shutdown): nothing to stop.
                    tracing::info!(reason = ?ended.reason(), "the WHIP session ended at the gateway: {}", ended.message);
                    metrics.whip_sessions_ended.inc();
                    return;
                }
                Some(Ok(SessionEvent { event: Some(Event::MediaFlow(flow)) })) => {
                    liveness.on_flow(&flow, std::time::Instant::now());
                    if flow.flowing {
                        let direction = match flow.direction() {
                            FlowDirection::In => "in",
                            FlowDirection::Out => "out",
                            FlowDirection::Unspecified => "unspecified",
                        };
                        metrics.whip_media_flow(direction);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(status)) => {
                    let text = gateway.stream_failed(&status);
                    tracing::warn!("lost the WHIP session's events, stopping it: {text}");
                    stop(gateway, session_id).await;
                    return;
                }
                None => {
                    tracing::info!("the WHIP session's event stream ended; stopping it");
                    stop(gateway, session_id).await;
                    return;
                }
            }
        }
    }
}

/// An instant no timer reaches, for a disabled `select!` branch.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}

/// Stop whose failure can only be logged (the client is gone or the bridge is leaving).
async fn stop(gateway: &Gateway, session_id: &str) {
    if let Err(e) = gateway.stop(session_id).await {
        tracing::warn!("Stop failed: {e}");
    }
}
