//! Media events: engine events (mapped onto Kurento events in `convert.rs`) and the ServerManager's
//! own, delivered once per subscribed session to the connection that session is bound to at that
//! moment, queued in that connection's [`super::outbox`] under the event's pipeline.

use super::outbox::{Closed, Lane};
use super::{Core, convert};
use crate::engine::EndpointEvent;
use kurento::{Event, EventData, ObjectId, SERVER_MANAGER};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::mpsc;

impl Core {
    /// One task per WebRtcEndpoint that stamps its engine events with the time and hands them to
    /// [`Core::on_endpoint_event`]. It ends by itself when the endpoint's driver ends (dropping the
    /// sender), which happens on release: every pump is owned, through its channel, by its endpoint.
    pub(crate) fn spawn_event_pump(
        self: &Arc<Self>,
        object: ObjectId,
        mut events: mpsc::Receiver<EndpointEvent>,
    ) {
        let core = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                tracing::trace!(%object, ?ev, "endpoint event");
                core.on_endpoint_event(&object, ev, (core.clock)()).await;
            }
            tracing::trace!(%object, "event pump ended");
        });
    }

    /// One engine event of endpoint `object`, at `now_ms`.
    pub async fn on_endpoint_event(&self, object: &ObjectId, ev: EndpointEvent, now_ms: u64) {
        let data = {
            let mut st = self.lock();
            let Some(w) = st.objects.get_mut(object).and_then(|o| o.webrtc.as_mut()) else {
                // Released while the event was queued: nobody may hear about it any more.
                return;
            };
            convert::endpoint_event(ev, w)
        };
        self.deliver(Event::new(object.as_str(), now_ms, data));
    }

    /// `ObjectCreated` or `ObjectDestroyed` raised by the ServerManager.
    pub(crate) async fn object_event(&self, data: EventData, now_ms: u64) {
        self.deliver(Event::new(SERVER_MANAGER, now_ms, data));
    }
    /// Sends `event` to every subscribed session's connection (once per session), queued under its
    /// pipeline so that another pipeline's burst cannot take its room (see [`super::outbox`]).
    fn deliver(&self, event: Event) {
        let (targets, key, frame) = {
            let st = self.lock();
            // The server raises only typed events, so every one has its kind.
            let Some(kind) = event.data.kind() else {
                return;
            };
            let targets = st.event_targets(&event.object, kind);
            if targets.is_empty() {
                return;
            }
            let mut msg = event.to_message().to_value();
            let tags = st
                .objects
                .get(event.object.as_str())
                .filter(|o| o.send_tags_in_events)
                .map(super::objects::MediaObject::tag_values);
            if let (Some(tags), Some(d)) = (
                tags,
                msg.pointer_mut("/params/value/data")
                    .and_then(Value::as_object_mut),
            ) {
                d.insert("tags".into(), Value::Array(tags));
            }
            let key = st.pipeline_of(event.object.as_str()).to_owned();
            (targets, key, msg.to_string())
        };
        let lane = lane_of(&event.data);
        for t in targets {
            // Never wait for room: the connection's own task drains the outbox, so waiting while that
            // task runs a request (a transaction creating objects, say) would deadlock it, and a
            // client that stops reading would stall everyone else's requests. The outbox drops
            // instead, within this pipeline's own queue, and we count why.
            match t.push(&key, lane, frame.clone()) {
                Ok(None) => {}
                Ok(Some(reason)) => {
                    self.event_drops.add(reason);
                    tracing::warn!(object = %event.object, pipeline = %key,
                        event = event.data.event_type(), ?reason,
                        "event dropped: the pipeline's queue on this connection is full");
                }
                Err(Closed) => {
                    tracing::debug!(object = %event.object, "event dropped: connection closed");
                }
            }
        }
    }
}

/// Candidates come in bursts and each is one of many; everything else is rare and needed (gathering
/// done, state changes, errors, object lifecycle), so it gets the reserved room.
fn lane_of(data: &EventData) -> Lane {
    match data {
        EventData::IceCandidateFound { .. } => Lane::Bulk,
        _ => Lane::Rare,
    }
}
