//! One task per WebRtcEndpoint that stamps its engine events with the time and hands them to the core.
//!
//! The task ends by itself when the endpoint's driver task ends (it drops the event sender), which
//! happens on release; so every pump is owned, through its channel, by the endpoint it serves.

use crate::clock::now_ms;
use crate::engine::EndpointEvent;
use crate::rpc::Core;
use kurento::ObjectId;
use std::sync::Arc;
use tokio::sync::mpsc;

pub(crate) fn spawn(core: Arc<Core>, object: ObjectId, mut events: mpsc::Receiver<EndpointEvent>) {
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            tracing::trace!(%object, ?ev, "endpoint event");
            core.on_endpoint_event(&object, ev, now_ms()).await;
        }
        tracing::trace!(%object, "event pump ended");
    });
}
