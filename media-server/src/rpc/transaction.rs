//! `transaction`: numbered operations run in order, `newref:N` replaced by operation N's result,
//! stopping at the first failure (no rollback), as KMS's `ServerMethods::transaction` does.

use super::{Core, Ctx};
use kurento::jsonrpc::{Id, Message, RawRequest, Response};
use kurento::{ErrorCode, NEWREF_PREFIX, RpcError};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Boxed and declared `Send`: `handle_request` runs transactions that run `handle_request`, and the
/// compiler needs a named future type to break that cycle.
type Boxed<'a> = Pin<Box<dyn Future<Output = Result<Vec<Value>, RpcError>> + Send + 'a>>;

fn malformed(message: String) -> RpcError {
    RpcError::new(ErrorCode::MalformedTransaction, message)
}

/// Replaces every string `"newref:N"` with the (string) result of operation N, where there is one;
/// what is left over fails later as 40109.
fn substitute(v: &mut Value, results: &[Value]) {
    match v {
        Value::String(s) => {
            let target = s
                .strip_prefix(NEWREF_PREFIX)
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| results.get(n))
                .and_then(Value::as_str);
            if let Some(t) = target {
                *s = t.to_owned();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, results)),
        Value::Object(o) => o.values_mut().for_each(|x| substitute(x, results)),
        _ => {}
    }
}

impl Core {
    /// Runs `operations` in `session`; returns one full response per operation that ran.
    pub(crate) fn transaction<'a>(
        self: &'a Arc<Self>,
        session: &'a str,
        operations: Vec<Value>,
        ctx: Ctx,
    ) -> Boxed<'a> {
        Box::pin(async move {
            let mut values: Vec<Value> = Vec::new();
            let mut responses = Vec::new();
            for (i, op) in operations.into_iter().enumerate() {
                let Ok(Message::Request(raw)) = Message::from_value(op) else {
                    return Err(malformed(format!("Request '{i}' is not a valid request")));
                };
                if raw.id.as_ref().and_then(Id::as_u64) != Some(i as u64) {
                    let shown = raw.id.as_ref().map_or("null".to_owned(), Id::to_string);
                    return Err(malformed(format!(
                        "Id of request '{shown}' should be '{i}'"
                    )));
                }
                let mut params = Value::Object(raw.params.unwrap_or_default());
                substitute(&mut params, &values);
                let Value::Object(mut params) = params else {
                    return Err(malformed(format!("Request '{i}' has invalid params")));
                };
                // KMS overwrites each operation's session with the transaction's.
                params.insert("sessionId".into(), session.into());
                let op = RawRequest {
                    id: raw.id,
                    method: raw.method,
                    params: Some(params),
                };
                let outcome = self.handle_request(&op, ctx).await;
                let failed = outcome.is_err();
                values.push(
                    outcome
                        .as_ref()
                        .ok()
                        .and_then(|v| v.get("value"))
                        .cloned()
                        .unwrap_or(Value::Null),
                );
                responses.push(
                    Message::Response(Response {
                        id: Some(Id::from(i as u64)),
                        outcome,
                    })
                    .to_value(),
                );
                if failed {
                    break;
                }
            }
            Ok(responses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn newrefs_become_earlier_results() {
        let mut v =
            json!({"constructorParams":{"mediaPipeline":"newref:0"},"x":["newref:1","newref:9"]});
        substitute(&mut v, &[json!("P"), json!("E")]);
        assert_eq!(
            v,
            json!({"constructorParams":{"mediaPipeline":"P"},"x":["E","newref:9"]})
        );
    }
}
