//! The media server's integration tests, one binary: the JSON-RPC surface played from transcripts over
//! a real WebSocket (`common`, `tests/transcripts/`), the WebRTC engine driven directly with str0m peers
//! (`engine_support`), limits, garbage collection and fuzzed frames.
//!
//! Every test here makes progress over real sockets (TCP for JSON-RPC, UDP for media) or the engine's
//! own runtime thread, so none runs on tokio's paused clock: the clock would jump past a deadline before
//! a datagram arrives.

mod common;
mod engine_support;

mod bad_requests;
mod client_chosen_keys_are_bounded;
mod client_js_startup;
mod endpoint_input_is_bounded;
mod engine_answer_has_audio_and_video;
mod engine_answer_mirrors_offer_directions;
mod engine_bad_offers_error;
mod engine_early_candidates;
mod engine_external_address_in_candidates;
mod engine_forwarding;
mod engine_gathering_events;
mod engine_ice_restart_keeps_media_flowing;
mod engine_loopback_echo;
mod engine_one_port_serves_many_endpoints;
mod engine_one_port_spoofed_datagrams_are_dropped;
mod engine_release_frees_sockets;
mod engine_second_offer_errors;
mod engine_sendonly_publisher_is_received;
mod engine_source_switch_keeps_numbering;
mod engine_spoofed_datagrams_are_dropped;
mod engine_stats_count_both_directions;
mod engine_stun_reflexive_candidate_behind_nat;
mod events_once_per_session;
mod full_event_queue_never_blocks_requests;
mod fuzz_frames_never_panic;
mod fuzz_offers_and_candidates_never_panic;
mod healthcheck_gets_http_500;
mod hello_world_trace;
mod ice_restart_reoffers;
mod object_errors;
mod one_address_cannot_take_every_connection;
mod one_pipelines_burst_cannot_starve_another;
mod one_port_routes_end_with_their_sessions;
mod oversized_frames_are_refused;
mod release_frees_everything;
mod released_objects;
mod resume_with_connect;
mod sdp_errors;
mod server_manager;
mod session_gc_collects_abandoned_sessions;
mod sigterm_releases_every_endpoint;
mod single_direction_endpoints;
mod transaction_newref;
mod webrtc_properties;
mod websocket_refuses_pages_and_strangers;
mod wrong_path_closes_with_1002;
