//! What the workspace's three binaries (media-gateway, web-bridge, media-server) and the demo share, so
//! each `main.rs` has one shape: parse flags into a config ([`Flags`]), set up logging ([`logging`]), bind
//! ([`bind`]), cancel a token on SIGINT or SIGTERM ([`signal`]) and hand both to the library's `run`.
//! The operators' endpoints (`/metrics`, `/healthz`, `/readyz`) are one router ([`ops`]). Every listener
//! admits its connections against caps ([`admission`]); the HTTP ones serve through [`http1`].
#![forbid(unsafe_code)]

pub mod admission;
pub mod flags;
pub mod http1;
pub mod logging;
pub mod ops;
pub mod secret;
pub mod signal;

pub use flags::{Flags, bind, say, secs};
pub use logging::LogFormat;
pub use signal::shutdown_on_signal;
