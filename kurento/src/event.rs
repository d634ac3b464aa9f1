//! `onEvent` notifications: the envelope, and typed data for the events a WebRtcEndpoint raises.

use crate::class::EventType;
use crate::error::{ErrorCode, RpcError};
use crate::ids::ObjectId;
use crate::jsonrpc::{Message, RawRequest};
use crate::types::{IceCandidate, IceCandidatePair, IceComponentState, MediaType};
use serde_json::{Map, Value, json};

/// The method name of every server notification.
pub const ON_EVENT: &str = "onEvent";

/// One event as KMS sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The object subscribed to.
    pub object: String,
    /// The object that raised it (the same for WebRtcEndpoint events).
    pub source: String,
    /// Milliseconds since the epoch, as a string on the wire.
    pub timestamp_millis: String,
    /// The event's name and its event-specific fields (`value.type` and `value.data`).
    pub data: EventData,
}

/// `FLOWING`/`NOT_FLOWING`, `CONNECTED`/`DISCONNECTED`: carried as booleans.
#[derive(Clone, Debug, PartialEq)]
pub enum EventData {
    /// Sent by KMS when a WebRtcEndpoint gathers a new local ICE candidate (trickle ICE).
    IceCandidateFound {
        /// `candidate`: the candidate, to pass on to the remote peer.
        candidate: IceCandidate,
    },
    /// Sent by KMS when a WebRtcEndpoint has gathered all its local ICE candidates.
    IceGatheringDone,
    /// Sent by KMS when an ICE component of a WebRtcEndpoint changes state.
    IceComponentStateChanged {
        /// `streamId`: the ICE stream the component belongs to (an integer here).
        stream_id: u32,
        /// `componentId`: the component within the stream (1 for RTP, 2 for RTCP).
        component_id: u32,
        /// `state`: the component's new state.
        state: IceComponentState,
    },
    /// Sent by KMS when the ICE library selects a new candidate pair for a WebRtcEndpoint.
    NewCandidatePairSelected {
        /// `candidatePair`: the local and remote candidates now in use.
        candidate_pair: IceCandidatePair,
    },
    /// Sent by KMS when incoming media of one type starts or stops flowing into an element.
    MediaFlowInStateChanged {
        /// `mediaType`: which kind of media changed.
        media_type: MediaType,
        /// `padName`: the element pad concerned (`"default"` when KMS leaves it out).
        pad_name: String,
        /// `state`: `true` for `FLOWING`, `false` for `NOT_FLOWING`.
        flowing: bool,
    },
    /// Sent by KMS when outgoing media of one type starts or stops flowing out of an element.
    MediaFlowOutStateChanged {
        /// `mediaType`: which kind of media changed.
        media_type: MediaType,
        /// `padName`: the element pad concerned (`"default"` when KMS leaves it out).
        pad_name: String,
        /// `state`: `true` for `FLOWING`, `false` for `NOT_FLOWING`.
        flowing: bool,
    },
    /// Sent by KMS when the media between two peers (judged by RTCP) comes up or goes down.
    MediaStateChanged {
        /// `oldState`: `true` for `CONNECTED`, `false` for `DISCONNECTED`.
        old_connected: bool,
        /// `newState`: `true` for `CONNECTED`, `false` for `DISCONNECTED`.
        new_connected: bool,
    },
    /// Sent by KMS when the connection between two peers comes up or goes down.
    ConnectionStateChanged {
        /// `oldState`: `true` for `CONNECTED`, `false` for `DISCONNECTED`.
        old_connected: bool,
        /// `newState`: `true` for `CONNECTED`, `false` for `DISCONNECTED`.
        new_connected: bool,
    },
    /// Sent by KMS when a media object hits an error. In the data, `type` holds the error type
    /// string (e.g. `STREAM_ERROR_FAILED`), not the event name.
    Error {
        /// `description`: KMS's human-readable account of the error.
        description: String,
        /// `errorCode`: KMS's numeric code for the error.
        error_code: i64,
        /// `type`: the error type string, `UNDEFINED` when KMS leaves it out.
        error_type: String,
    },
    /// The ServerManager saw `object` created.
    ObjectCreated {
        /// `object`: the id of the object just created.
        object: ObjectId,
    },
    /// The ServerManager saw `object_id` destroyed.
    ObjectDestroyed {
        /// `objectId`: the id of the object just destroyed.
        object_id: ObjectId,
    },
    /// Any other event, kept whole so nothing is lost.
    Other {
        /// `value.type`: the event name as sent.
        event_type: String,
        /// `value.data`: every field of the event's data, as sent.
        data: Map<String, Value>,
    },
}

