//! How a session ends: the one release of its pipeline (now, or owed by the link and retried until the
//! media server confirms it), then the registry, the Start caller, the watchers and the Stop caller hear
//! of it, in that order.

use super::actor::{Actor, End, StartReply};
use super::convert;
use super::setup::Objects;
use crate::error::Error;
use crate::links::kms::{LinkState, Released};
use crate::metrics::reason_label;
use kurento::ObjectId;
use media_proto::v1::EndReason;

impl Actor {
    /// The one release of the session's pipeline: tried now, and owed by the link (retried until the media
    /// server confirms it) if that fails.
    pub(super) async fn release(&self, pipeline: &ObjectId) {
        match self.link.release(pipeline).await {
            Released::Confirmed => {
                self.shared.metrics.released(true);
                tracing::debug!(%pipeline, "pipeline released");
            }
            Released::Owed(e) => {
                self.shared.metrics.released(false);
                tracing::warn!(%pipeline, error = %e, "pipeline release failed; the link retries it");
            }
        }
    }

    pub(super) async fn finish(
        mut self: Box<Self>,
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
            // A lost media server may come back with the link's rpc session resumed, objects and all: the
            // link owes the release and sends it once it is up again.
            EndReason::MediaServerLost => {
                self.shared.metrics.released(false);
                self.link.release_later(objects.pipeline.clone());
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
