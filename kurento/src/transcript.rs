//! Transcripts: recorded Kurento conversations, one message a line, used to test both ends of the protocol.
//!
//! ```text
//! # a comment
//! C> {"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":0}
//! K> {"id":0,"jsonrpc":"2.0","result":{"value":"pong"}}
//! ```
//!
//! `C>` is a frame the client sends to the media server, `K>` one the media server sends to the client.
//! In expected frames, a string `"$NAME"` binds to whatever value stands there the first time and must be
//! the same value every later time; `"*"` matches any value. Before a frame is fed to the side under test,
//! its `$NAME`s are replaced by their bound values. A client test feeds `K>` frames and expects `C>` frames;
//! a server test does the reverse.

use serde_json::Value;
use std::collections::HashMap;

/// Who sent a transcript frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `C>`: client to media server.
    ToServer,
    /// `K>`: media server to client.
    ToClient,
}

/// One frame of a transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Which side sent the frame: `C>` or `K>`.
    pub direction: Direction,
    /// The frame's JSON, possibly with `"$NAME"` and `"*"` placeholders.
    pub message: Value,
    /// 1-based, for error messages.
    pub line_no: usize,
}

/// Parses a transcript; the error names the offending line.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (direction, rest) = if let Some(r) = line.strip_prefix("C>") {
            (Direction::ToServer, r)
        } else if let Some(r) = line.strip_prefix("K>") {
            (Direction::ToClient, r)
        } else {
            return Err(format!(
                "line {}: expected 'C>' or 'K>', got {line:?}",
                i + 1
            ));
        };
        let message =
            serde_json::from_str(rest.trim()).map_err(|e| format!("line {}: {e}", i + 1))?;
        out.push(Line {
            direction,
            message,
            line_no: i + 1,
        });
    }
    Ok(out)
}

/// The values `$NAME` placeholders are bound to so far.
#[derive(Clone, Debug, Default)]
pub struct Bindings(HashMap<String, Value>);

fn placeholder(v: &Value) -> Option<&str> {
    v.as_str()
        .and_then(|s| s.strip_prefix('$'))
        .filter(|n| !n.is_empty())
}

impl Bindings {
    /// The value bound to `name` (without the `$`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Binds `name` by hand, e.g. to a value the test chose.
    pub fn bind(&mut self, name: &str, v: Value) {
        self.0.insert(name.to_owned(), v);
    }

    /// Checks `actual` against `expected`, binding new placeholders; the error says where they differ.
    pub fn check(&mut self, expected: &Value, actual: &Value) -> Result<(), String> {
        let mut trial = self.clone();
        trial.check_at("", expected, actual)?;
        *self = trial;
        Ok(())
    }

    fn check_at(&mut self, path: &str, expected: &Value, actual: &Value) -> Result<(), String> {
        if expected.as_str() == Some("*") {
            return Ok(());
        }
        if let Some(name) = placeholder(expected) {
            return match self.0.get(name) {
                Some(bound) if bound == actual => Ok(()),
                Some(bound) => Err(format!("at {path}: ${name} is {bound} but got {actual}")),
                None => {
                    self.0.insert(name.to_owned(), actual.clone());
                    Ok(())
                }
            };
        }
        match (expected, actual) {
            (Value::Object(e), Value::Object(a)) => {
                for k in e.keys().chain(a.keys()) {
                    match (e.get(k), a.get(k)) {
                        (Some(ev), Some(av)) => self.check_at(&format!("{path}.{k}"), ev, av)?,
                        (Some(_), None) => return Err(format!("at {path}: missing key {k:?}")),
                        (None, Some(av)) => {
                            return Err(format!("at {path}: unexpected key {k:?} = {av}"));
                        }
                        (None, None) => {}
                    }
                }
                Ok(())
            }
            (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    self.check_at(&format!("{path}[{i}]"), ev, av)?;
                }
                Ok(())
            }
            _ if expected == actual => Ok(()),
            _ => Err(format!("at {path}: expected {expected} but got {actual}")),
        }
    }

    /// `template` with every bound `$NAME` replaced; unbound ones are left as they are.
    pub fn substitute(&self, template: &Value) -> Value {
        if let Some(v) = placeholder(template).and_then(|n| self.0.get(n)) {
            return v.clone();
        }
        match template {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), self.substitute(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.substitute(v)).collect()),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binds_checks_and_substitutes() {
        let t =
            parse("# hi\nC> {\"id\":0,\"v\":\"$S\"}\n\nK> {\"id\":0,\"w\":\"$S\",\"x\":\"*\"}\n")
                .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].direction, t[1].line_no), (Direction::ToServer, 4));
        let mut b = Bindings::default();
        b.check(&t[0].message, &json!({"id":0,"v":"abc"})).unwrap();
        assert_eq!(
            b.substitute(&t[1].message),
            json!({"id":0,"w":"abc","x":"*"})
        );
        assert!(
            b.check(&t[1].message, &json!({"id":0,"w":"zzz","x":1}))
                .is_err()
        );
        assert!(b.check(&t[1].message, &json!({"id":0,"w":"abc"})).is_err());
        assert!(
            b.check(&t[1].message, &json!({"id":0,"w":"abc","x":[1],"y":2}))
                .is_err()
        );
        b.check(&t[1].message, &json!({"id":0,"w":"abc","x":[1]}))
            .unwrap();
        assert!(parse("X> {}").is_err());
    }
}