pub use crate::class::{MEDIA_PIPELINE_EVENTS, WEBRTC_ENDPOINT_EVENTS};

fn connected(b: bool) -> &'static str {
    if b { "CONNECTED" } else { "DISCONNECTED" }
}

fn flowing(b: bool) -> &'static str {
    if b { "FLOWING" } else { "NOT_FLOWING" }
}

impl EventData {
    /// The event name (`onEvent`'s `value.type`).
    pub fn event_type(&self) -> &str {
        match self {
            EventData::Other { event_type, .. } => event_type,
            typed => typed.kind().map_or("", EventType::as_str),
        }
    }

    /// The event type, for every event but one this crate does not know ([`EventData::Other`] with an
    /// unknown name).
    pub fn kind(&self) -> Option<EventType> {
        Some(match self {
            EventData::IceCandidateFound { .. } => EventType::IceCandidateFound,
            EventData::IceGatheringDone => EventType::IceGatheringDone,
            EventData::IceComponentStateChanged { .. } => EventType::IceComponentStateChanged,
            EventData::NewCandidatePairSelected { .. } => EventType::NewCandidatePairSelected,
            EventData::MediaFlowInStateChanged { .. } => EventType::MediaFlowInStateChanged,
            EventData::MediaFlowOutStateChanged { .. } => EventType::MediaFlowOutStateChanged,
            EventData::MediaStateChanged { .. } => EventType::MediaStateChanged,
            EventData::ConnectionStateChanged { .. } => EventType::ConnectionStateChanged,
            EventData::Error { .. } => EventType::Error,
            EventData::ObjectCreated { .. } => EventType::ObjectCreated,
            EventData::ObjectDestroyed { .. } => EventType::ObjectDestroyed,
            EventData::Other { event_type, .. } => return EventType::parse(event_type),
        })
    }

    /// The event-specific fields of `data` (the base fields are added by [`Event::to_value`]).
    fn fields(&self) -> Map<String, Value> {
        let name = self.event_type().to_owned();
        let v = match self {
            EventData::IceCandidateFound { candidate } => {
                json!({"candidate": candidate.to_value(), "type": name})
            }
            EventData::IceGatheringDone => json!({"type": name}),
            EventData::IceComponentStateChanged {
                stream_id,
                component_id,
                state,
            } => json!({
                "streamId": stream_id, "componentId": component_id, "state": state.as_str(), "type": name}),
            EventData::NewCandidatePairSelected { candidate_pair } => {
                json!({"candidatePair": candidate_pair.to_value(), "type": name})
            }
            EventData::MediaFlowInStateChanged {
                media_type,
                pad_name,
                flowing: f,
            }
            | EventData::MediaFlowOutStateChanged {
                media_type,
                pad_name,
                flowing: f,
            } => json!({
                "mediaType": media_type.as_str(), "padName": pad_name, "state": flowing(*f), "type": name}),
            EventData::MediaStateChanged {
                old_connected,
                new_connected,
            }
            | EventData::ConnectionStateChanged {
                old_connected,
                new_connected,
            } => json!({
                "oldState": connected(*old_connected), "newState": connected(*new_connected), "type": name}),
            EventData::Error {
                description,
                error_code,
                error_type,
            } => {
                json!({"description": description, "errorCode": error_code, "type": error_type})
            }
            // KMS writes no `type` inside these two events' data.
            EventData::ObjectCreated { object } => json!({"object": object}),
            EventData::ObjectDestroyed { object_id } => json!({"objectId": object_id}),
            EventData::Other { data, .. } => Value::Object(data.clone()),
        };
        v.as_object().cloned().unwrap_or_default()
    }

