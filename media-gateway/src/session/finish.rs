//! How a session ends: the one release of its pipeline (now, or once a lost media server is back), then
//! the registry, the Start caller, the watchers and the Stop caller hear of it, in that order.

use super::actor::{Actor, End, StartReply};
use super::convert;
use super::setup::Objects;
use crate::error::Error;
use crate::links::kms::{KmsLink, LinkState};
use crate::metrics::{Metrics, reason_label};
use kurento::{Method, ObjectId};
use media_proto::v1::EndReason;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

impl Actor {
    pub(super) async fn release(&self, pipeline: &ObjectId) {
        match self.link.call(Method::release(pipeline)).await {
            Ok(_) => {
                self.shared.metrics.released(true);
                tracing::debug!(%pipeline, "pipeline released");
            }
            Err(e) => {
                self.shared.metrics.released(false);
                tracing::warn!(%pipeline, error = %e, "pipeline release failed");
            }
        }
    }

    pub(super) async fn finish(
        mut self,
        end: End,
        objects: &Objects,
        start_reply: Option<(StartReply, String)>,
    ) {
        tracing::info!(reason = ?end.reason, message = %end.message, "session ended");
        self.shared.metrics.session_ended(reason_label(end.reason));
        match end.reason {
            // Objects on a restarted media server are gone already; so are those of a closed link.
            EndReason::MediaServerRestarted => {}
            EndReason::Shutdown if self.link.state().borrow().ne(&LinkState::Up) => {}
            // A lost media server may come back with the link's rpc session resumed, objects and all: release
            // once it is up again (or give up when the gateway shuts down).
            EndReason::MediaServerLost => {
                let (link, pipeline) = (self.link.clone(), objects.pipeline.clone());
                let shutdown = self.shared.shutdown.clone();
                let metrics = self.shared.metrics.clone();
                // Still this session's work: its log lines keep the session's span.
                self.shared.tracker.spawn(
                    release_when_back(link, pipeline, shutdown, metrics)
                        .instrument(tracing::Span::current()),
                );
            }
            _ => self.release(&objects.pipeline).await,
        }
        self.registrations.clear();
        // Before anyone hears that the session ended, so a Start that follows sees the freed capacity.
        drop(self.placement);
        self.shared.registry.end(&self.id);
        if let Some((reply, _)) = start_reply {
            let _ = reply.send(Err(Error::Ended(end.message.clone())));
        }
        self.watchers
            .finish(convert::ended(end.reason, end.message));
        if let Some(r) = end.stop_reply {
            let _ = r.send(true);
        }
    }
}

/// Releases `pipeline` once `link` is up again, unless the gateway shuts down first.
async fn release_when_back(
    link: KmsLink,
    pipeline: ObjectId,
    shutdown: CancellationToken,
    metrics: Arc<Metrics>,
) {
    let mut state = link.state();
    tokio::select! {
        () = shutdown.cancelled() => {}
        up = async { state.wait_for(|s| *s == LinkState::Up).await.is_ok() } => if up {
            match link.call(Method::release(&pipeline)).await {
                Ok(_) => {
                    metrics.released(true);
                    tracing::info!(%pipeline, "released after the media server came back");
                }
                Err(e) => {
                    metrics.released(false);
                    tracing::debug!(%pipeline, error = %e, "release after the media server came back failed");
                }
            }
        },
    }
}
