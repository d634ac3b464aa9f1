//! The probe's integration tests, one binary: its str0m peer against an echoing str0m answerer
//! (`test_support::echo_peer`), and `media_probe::run` over real gRPC against the fake gateway in echo
//! mode (`test_support::fake_gateway`), and `media_probe::run_janus` against a real Janus echotest in a
//! network namespace.
//!
//! The peer's timers (connect timeout, echo-check pacing) read the real clock inside its driver and
//! wait on real UDP, so none of these tests can use tokio's paused clock.

mod peer_pair;
mod probe_against_fake_gateway;
mod probe_against_janus;
