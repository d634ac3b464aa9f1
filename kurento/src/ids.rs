//! The names the protocol passes around: media object ids, `newref:N` references inside a
//! `transaction`, and the Kurento JSON-RPC session id. Newtypes, so none is mistaken for another string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The object id of the ServerManager singleton.
pub const SERVER_MANAGER: &str = "manager_ServerManager";

/// The prefix of a reference to an earlier operation's result inside a `transaction`.
pub const NEWREF_PREFIX: &str = "newref:";

/// The id of a media object as the server issued it (`<uuid>_kurento.MediaPipeline`, …), or the
/// ServerManager's fixed id. Opaque to clients: only the server gives it meaning.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectId(String);

impl ObjectId {
    /// Wraps an id read from the wire or made by the server.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The ServerManager's id, [`SERVER_MANAGER`].
    pub fn server_manager() -> Self {
        Self(SERVER_MANAGER.to_owned())
    }

    /// Whether this names the ServerManager singleton.
    pub fn is_server_manager(&self) -> bool {
        self.0 == SERVER_MANAGER
    }

    /// Whether this is spelled like a `newref:` reference. Such an id reaching an object lookup was
    /// used outside the transaction that could resolve it, which KMS answers with its own code (40109).
    pub fn looks_like_newref(&self) -> bool {
        self.0.starts_with(NEWREF_PREFIX)
    }

    /// The id exactly as it appears on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the id into the string it was sent as.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for ObjectId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for ObjectId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for ObjectId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<ObjectId> for String {
    fn from(id: ObjectId) -> Self {
        id.0
    }
}

/// Where a request names an object: an id, or inside a `transaction` the result of operation `N`
/// (`"newref:N"`), which the server replaces before it runs the operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectRef {
    /// A concrete object id, written as is.
    Id(ObjectId),
    /// The object made by operation `N` of the same transaction, written `"newref:N"`.
    NewRef(usize),
}

impl ObjectRef {
    /// Reads a reference as written on the wire. Only the canonical spelling `newref:N` (decimal, no
    /// leading zeros) is a [`ObjectRef::NewRef`], so writing it back gives the same text.
    pub fn parse(text: &str) -> Self {
        match text
            .strip_prefix(NEWREF_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if text == format!("{NEWREF_PREFIX}{n}") => ObjectRef::NewRef(n),
            _ => ObjectRef::Id(ObjectId::new(text)),
        }
    }

    /// The text on the wire.
    pub fn to_wire(&self) -> String {
        self.to_string()
    }

    /// The reference as an object id, spelled as on the wire: an unresolved `newref:N` keeps its text
    /// (so a lookup of it fails as [`ObjectId::looks_like_newref`] says).
    pub fn into_id(self) -> ObjectId {
        match self {
            ObjectRef::Id(id) => id,
            newref @ ObjectRef::NewRef(_) => ObjectId::new(newref.to_wire()),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Id(id) => f.write_str(id.as_str()),
            ObjectRef::NewRef(n) => write!(f, "{NEWREF_PREFIX}{n}"),
        }
    }
}

impl From<ObjectId> for ObjectRef {
    fn from(id: ObjectId) -> Self {
        ObjectRef::Id(id)
    }
}

impl From<&ObjectId> for ObjectRef {
    fn from(id: &ObjectId) -> Self {
        ObjectRef::Id(id.clone())
    }
}

impl From<&str> for ObjectRef {
    fn from(text: &str) -> Self {
        ObjectRef::parse(text)
    }
}

impl From<&String> for ObjectRef {
    fn from(text: &String) -> Self {
        ObjectRef::parse(text)
    }
}

/// The id of one Kurento JSON-RPC session (`sessionId`): the server makes it on the first request
/// without one, and a client resumes with it after a reconnection. Not a gateway `MediaSession`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RpcSessionId(String);

impl RpcSessionId {
    /// Wraps a `sessionId` read from the wire or made by the server.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The `sessionId` exactly as it appears on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Length in bytes, for the server's bound on what it stores.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the id is the empty string (a client that has no session yet).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for RpcSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RpcSessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RpcSessionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for RpcSessionId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<RpcSessionId> for String {
    fn from(id: RpcSessionId) -> Self {
        id.0
    }
}

impl From<&str> for RpcSessionId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_newrefs_are_references() {
        assert_eq!(ObjectRef::parse("newref:3"), ObjectRef::NewRef(3));
        for text in [
            "newref:03",
            "newref:x",
            "newref:",
            "P_kurento.MediaPipeline",
        ] {
            let r = ObjectRef::parse(text);
            assert!(matches!(r, ObjectRef::Id(_)), "{text}");
            assert_eq!(r.to_wire(), text);
        }
        assert!(ObjectId::new("newref:x").looks_like_newref());
        assert!(ObjectId::server_manager().is_server_manager());
    }
}
