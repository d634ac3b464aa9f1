//! Reading `operationParams` and `constructorParams` with KMS's marshalling errors (40001): the one
//! place the typed operations and constructors get their validation messages from.

use crate::error::{ErrorCode, RpcError};
use serde_json::{Map, Value};

/// The parameters of one operation or constructor; `None` when the request left them out.
#[derive(Clone, Copy)]
pub(crate) struct Params<'a>(pub(crate) Option<&'a Map<String, Value>>);

/// 40001 with `message`.
pub(crate) fn marshall(message: impl Into<String>) -> RpcError {
    RpcError::new(ErrorCode::MarshallError, message)
}

fn wrong_type(name: &str, ty: &str) -> RpcError {
    marshall(format!("'{name}' parameter should be {ty}"))
}

impl<'a> Params<'a> {
    /// The map itself, required as soon as an operation declares a mandatory parameter.
    fn map(&self) -> Result<&'a Map<String, Value>, RpcError> {
        self.0
            .ok_or_else(|| marshall("'operationParams' is required"))
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.and_then(|m| m.get(name)).filter(|v| !v.is_null())
    }

    pub(crate) fn value(&self, name: &str) -> Result<&'a Value, RpcError> {
        self.map()?
            .get(name)
            .filter(|v| !v.is_null())
            .ok_or_else(|| marshall(format!("'{name}' parameter is required")))
    }

    pub(crate) fn str(&self, name: &str) -> Result<&'a str, RpcError> {
        self.value(name)?
            .as_str()
            .ok_or_else(|| wrong_type(name, "a string"))
    }

    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a string")),
        }
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a boolean")),
        }
    }

    pub(crate) fn opt_u64(&self, name: &str) -> Result<Option<u64>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }
}

/// Builds a params map from `(name, value)` pairs; `None` when there are none, since KMS's clients
/// leave `operationParams` out rather than send `{}`.
pub(crate) fn encode(
    pairs: impl IntoIterator<Item = (&'static str, Value)>,
) -> Option<Map<String, Value>> {
    let m: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    (!m.is_empty()).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_are_kms_marshall_errors() {
        let none = Params(None);
        assert_eq!(
            none.str("offer").unwrap_err().message,
            "'operationParams' is required"
        );
        let m = json!({"offer": 3}).as_object().cloned().unwrap();
        let p = Params(Some(&m));
        let e = p.str("offer").unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (40001, "'offer' parameter should be a string")
        );
        assert_eq!(
            p.str("sink").unwrap_err().message,
            "'sink' parameter is required"
        );
    }
}
