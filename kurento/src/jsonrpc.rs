//! The JSON-RPC 2.0 envelope as Kurento uses it: one message per WebSocket text frame, no batches.

use crate::error::{ErrorCode, RpcError};
use serde_json::{Map, Value};
use std::fmt;

/// A request id. KMS echoes any scalar id unchanged; our client only sends integers.
#[derive(Clone, Debug, PartialEq)]
pub enum Id {
    /// A JSON number, what our client sends (a counter from 0).
    Number(serde_json::Number),
    /// A JSON string, e.g. a UUID some clients use.
    Text(String),
    /// `true`/`false`: scalar, so KMS accepts it, and so do we.
    Bool(bool),
}

impl Id {
    /// The id as an unsigned integer, which is what our own client sends.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Id::Number(n) => n.as_u64(),
            // KMS's request cache treats 5 and "5" alike; so does our matching.
            Id::Text(s) => s.parse().ok(),
            Id::Bool(_) => None,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Id::Number(n) => Value::Number(n.clone()),
            Id::Text(s) => Value::String(s.clone()),
            Id::Bool(b) => Value::Bool(*b),
        }
    }

    /// `Ok(None)` for a missing or null id (a notification); `Err` for arrays and objects.
    fn from_value(v: Option<&Value>) -> Result<Option<Self>, ()> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(Some(Id::Number(n.clone()))),
            Some(Value::String(s)) => Ok(Some(Id::Text(s.clone()))),
            Some(Value::Bool(b)) => Ok(Some(Id::Bool(*b))),
            Some(_) => Err(()),
        }
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Id::Number(n.into())
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => write!(f, "{n}"),
            Id::Text(s) => f.write_str(s),
            Id::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A request before its method is interpreted: what the server reads and the client writes.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRequest {
    /// `None` makes it a JSON-RPC notification (only the server's `onEvent` should be one).
    pub id: Option<Id>,
    /// `method`: the Kurento method name, e.g. `"create"`, `"invoke"` or `"onEvent"`.
    pub method: String,
    /// `params`: the method's arguments; `None` when the frame has none (or `null`).
    pub params: Option<Map<String, Value>>,
}

/// A response: the `result`, or the `error`.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// `None` for replies to requests whose id could not be read.
    pub id: Option<Id>,
    /// `Ok` with the `result` member, or `Err` with the `error` object.
    pub outcome: Result<Value, RpcError>,
}

/// Any Kurento JSON-RPC message.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A frame with a `method`: a request, or (without `id`) a notification.
    Request(RawRequest),
    /// A frame with a `result` or an `error`, answering a request.
    Response(Response),
}

/// Why a frame is not a message. Each maps to the JSON-RPC error a server answers with.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The frame does not parse as JSON (answered with `-32700`); holds the parser's message.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a valid JSON-RPC 2.0 message (answered with `-32600`); says what is wrong.
    #[error("invalid JSON-RPC message: {0}")]
    Invalid(&'static str),
}

impl DecodeError {
    /// The error object a server sends back (with `id: null`).
    pub fn to_rpc_error(&self) -> RpcError {
        match self {
            DecodeError::NotJson(_) => RpcError::new(ErrorCode::ParseError, "Parse error."),
            DecodeError::Invalid(_) => {
                RpcError::new(ErrorCode::InvalidRequest, "Invalid JSON-RPC request.")
            }
        }
    }
}

