//! Client state machine: start-up, keep-alive, resume, and losing the session (protocol page §2, §7).

use crate::common::run_transcript;

#[test]
fn startup_describes_the_server_manager_and_reads_its_info() {
    run_transcript("startup.txt");
}

#[test]
fn keepalive_pings_every_interval() {
    run_transcript("keepalive.txt");
}

#[test]
fn reconnect_resumes_the_session_with_connect() {
    run_transcript("resume_after_reconnect.txt");
}

#[test]
fn invalid_session_on_reconnect_loses_the_session_and_starts_afresh() {
    run_transcript("reconnect_invalid_session.txt");
}

#[test]
fn new_server_id_on_reconnect_loses_the_session() {
    run_transcript("new_server_id.txt");
}
