//! What a finished request made on the media server: the object ids a `create` or a `transaction`
//! returned. The gateway needs this for replies that arrive after it stopped waiting, so that whatever
//! they created is released instead of forgotten; and it reads every transaction's results through here.

use crate::error::RpcError;
use crate::ids::ObjectId;
use crate::jsonrpc::Message;
use crate::request::Method;
use serde_json::Value;

/// Reads a `transaction`'s `value`: one full JSON-RPC response per operation that ran, in order. Each
/// entry becomes that operation's `value` (`null` for void ones) or its error. `Err` says why the value is
/// not a list of responses.
pub fn transaction_results(value: Value) -> Result<Vec<Result<Value, RpcError>>, String> {
    let Value::Array(items) = value else {
        return Err(format!("expected an array of responses, got {value}"));
    };
    items
        .into_iter()
        .map(|item| match Message::from_value(item) {
            Ok(Message::Response(r)) => Ok(r.outcome.map(|result| match result {
                // Each response's result is `{"sessionId", "value"}` like any other reply.
                Value::Object(mut m) => m.remove("value").unwrap_or(Value::Null),
                _ => Value::Null,
            })),
            Ok(Message::Request(_)) => Err("a request among the responses".to_owned()),
            Err(e) => Err(e.to_string()),
        })
        .collect()
}

impl Method {
    /// Whether a successful reply to this method may have made objects (`create`, or a `transaction`
    /// holding one).
    pub fn creates(&self) -> bool {
        match self {
            Method::Create { .. } => true,
            Method::Transaction { operations } => operations.iter().any(is_create),
            _ => false,
        }
    }

    /// The ids of the objects a successful reply `value` to this method made, outermost first (a
    /// transaction's pipeline before the endpoints in it). Empty for methods that make nothing, and for
    /// values that are not what such a reply holds.
    pub fn created_objects(&self, value: &Value) -> Vec<ObjectId> {
        match self {
            Method::Create { .. } => id_in(value).into_iter().collect(),
            Method::Transaction { operations } => {
                let Ok(results) = transaction_results(value.clone()) else {
                    return Vec::new();
                };
                operations
                    .iter()
                    .zip(results)
                    .filter(|(op, _)| is_create(op))
                    .filter_map(|(_, r)| r.ok().as_ref().and_then(id_in))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

fn is_create(op: &Value) -> bool {
    op.get("method").and_then(Value::as_str) == Some("create")
}

fn id_in(value: &Value) -> Option<ObjectId> {
    value
        .as_str()
        .filter(|s| !s.is_empty())
        .map(|s| ObjectId::new(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constructor::Constructor;
    use crate::ids::ObjectRef;
    use crate::request::Request;
    use serde_json::json;

    #[test]
    fn a_create_made_the_object_in_its_value() {
        let m = Method::create(&Constructor::MediaPipeline);
        assert!(m.creates());
        assert_eq!(m.created_objects(&json!("P")), vec![ObjectId::new("P")]);
        assert!(m.created_objects(&json!(null)).is_empty());
        assert!(m.created_objects(&json!("")).is_empty());
    }

    #[test]
    fn a_transaction_made_what_its_creates_returned() {
        let ops = [
            Method::create(&Constructor::MediaPipeline),
            Method::release(ObjectRef::NewRef(0)),
            Method::create(&Constructor::webrtc_endpoint(ObjectRef::NewRef(0))),
        ];
        let Request { method, .. } = Request::transaction(&ops, None);
        assert!(method.creates());
        let value = json!([
            {"id": 0, "jsonrpc": "2.0", "result": {"sessionId": "S", "value": "P"}},
            {"id": 1, "jsonrpc": "2.0", "result": {"sessionId": "S"}},
            {"id": 2, "jsonrpc": "2.0", "result": {"sessionId": "S", "value": "E"}},
        ]);
        assert_eq!(
            method.created_objects(&value),
            vec![ObjectId::new("P"), ObjectId::new("E")]
        );
        // Operations stop at the first failure: only what ran before it exists.
        let failed = json!([
            {"id": 0, "jsonrpc": "2.0", "result": {"sessionId": "S", "value": "P"}},
            {"id": 1, "jsonrpc": "2.0", "error": {"code": 40101, "message": "no"}},
        ]);
        assert_eq!(method.created_objects(&failed), vec![ObjectId::new("P")]);
        assert!(method.created_objects(&json!({"not": "a list"})).is_empty());
    }

    #[test]
    fn other_methods_make_nothing() {
        let m = Method::release(ObjectRef::from(&ObjectId::new("P")));
        assert!(!m.creates());
        assert!(m.created_objects(&json!("P")).is_empty());
        let ops = [Method::release(ObjectRef::NewRef(0))];
        assert!(!Request::transaction(&ops, None).method.creates());
    }
}
