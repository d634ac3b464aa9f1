//! The kurento crate's integration tests, one binary: the client state machine played against recorded
//! transcripts on a virtual clock (`common`, `tests/transcripts/`), and the fuzz-style frame tests.

mod common;

mod client_failures;
mod client_requests;
mod client_session;
mod fuzz_frames;
