//! Media events: engine events mapped onto Kurento events, kept in the object's state, and delivered
//! once per subscribed session to the connection that session is bound to at that moment.

use super::Core;
use crate::engine::{self, EndpointEvent};
use kurento::types::{IceCandidate, IceCandidatePair, MediaType};
use kurento::{Event, EventData, SERVER_MANAGER};
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;
use tokio::sync::mpsc::error::TrySendError;

fn media_type(m: engine::MediaType) -> MediaType {
    match m {
        engine::MediaType::Audio => MediaType::Audio,
        engine::MediaType::Video => MediaType::Video,
    }
}

impl Core {
    /// One engine event of endpoint `object`, at `now_ms`.
    pub async fn on_endpoint_event(&self, object: &str, ev: EndpointEvent, now_ms: u64) {
        let data = {
            let mut st = self.lock();
            let Some(w) = st.objects.get_mut(object).and_then(|o| o.webrtc.as_mut()) else {
                // Released while the event was queued: nobody may hear about it any more.
                return;
            };
            match ev {
                EndpointEvent::IceCandidateFound {
                    candidate,
                    sdp_mid,
                    sdp_m_line_index,
                } => EventData::IceCandidateFound {
                    candidate: IceCandidate {
                        candidate,
                        sdp_mid,
                        sdp_m_line_index,
                    },
                },
                EndpointEvent::IceGatheringDone => EventData::IceGatheringDone,
                EndpointEvent::IceComponentStateChanged {
                    state,
                    stream_id,
                    component_id,
                } => EventData::IceComponentStateChanged {
                    stream_id,
                    component_id,
                    state,
                },
                EndpointEvent::NewCandidatePairSelected {
                    local_candidate,
                    remote_candidate,
                } => EventData::NewCandidatePairSelected {
                    // One bundled, rtcp-muxed stream: KMS would say stream "1", component 1.
                    candidate_pair: IceCandidatePair {
                        stream_id: "1".into(),
                        component_id: 1,
                        local_candidate,
                        remote_candidate,
                    },
                },
                EndpointEvent::MediaFlowInStateChanged { kind, flowing } => {
                    w.flowing_in.insert(kind.as_str(), flowing);
                    EventData::MediaFlowInStateChanged {
                        media_type: media_type(kind),
                        pad_name: "default".into(),
                        flowing,
                    }
                }
                EndpointEvent::MediaFlowOutStateChanged { kind, flowing } => {
                    w.flowing_out.insert(kind.as_str(), flowing);
                    EventData::MediaFlowOutStateChanged {
                        media_type: media_type(kind),
                        pad_name: "default".into(),
                        flowing,
                    }
                }
                EndpointEvent::MediaStateChanged { connected } => {
                    let old = std::mem::replace(&mut w.media_connected, connected);
                    EventData::MediaStateChanged {
                        old_connected: old,
                        new_connected: connected,
                    }
                }
                EndpointEvent::ConnectionStateChanged { connected } => {
                    let old = std::mem::replace(&mut w.connection_connected, connected);
                    EventData::ConnectionStateChanged {
                        old_connected: old,
                        new_connected: connected,
                    }
                }
                EndpointEvent::Error { description } => EventData::Error {
                    description,
                    error_code: 0,
                    error_type: "UNEXPECTED_ELEMENT_ERROR".into(),
                },
            }
        };
        self.deliver(Event::new(object, now_ms, data));
    }

    /// `ObjectCreated {object}` / `ObjectDestroyed {objectId}` raised by the ServerManager.
    pub(crate) async fn object_event(&self, id: &str, event_type: &str, key: &str, now_ms: u64) {
        let mut data = Map::new();
        data.insert(key.into(), id.into());
        let data = EventData::Other {
            event_type: event_type.into(),
            data,
        };
        self.deliver(Event::new(SERVER_MANAGER, now_ms, data));
    }

    /// Sends `event` to every subscribed session's connection (once per session).
    fn deliver(&self, event: Event) {
        let (targets, frame) = {
            let st = self.lock();
            let targets = st.event_targets(&event.object, event.data.event_type());
            if targets.is_empty() {
                return;
            }
            let mut msg = event.to_message().to_value();
            let tags = st
                .objects
                .get(&event.object)
                .filter(|o| o.send_tags_in_events)
                .map(|o| o.tag_values());
            if let (Some(tags), Some(d)) = (
                tags,
                msg.pointer_mut("/params/value/data")
                    .and_then(Value::as_object_mut),
            ) {
                d.insert("tags".into(), Value::Array(tags));
            }
            (targets, msg.to_string())
        };
        for t in targets {
            // Never wait on a full queue: the connection's own task drains it, so waiting while that
            // task runs a request (a transaction creating objects, say) would deadlock it, and a
            // client that stops reading would stall everyone else's requests. Drop and count instead,
            // as the engine does with its own events.
            match t.try_send(frame.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    self.events_dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(object = %event.object, event = event.data.event_type(),
                        "event dropped: the connection's queue is full");
                }
                Err(TrySendError::Closed(_)) => {
                    tracing::debug!(object = %event.object, "event dropped: connection closed");
                }
            }
        }
    }
}