    fn parse(event_type: &str, d: &Map<String, Value>) -> Result<Self, RpcError> {
        let bad = |what: &str| {
            RpcError::new(
                ErrorCode::MarshallError,
                format!("{event_type}: bad '{what}'"),
            )
        };
        let s = |k: &str| d.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
        let n = |k: &str| {
            // IceComponentStateChanged's ids are integers; accept numeric strings too rather than drop the event.
            d.get(k)
                .and_then(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                })
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad(k))
        };
        let conn = |k: &str| match s(k)? {
            "CONNECTED" => Ok(true),
            "DISCONNECTED" => Ok(false),
            _ => Err(bad(k)),
        };
        let flow = || {
            let media_type = MediaType::parse(s("mediaType")?).ok_or_else(|| bad("mediaType"))?;
            let f = match s("state")? {
                "FLOWING" => true,
                "NOT_FLOWING" => false,
                _ => return Err(bad("state")),
            };
            Ok::<_, RpcError>((
                media_type,
                d.get("padName")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_owned(),
                f,
            ))
        };
        Ok(match event_type {
            "IceCandidateFound" => EventData::IceCandidateFound {
                candidate: IceCandidate::from_value(
                    d.get("candidate").ok_or_else(|| bad("candidate"))?,
                )?,
            },
            "IceGatheringDone" => EventData::IceGatheringDone,
            "IceComponentStateChanged" => EventData::IceComponentStateChanged {
                stream_id: n("streamId")?,
                component_id: n("componentId")?,
                state: IceComponentState::parse(s("state")?).ok_or_else(|| bad("state"))?,
            },
            "NewCandidatePairSelected" => EventData::NewCandidatePairSelected {
                candidate_pair: IceCandidatePair::from_value(
                    d.get("candidatePair").ok_or_else(|| bad("candidatePair"))?,
                )?,
            },
            "MediaFlowInStateChanged" => {
                let (media_type, pad_name, flowing) = flow()?;
                EventData::MediaFlowInStateChanged {
                    media_type,
                    pad_name,
                    flowing,
                }
            }
            "MediaFlowOutStateChanged" => {
                let (media_type, pad_name, flowing) = flow()?;
                EventData::MediaFlowOutStateChanged {
                    media_type,
                    pad_name,
                    flowing,
                }
            }
            "MediaStateChanged" => EventData::MediaStateChanged {
                old_connected: conn("oldState")?,
                new_connected: conn("newState")?,
            },
            "ConnectionStateChanged" => EventData::ConnectionStateChanged {
                old_connected: conn("oldState")?,
                new_connected: conn("newState")?,
            },
            "Error" => EventData::Error {
                description: d
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                error_code: d
                    .get("errorCode")
                    .and_then(Value::as_i64)
                    .unwrap_or_default(),
                error_type: d
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("UNDEFINED")
                    .to_owned(),
            },
            "ObjectCreated" => EventData::ObjectCreated {
                object: ObjectId::new(s("object")?),
            },
            "ObjectDestroyed" => EventData::ObjectDestroyed {
                object_id: ObjectId::new(s("objectId")?),
            },
            other => EventData::Other {
                event_type: other.to_owned(),
                data: d.clone(),
            },
        })
    }
}

impl Event {
    /// An event raised by `object` itself, at `timestamp_millis` (the caller reads the clock).
    pub fn new(object: impl Into<String>, timestamp_millis: u64, data: EventData) -> Self {
        let object = object.into();
        Self {
            source: object.clone(),
            object,
            timestamp_millis: timestamp_millis.to_string(),
            data,
        }
    }

    /// `params.value` of the notification.
    pub fn to_value(&self) -> Value {
        let mut d = self.data.fields();
        d.insert("source".into(), self.source.clone().into());
        d.insert("tags".into(), Value::Array(vec![]));
        d.insert(
            "timestampMillis".into(),
            self.timestamp_millis.clone().into(),
        );
        json!({"data": d, "object": self.object, "type": self.data.event_type()})
    }

    /// The `onEvent` notification frame (no id: KMS never expects an answer).
    pub fn to_message(&self) -> Message {
        let mut params = Map::new();
        params.insert("value".into(), self.to_value());
        Message::Request(RawRequest {
            id: None,
            method: ON_EVENT.into(),
            params: Some(params),
        })
    }

