//! The JSON-RPC verbs (`create`, `invoke`, `subscribe`, …): what a client builds and what a server reads,
//! with KMS's validation messages. What a verb acts on is typed in [`crate::operation`],
//! [`crate::constructor`] and [`crate::class`]; the variants here keep the names as they travel, so a
//! server can still answer an operation, factory or event it does not know with KMS's own error.

use crate::class::EventType;
use crate::constructor::Constructor;
use crate::error::RpcError;
use crate::ids::{ObjectRef, RpcSessionId};
use crate::jsonrpc::{Id, Message, RawRequest};
use crate::operation::Operation;
use serde_json::{Map, Value};

pub use crate::ids::SERVER_MANAGER;

/// A Kurento method with its parameters (`sessionId` apart, see [`Request`]). Build `create`,
/// `invoke` and `subscribe` with [`Method::create`], [`Method::invoke_op`] and [`Method::subscribe`]
/// from the typed values; a server reads them back with [`Constructor::parse`],
/// [`Operation::parse`] and [`EventType::parse`].
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// `ping`: checks the connection is alive; KMS answers `"pong"`. `interval` is informative only; KMS ignores it.
    Ping {
        /// `interval`: the client's keep-alive period in milliseconds, if it says one.
        interval: Option<u64>,
    },
    /// `describe`: asks for an object's class and hierarchy (and references it from the session).
    Describe {
        /// `object`: the id of the object to describe.
        object: String,
    },
    /// `create`: makes a media object; the result's `value` is its new id.
    Create {
        /// `type`: the factory name, e.g. `"MediaPipeline"`.
        type_name: String,
        /// `constructorParams`: the constructor's arguments (left out of the frame when empty).
        constructor_params: Map<String, Value>,
        /// `properties`: extra properties set on the new object.
        properties: Map<String, Value>,
    },
    /// `invoke`: runs an operation on an object; the result's `value` is what it returns.
    Invoke {
        /// `object`: the id (or `newref:N`) of the object the operation runs on.
        object: String,
        /// `operation`: the operation name, e.g. `"processOffer"`.
        operation: String,
        /// `operationParams`: the operation's arguments, if it takes any.
        operation_params: Option<Map<String, Value>>,
    },
    /// `subscribe`: asks for `onEvent` notifications of one event type from an object.
    Subscribe {
        /// `object`: the id of the object whose events are wanted.
        object: String,
        /// `type`: the event name, e.g. `"IceCandidateFound"`.
        event_type: String,
    },
    /// `unsubscribe`: cancels a subscription; KMS never fails it.
    Unsubscribe {
        /// `object`: the id of the object subscribed to.
        object: String,
        /// `subscription`: the id `subscribe` returned.
        subscription: String,
    },
    /// `release`: destroys an object and everything it contains; KMS never fails it.
    Release {
        /// `object`: the id of the object to release.
        object: String,
    },
    /// `ref`: adds the session's reference to an object.
    Ref {
        /// `object`: the id of the object to reference.
        object: String,
    },
    /// `unref`: drops the session's reference; the object dies when no session references it.
    Unref {
        /// `object`: the id of the object to stop referencing.
        object: String,
    },
    /// `keepAlive`: marks the session in use (40007 if KMS does not know it).
    KeepAlive,
    /// `connect` without a session id asks for a fresh session; with one it resumes that session.
    Connect,
    /// `closeSession`: ends the session, unreferencing (or releasing) every object it holds.
    CloseSession {
        /// `release`: release the session's objects rather than just unreference them.
        release: bool,
    },
    /// Complete JSON-RPC requests whose `id`s are 0, 1, 2…; `"newref:N"` names operation N's result.
    Transaction {
        /// `operations`: the requests to run in order, each a whole JSON-RPC request object.
        operations: Vec<Value>,
    },
}

