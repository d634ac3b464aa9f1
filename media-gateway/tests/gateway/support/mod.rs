//! The shared test helpers the gateway tests use, under the names they use them by: the scripted Kurento
//! peer, polling waits, a closed port, and a raw HTTP GET for the metrics listener.

pub(crate) mod http;

pub(crate) use test_support::closed_port;
pub(crate) use test_support::kurento_peer as peer;
pub(crate) use test_support::wait::{eventually, eventually_async, until_some, within};
