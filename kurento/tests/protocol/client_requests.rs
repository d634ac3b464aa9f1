//! Client state machine: requests matched to responses, events typed, transactions (protocol page §3, §4, §8).

use crate::common::run_transcript;

#[test]
fn hello_world_calls_are_matched_to_their_responses() {
    run_transcript("hello_world.txt");
}

#[test]
fn on_event_notifications_become_typed_events() {
    run_transcript("events.txt");
}

#[test]
fn transaction_with_newref_and_error_responses() {
    run_transcript("transaction_newref.txt");
}
