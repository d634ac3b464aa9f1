//! Janus's echotest as a signaling backend, over the Janus HTTP API. `messages.rs` is the protocol
//! without sockets (requests built, replies and events parsed), `http.rs` the HTTP calls, `session.rs`
//! one Janus session and handle driven through [`Signaling`](crate::signaling::Signaling), `poll.rs`
//! the long poll and keepalive tasks, `watch.rs` what the probe does with Janus's events.

mod http;
mod messages;
mod poll;
mod session;
mod watch;

pub(crate) use session::Janus;