impl Message {
    /// Reads one frame. Never panics, whatever the input.
    pub fn decode(text: &str) -> Result<Message, DecodeError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
        Self::from_value(v)
    }

    /// Interprets an already parsed value (e.g. one operation of a transaction).
    pub fn from_value(v: Value) -> Result<Message, DecodeError> {
        let Value::Object(mut o) = v else {
            return Err(DecodeError::Invalid("not an object"));
        };
        if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(DecodeError::Invalid("'jsonrpc' must be \"2.0\""));
        }
        let id = Id::from_value(o.get("id"))
            .map_err(|()| DecodeError::Invalid("'id' must be a scalar"))?;
        if let Some(method) = o.get("method") {
            let method = method
                .as_str()
                .ok_or(DecodeError::Invalid("'method' must be a string"))?
                .to_owned();
            let params = match o.remove("params") {
                None | Some(Value::Null) => None,
                Some(Value::Object(p)) => Some(p),
                Some(_) => return Err(DecodeError::Invalid("'params' must be an object")),
            };
            return Ok(Message::Request(RawRequest { id, method, params }));
        }
        if let Some(e) = o.get("error") {
            let err = RpcError::from_value(e).ok_or(DecodeError::Invalid("malformed 'error'"))?;
            return Ok(Message::Response(Response {
                id,
                outcome: Err(err),
            }));
        }
        match o.remove("result") {
            Some(result) => Ok(Message::Response(Response {
                id,
                outcome: Ok(result),
            })),
            None => Err(DecodeError::Invalid(
                "neither 'method', 'result' nor 'error'",
            )),
        }
    }

    /// The message as a JSON value (keys sorted, as KMS's jsoncpp writes them).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("jsonrpc".into(), "2.0".into());
        match self {
            Message::Request(r) => {
                m.insert("method".into(), r.method.clone().into());
                if let Some(p) = &r.params {
                    m.insert("params".into(), Value::Object(p.clone()));
                }
                if let Some(id) = &r.id {
                    m.insert("id".into(), id.to_value());
                }
            }
            Message::Response(r) => {
                m.insert("id".into(), r.id.as_ref().map_or(Value::Null, Id::to_value));
                match &r.outcome {
                    Ok(v) => m.insert("result".into(), v.clone()),
                    Err(e) => m.insert("error".into(), e.to_value()),
                };
            }
        }
        Value::Object(m)
    }

    /// One text frame.
    pub fn encode(&self) -> String {
        self.to_value().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_requests_responses_and_errors() {
        let m = Message::decode(r#"{"jsonrpc":"2.0","method":"ping","id":17}"#).unwrap();
        assert_eq!(
            m,
            Message::Request(RawRequest {
                id: Some(17.into()),
                method: "ping".into(),
                params: None
            })
        );
        let m = Message::decode(r#"{"id":8,"jsonrpc":"2.0","result":{"value":null}}"#).unwrap();
        assert_eq!(
            m,
            Message::Response(Response {
                id: Some(8.into()),
                outcome: Ok(json!({"value":null}))
            })
        );
        let m = Message::decode(
            r#"{"error":{"code":40007,"data":{"type":"INVALID_SESSION"},"message":"Invalid session"},"id":8,"jsonrpc":"2.0"}"#,
        )
        .unwrap();
        let Message::Response(Response {
            outcome: Err(e), ..
        }) = m
        else {
            panic!("{m:?}")
        };
        assert!(e.is(ErrorCode::InvalidSession));
        assert_eq!(e.error_type(), Some("INVALID_SESSION"));
    }

    #[test]
    fn rejects_what_kms_rejects() {
        for bad in [
            "[]",
            r#"[{"jsonrpc":"2.0","method":"ping","id":1}]"#,
            r#"{"jsonrpc":"1.0","method":"ping","id":1}"#,
            r#"{"jsonrpc":"2.0","method":"ping","id":[1]}"#,
            r#"{"jsonrpc":"2.0","method":"ping","id":{}}"#,
            r#"{"jsonrpc":"2.0","method":7,"id":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
        ] {
            let e = Message::decode(bad).unwrap_err();
            assert_eq!(e.to_rpc_error().code, -32600, "{bad}");
        }
        assert_eq!(
            Message::decode("{nope").unwrap_err().to_rpc_error().code,
            -32700
        );
    }

    #[test]
    fn echoes_any_scalar_id_unchanged() {
        for id in [json!("abc"), json!(5), json!(1.5), json!(true)] {
            let text = json!({"jsonrpc":"2.0","method":"ping","id":id}).to_string();
            let Message::Request(r) = Message::decode(&text).unwrap() else {
                panic!()
            };
            let reply = Message::Response(Response {
                id: r.id,
                outcome: Ok(json!({"value":"pong"})),
            });
            assert_eq!(reply.to_value()["id"], id);
        }
        assert_eq!(Id::Text("5".into()).as_u64(), Some(5));
    }
}