/// A method plus the Kurento session it runs in.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The method name and its parameters.
    pub method: Method,
    /// `params.sessionId`: the session to run in; `None` lets KMS make a fresh one (or, for
    /// `ping`, none).
    pub session_id: Option<RpcSessionId>,
}

fn req_str(p: &Map<String, Value>, name: &str) -> Result<String, RpcError> {
    match p.get(name) {
        None | Some(Value::Null) => Err(RpcError::param_required(name)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(RpcError::param_type(name, "a string")),
    }
}

fn opt_obj(p: &Map<String, Value>, name: &str) -> Result<Option<Map<String, Value>>, RpcError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(_) => Err(RpcError::param_type(name, "an object")),
    }
}

impl Method {
    /// The JSON-RPC method name.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Ping { .. } => "ping",
            Method::Describe { .. } => "describe",
            Method::Create { .. } => "create",
            Method::Invoke { .. } => "invoke",
            Method::Subscribe { .. } => "subscribe",
            Method::Unsubscribe { .. } => "unsubscribe",
            Method::Release { .. } => "release",
            Method::Ref { .. } => "ref",
            Method::Unref { .. } => "unref",
            Method::KeepAlive => "keepAlive",
            Method::Connect => "connect",
            Method::CloseSession { .. } => "closeSession",
            Method::Transaction { .. } => "transaction",
        }
    }

    /// `create` of `constructor`, with no properties.
    pub fn create(constructor: &Constructor) -> Self {
        Method::Create {
            type_name: constructor.factory().name().into(),
            constructor_params: constructor.to_params(),
            properties: Map::new(),
        }
    }

    /// `invoke` of a typed operation on `object`.
    pub fn invoke_op(object: impl Into<ObjectRef>, operation: impl Into<Operation>) -> Self {
        let (name, params) = operation.into().to_params();
        Method::Invoke {
            object: object.into().to_wire(),
            operation: name.into(),
            operation_params: params,
        }
    }

    /// `subscribe` to `event` raised by `object`.
    pub fn subscribe(object: impl Into<ObjectRef>, event: EventType) -> Self {
        Method::Subscribe {
            object: object.into().to_wire(),
            event_type: event.as_str().into(),
        }
    }

    /// `release` of `object` and everything it contains.
    pub fn release(object: impl Into<ObjectRef>) -> Self {
        Method::Release {
            object: object.into().to_wire(),
        }
    }

    /// An `invoke` by name, for operations this crate does not type (and for tests that send what a
    /// sloppy client might). Prefer [`Method::invoke_op`].
    pub fn invoke(object: &str, operation: &str, params: Option<Value>) -> Self {
        Method::Invoke {
            object: object.into(),
            operation: operation.into(),
            operation_params: params.and_then(|v| v.as_object().cloned()),
        }
    }
}

impl Request {
    /// `method` to run in `session_id` (or with no `sessionId`).
    pub fn new(method: Method, session_id: Option<RpcSessionId>) -> Self {
        Self { method, session_id }
    }

    /// The `params` object (absent for a sessionless ping or connect, as the official clients send them).
    pub fn params(&self) -> Option<Map<String, Value>> {
        let mut p = Map::new();
        match &self.method {
            Method::Ping { interval } => {
                if let Some(i) = interval {
                    p.insert("interval".into(), (*i).into());
                }
            }
            Method::Describe { object }
            | Method::Release { object }
            | Method::Ref { object }
            | Method::Unref { object } => {
                p.insert("object".into(), object.clone().into());
            }
            Method::Create {
                type_name,
                constructor_params,
                properties,
            } => {
                p.insert("type".into(), type_name.clone().into());
                if !constructor_params.is_empty() {
                    p.insert(
                        "constructorParams".into(),
                        Value::Object(constructor_params.clone()),
                    );
                }
                p.insert("properties".into(), Value::Object(properties.clone()));
            }
            Method::Invoke {
                object,
                operation,
                operation_params,
            } => {
                p.insert("object".into(), object.clone().into());
                p.insert("operation".into(), operation.clone().into());
                if let Some(op) = operation_params {
                    p.insert("operationParams".into(), Value::Object(op.clone()));
                }
            }
            Method::Subscribe { object, event_type } => {
                p.insert("object".into(), object.clone().into());
                p.insert("type".into(), event_type.clone().into());
            }
            Method::Unsubscribe {
                object,
                subscription,
            } => {
                p.insert("object".into(), object.clone().into());
                p.insert("subscription".into(), subscription.clone().into());
            }
            Method::KeepAlive | Method::Connect => {}
            Method::CloseSession { release } => {
                p.insert("release".into(), (*release).into());
            }
            Method::Transaction { operations } => {
                p.insert("operations".into(), Value::Array(operations.clone()));
            }
        }
        if let Some(s) = &self.session_id {
            p.insert("sessionId".into(), s.as_str().into());
        }
        (!p.is_empty()).then_some(p)
    }

