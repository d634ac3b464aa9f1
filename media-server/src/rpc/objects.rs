//! The media objects the server knows: their ids and per-object state (classes, their hierarchy and
//! events are the protocol's, in `kurento::class`).

use super::state::Subscriptions;
use crate::engine::Endpoint;
use kurento::{MediaType, ObjectId, WebRtcProperty};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The remote classes this server implements are the protocol's own.
pub(super) use kurento::RemoteClass as Class;

/// `<uuid>_kurento.<Type>`, or `<parent>/<uuid>_kurento.<Type>` for a child (KMS `MediaObjectImpl::createId`).
pub(super) fn new_object_id(class: Class, parent: Option<&ObjectId>) -> ObjectId {
    let own = format!("{}_kurento.{}", uuid::Uuid::new_v4(), class.name());
    ObjectId::new(match parent {
        Some(p) => format!("{p}/{own}"),
        None => own,
    })
}

/// What only a WebRtcEndpoint has.
#[derive(Debug)]
pub(crate) struct WebRtcState {
    pub endpoint: Endpoint,
    /// Settable properties (STUN/TURN, network, bandwidths), stored and returned as given.
    pub properties: HashMap<WebRtcProperty, Value>,
    pub media_connected: bool,
    pub connection_connected: bool,
    /// Whether each media type flows, as the engine last reported it.
    pub flowing_in: HashMap<MediaType, bool>,
    pub flowing_out: HashMap<MediaType, bool>,
    /// Ids of the elements this one sends media to.
    pub sinks: BTreeSet<ObjectId>,
}

impl WebRtcState {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        WebRtcState {
            endpoint,
            properties: HashMap::new(),
            media_connected: false,
            connection_connected: false,
            flowing_in: HashMap::new(),
            flowing_out: HashMap::new(),
            sinks: BTreeSet::new(),
        }
    }
}

/// One live media object (not the ServerManager, which is a fixed singleton).
#[derive(Debug)]
pub(crate) struct MediaObject {
    pub class: Class,
    pub id: ObjectId,
    pub parent: Option<ObjectId>,
    pub children: BTreeSet<ObjectId>,
    /// Seconds since the epoch (`getCreationTime`).
    pub creation_time: u64,
    pub name: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub send_tags_in_events: bool,
    /// Sessions holding a reference; the object is destroyed when the last one lets go.
    pub sessions: HashSet<kurento::RpcSessionId>,
    pub subscriptions: Subscriptions,
    /// Constructor parameters as given (minus `mediaPipeline`), kept for inspection.
    pub constructor_params: Map<String, Value>,
    pub webrtc: Option<WebRtcState>,
}

impl MediaObject {
    pub(crate) fn new(
        class: Class,
        id: ObjectId,
        parent: Option<ObjectId>,
        creation_time: u64,
    ) -> Self {
        MediaObject {
            class,
            id,
            parent,
            children: BTreeSet::new(),
            creation_time,
            name: None,
            tags: BTreeMap::new(),
            send_tags_in_events: false,
            sessions: HashSet::new(),
            subscriptions: HashMap::new(),
            constructor_params: Map::new(),
            webrtc: None,
        }
    }

    /// The id of the pipeline this object lives in (itself for a pipeline).
    pub(crate) fn pipeline_id(&self) -> &ObjectId {
        self.parent.as_ref().unwrap_or(&self.id)
    }

    /// Tags as `kurento.Tag` values.
    pub(crate) fn tag_values(&self) -> Vec<Value> {
        self.tags
            .iter()
            .map(|(k, v)| {
                let mut m = Map::new();
                m.insert("key".into(), k.clone().into());
                m.insert("value".into(), v.clone().into());
                kurento::types::tagged("Tag", m)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_kms_format() {
        let p = new_object_id(Class::MediaPipeline, None);
        assert!(p.as_str().ends_with("_kurento.MediaPipeline"));
        assert_eq!(p.as_str().len(), 36 + "_kurento.MediaPipeline".len());
        let e = new_object_id(Class::WebRtcEndpoint, Some(&p));
        assert!(e.as_str().starts_with(&format!("{p}/")));
        assert!(e.as_str().ends_with("_kurento.WebRtcEndpoint"));
    }
}
