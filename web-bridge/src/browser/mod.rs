//! The browser side: the `/helloworld` WebSocket, the tutorial's messages, and the call each socket holds.

pub(crate) mod call;
pub(crate) mod convert;
pub(crate) mod link;
pub(crate) mod origin;
pub mod protocol;
pub(crate) mod rate;
pub(crate) mod resume;
pub(crate) mod socket;
pub(crate) mod upgrade;