    /// The request as a message with `id`.
    pub fn to_message(&self, id: Id) -> Message {
        Message::Request(RawRequest {
            id: Some(id),
            method: self.method.name().into(),
            params: self.params(),
        })
    }

    /// One text frame.
    pub fn encode(&self, id: Id) -> String {
        self.to_message(id).encode()
    }

    /// Builds a `transaction` from requests; each operation gets its position as its id, and no session id
    /// (KMS overwrites it with the transaction's).
    pub fn transaction(ops: &[Method], session_id: Option<RpcSessionId>) -> Self {
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Request::new(m.clone(), None)
                    .to_message(Id::from(i as u64))
                    .to_value()
            })
            .collect();
        Self::new(Method::Transaction { operations }, session_id)
    }

    /// Reads a request as KMS does, with its error codes and messages: unknown method -32601, missing params
    /// -32602, a missing or mistyped top-level parameter -32000.
    pub fn parse(raw: &RawRequest) -> Result<Self, RpcError> {
        let empty = Map::new();
        let needs_params = !matches!(raw.method.as_str(), "ping" | "connect");
        let p = match &raw.params {
            Some(p) => p,
            None if needs_params && is_known(&raw.method) => {
                return Err(RpcError::params_required());
            }
            None => &empty,
        };
        let session_id = match p.get("sessionId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(RpcSessionId::new(s.clone())),
            Some(_) => return Err(RpcError::param_type("sessionId", "a string")),
        };
        let method = match raw.method.as_str() {
            "ping" => Method::Ping {
                interval: p.get("interval").and_then(Value::as_u64),
            },
            "describe" => Method::Describe {
                object: req_str(p, "object")?,
            },
            "create" => Method::Create {
                type_name: req_str(p, "type")?,
                constructor_params: opt_obj(p, "constructorParams")?.unwrap_or_default(),
                properties: opt_obj(p, "properties")?.unwrap_or_default(),
            },
            "invoke" => Method::Invoke {
                object: req_str(p, "object")?,
                operation: req_str(p, "operation")?,
                operation_params: opt_obj(p, "operationParams")?,
            },
            "subscribe" => Method::Subscribe {
                object: req_str(p, "object")?,
                event_type: req_str(p, "type")?,
            },
            "unsubscribe" => Method::Unsubscribe {
                object: req_str(p, "object")?,
                subscription: req_str(p, "subscription")?,
            },
            "release" => Method::Release {
                object: req_str(p, "object")?,
            },
            "ref" => Method::Ref {
                object: req_str(p, "object")?,
            },
            "unref" => Method::Unref {
                object: req_str(p, "object")?,
            },
            "keepAlive" => Method::KeepAlive,
            "connect" => Method::Connect,
            "closeSession" => Method::CloseSession {
                release: p.get("release").and_then(Value::as_bool).unwrap_or(false),
            },
            "transaction" => match p.get("operations") {
                None | Some(Value::Null) => return Err(RpcError::param_required("operations")),
                Some(Value::Array(a)) => Method::Transaction {
                    operations: a.clone(),
                },
                Some(_) => return Err(RpcError::param_type("operations", "an array")),
            },
            _ => {
                return Err(RpcError::new(
                    crate::ErrorCode::MethodNotFound,
                    "Method not found.",
                ));
            }
        };
        Ok(Self { method, session_id })
    }
}

