//! Reading `operationParams` and `constructorParams` with KMS's marshalling errors (40001).

use kurento::{ErrorCode, RpcError};
use serde_json::{Map, Value};

/// The parameters of one operation; `None` when the request left `operationParams` out.
#[derive(Clone, Copy)]
pub struct Params<'a>(pub Option<&'a Map<String, Value>>);

pub fn marshall(message: impl Into<String>) -> RpcError {
    RpcError::new(ErrorCode::MarshallError, message)
}

fn wrong_type(name: &str, ty: &str) -> RpcError {
    marshall(format!("'{name}' parameter should be {ty}"))
}

impl<'a> Params<'a> {
    /// Number of keys, for "Method 'x' with N parameters not found".
    pub fn count(&self) -> usize {
        self.0.map_or(0, Map::len)
    }

    /// The map itself, required as soon as an operation declares a mandatory parameter.
    pub fn map(&self) -> Result<&'a Map<String, Value>, RpcError> {
        self.0
            .ok_or_else(|| marshall("'operationParams' is required"))
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.and_then(|m| m.get(name)).filter(|v| !v.is_null())
    }

    pub fn value(&self, name: &str) -> Result<&'a Value, RpcError> {
        self.map()?
            .get(name)
            .filter(|v| !v.is_null())
            .ok_or_else(|| marshall(format!("'{name}' parameter is required")))
    }

    pub fn str(&self, name: &str) -> Result<&'a str, RpcError> {
        self.value(name)?
            .as_str()
            .ok_or_else(|| wrong_type(name, "a string"))
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a string")),
        }
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a boolean")),
        }
    }

    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, RpcError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }
}

/// `fooBar` -> `FooBar`, for matching `getFooBar`/`setFooBar` operations to properties.
pub fn upper_first(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
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
        assert_eq!(upper_first("externalIPv4"), "ExternalIPv4");
    }
}
