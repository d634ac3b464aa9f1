//! Client state machine: timeouts, lost requests, overload and malformed frames.

use crate::common::{run_text, run_transcript};

#[test]
fn requests_and_pings_time_out() {
    run_transcript("timeouts.txt");
}

#[test]
fn a_late_pong_from_a_busy_server_is_waited_for() {
    run_transcript("busy_server_is_alive.txt");
}

#[test]
fn unanswered_handshake_is_reported() {
    run_transcript("handshake_timeout.txt");
}

#[test]
fn requests_in_flight_when_the_socket_drops_are_lost() {
    run_transcript("in_flight_lost.txt");
}

#[test]
fn pending_requests_are_bounded() {
    run_transcript("overloaded.txt");
}

#[test]
fn malformed_frames_are_reported_not_fatal() {
    run_transcript("malformed.txt");
}

/// The helper must catch a client that deviates; otherwise every transcript above proves nothing.
#[test]
fn the_helper_rejects_wrong_frames_and_unexpected_output() {
    let wrong_frame = "@connect\nC> {\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":5}\n";
    assert!(run_text(wrong_frame).unwrap_err().contains("expected"));
    let unread_frames = "@connect\nC> {\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{\"interval\":60000},\"id\":0}\n";
    assert!(
        run_text(unread_frames)
            .unwrap_err()
            .contains("unexpected frame")
    );
    let missing_output = "O> {\"pingTimeout\":true}\n";
    assert!(
        run_text(missing_output)
            .unwrap_err()
            .contains("expected an output")
    );
}

#[test]
fn abandoned_requests_fail_and_are_never_sent() {
    run_transcript("abandon_waiting.txt");
}

#[test]
fn late_replies_to_creates_hand_on_what_they_made() {
    run_transcript("late_create.txt");
}
