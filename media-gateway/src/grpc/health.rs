//! grpc.health.v1: SERVING only while a media server link is up, for "" and the MediaSession service.

use crate::links::Links;
use crate::links::kms::{KmsLink, LinkState};
use futures_util::future::select_all;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// The names health answers for: the whole server and the one service.
pub(crate) const SERVICES: &[&str] = &["", "mediasession.v1.MediaSession"];

async fn set(reporter: &HealthReporter, status: ServingStatus) {
    for name in SERVICES {
        reporter.set_service_status(*name, status).await;
    }
}

fn any_up(states: &[watch::Receiver<LinkState>]) -> bool {
    states.iter().any(|s| matches!(*s.borrow(), LinkState::Up))
}

/// Mirrors the links' state into `reporter` until `shutdown`, then reports NOT_SERVING.
pub(crate) async fn track(
    reporter: HealthReporter,
    links: Arc<Links>,
    shutdown: CancellationToken,
) {
    let mut states: Vec<_> = links.all().iter().map(KmsLink::state).collect();
    loop {
        let status = if any_up(&states) {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        set(&reporter, status).await;
        if states.is_empty() {
            shutdown.cancelled().await;
            break;
        }
        let changed = select_all(states.iter_mut().map(|s| Box::pin(s.changed())));
        tokio::select! {
            () = shutdown.cancelled() => break,
            (r, _, _) = changed => if r.is_err() {
                // A link task ended: only happens on shutdown.
                break;
            },
        }
    }
    set(&reporter, ServingStatus::NotServing).await;
}