    /// Reads an `onEvent` notification's params.
    pub fn from_params(params: &Map<String, Value>) -> Result<Self, RpcError> {
        let bad = |what: &str| {
            RpcError::new(
                ErrorCode::MarshallError,
                format!("onEvent: missing or bad '{what}'"),
            )
        };
        let v = params
            .get("value")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("value"))?;
        let object = v
            .get("object")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("object"))?
            .to_owned();
        let event_type = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("type"))?;
        let empty = Map::new();
        let d = v.get("data").and_then(Value::as_object).unwrap_or(&empty);
        Ok(Self {
            source: d
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or(&object)
                .to_owned(),
            timestamp_millis: d
                .get("timestampMillis")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            data: EventData::parse(event_type, d)?,
            object,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> Event {
        let Ok(Message::Request(r)) = Message::decode(text) else {
            panic!("{text}")
        };
        assert_eq!(r.method, ON_EVENT);
        let e = Event::from_params(r.params.as_ref().unwrap()).unwrap();
        assert_eq!(
            e.to_message(),
            Message::decode(text).unwrap(),
            "re-encoding {text}"
        );
        e
    }

    #[test]
    fn reads_and_writes_the_protocol_examples() {
        let e = round_trip(
            r#"{"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"candidate":{"__module__":"kurento","__type__":"IceCandidate","candidate":"candidate:1 1 UDP 2015363327 172.17.0.2 20372 typ host","sdpMLineIndex":0,"sdpMid":"0"},"source":"E","tags":[],"timestampMillis":"1730000000123","type":"IceCandidateFound"},"object":"E","type":"IceCandidateFound"}}}"#,
        );
        assert!(matches!(e.data, EventData::IceCandidateFound { .. }));
        let data = [
            r#"{"componentId":1,"source":"E","state":"CONNECTED","streamId":1,"tags":[],"timestampMillis":"1","type":"IceComponentStateChanged"}"#,
            r#"{"candidatePair":{"__module__":"kurento","__type__":"IceCandidatePair","componentId":1,"localCandidate":"a","remoteCandidate":"b","streamId":"1"},"source":"E","tags":[],"timestampMillis":"1","type":"NewCandidatePairSelected"}"#,
            r#"{"source":"E","tags":[],"timestampMillis":"1","type":"IceGatheringDone"}"#,
            r#"{"mediaType":"VIDEO","padName":"default","source":"E","state":"FLOWING","tags":[],"timestampMillis":"1","type":"MediaFlowInStateChanged"}"#,
            r#"{"newState":"CONNECTED","oldState":"DISCONNECTED","source":"E","tags":[],"timestampMillis":"1","type":"ConnectionStateChanged"}"#,
            r#"{"newState":"CONNECTED","oldState":"DISCONNECTED","source":"E","tags":[],"timestampMillis":"1","type":"MediaStateChanged"}"#,
        ];
        for d in data {
            let ty: Value = serde_json::from_str(d).unwrap();
            let ty = ty["type"].as_str().unwrap();
            let text = format!(
                r#"{{"jsonrpc":"2.0","method":"onEvent","params":{{"value":{{"data":{d},"object":"E","type":"{ty}"}}}}}}"#
            );
            let e = round_trip(&text);
            assert_eq!(e.data.event_type(), ty);
            assert!(
                !matches!(e.data, EventData::Other { .. }),
                "{ty} should be typed"
            );
        }
    }

    #[test]
    fn error_events_keep_their_error_type() {
        let text = r#"{"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"description":"boom","errorCode":6,"source":"P","tags":[],"timestampMillis":"1","type":"RESOURCE_ERROR_OPEN"},"object":"P","type":"Error"}}}"#;
        let e = round_trip(text);
        assert_eq!(
            e.data,
            EventData::Error {
                description: "boom".into(),
                error_code: 6,
                error_type: "RESOURCE_ERROR_OPEN".into()
            }
        );
    }

    #[test]
    fn unknown_events_are_kept_whole() {
        let text = r#"{"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"channelId":3,"source":"E","tags":[],"timestampMillis":"1","type":"DataChannelOpened"},"object":"E","type":"DataChannelOpened"}}}"#;
        assert_eq!(round_trip(text).data.event_type(), "DataChannelOpened");
    }

    #[test]
    fn server_manager_events_are_typed() {
        let text = r#"{"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"objectId":"P","source":"manager_ServerManager","tags":[],"timestampMillis":"1"},"object":"manager_ServerManager","type":"ObjectDestroyed"}}}"#;
        assert_eq!(
            round_trip(text).data,
            EventData::ObjectDestroyed {
                object_id: ObjectId::new("P")
            }
        );
    }
}