fn is_known(method: &str) -> bool {
    matches!(
        method,
        "ping"
            | "describe"
            | "create"
            | "invoke"
            | "subscribe"
            | "unsubscribe"
            | "release"
            | "ref"
            | "unref"
            | "keepAlive"
            | "connect"
            | "closeSession"
            | "transaction"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(text: &str) -> RawRequest {
        match Message::decode(text).unwrap() {
            Message::Request(r) => r,
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn builds_what_kurento_client_js_sends() {
        let r = Request::new(
            Method::Create {
                type_name: "WebRtcEndpoint".into(),
                constructor_params: json!({"mediaPipeline":"P"}).as_object().cloned().unwrap(),
                properties: Map::new(),
            },
            Some("S".into()),
        );
        assert_eq!(
            r.to_message(4.into()).to_value(),
            json!({"jsonrpc":"2.0","method":"create","params":{"type":"WebRtcEndpoint",
                "constructorParams":{"mediaPipeline":"P"},"properties":{},"sessionId":"S"},"id":4})
        );
        let ping = Request::new(Method::Ping { interval: None }, None);
        assert_eq!(
            ping.encode(17.into()),
            r#"{"id":17,"jsonrpc":"2.0","method":"ping"}"#
        );
    }

    #[test]
    fn parses_and_round_trips() {
        let text = r#"{"jsonrpc":"2.0","method":"invoke","params":{"object":"E","operation":"gatherCandidates","sessionId":"S"},"id":9}"#;
        let r = Request::parse(&raw(text)).unwrap();
        assert_eq!(r.method, Method::invoke("E", "gatherCandidates", None));
        assert_eq!(r.session_id, Some(RpcSessionId::new("S")));
        assert_eq!(r.to_message(9.into()), Message::decode(text).unwrap());
    }

    #[test]
    fn validation_errors_are_worded_as_kms_words_them() {
        let cases = [
            (
                r#"{"jsonrpc":"2.0","method":"foo","id":1}"#,
                -32601,
                "Method not found.",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"create","id":1}"#,
                -32602,
                "'params' is required",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"create","params":{},"id":1}"#,
                -32000,
                "'type' parameter is required",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"invoke","params":{"object":3},"id":1}"#,
                -32000,
                "'object' parameter should be a string",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"invoke","params":{"object":"E"},"id":1}"#,
                -32000,
                "'operation' parameter is required",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"transaction","params":{"operations":{}},"id":1}"#,
                -32000,
                "'operations' parameter should be an array",
            ),
        ];
        for (text, code, msg) in cases {
            let e = Request::parse(&raw(text)).unwrap_err();
            assert_eq!((e.code, e.message.as_str()), (code, msg), "{text}");
        }
    }

    #[test]
    fn transaction_numbers_its_operations() {
        let t = Request::transaction(
            &[
                Method::Create {
                    type_name: "MediaPipeline".into(),
                    constructor_params: Map::new(),
                    properties: Map::new(),
                },
                Method::Create {
                    type_name: "WebRtcEndpoint".into(),
                    constructor_params: json!({"mediaPipeline":"newref:0"})
                        .as_object()
                        .cloned()
                        .unwrap(),
                    properties: Map::new(),
                },
            ],
            Some("S".into()),
        );
        let p = t.params().unwrap();
        assert_eq!(p["operations"][0]["id"], json!(0));
        assert_eq!(p["operations"][1]["id"], json!(1));
        assert_eq!(
            p["operations"][1]["params"]["constructorParams"]["mediaPipeline"],
            json!("newref:0")
        );
    }
}
