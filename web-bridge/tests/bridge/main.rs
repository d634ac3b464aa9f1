//! The web bridge's integration tests, one binary: the bridge in-process on 127.0.0.1:0 in front of the
//! recording fake gateway (`test_support::fake_gateway`), driven by a browser's WebSocket (`support`).
//!
//! The timers here (shutdown grace, readiness cache, Start timeout) run on the real clock: each test
//! makes progress over real TCP (HTTP, WebSocket, gRPC), which tokio's paused clock would race. The
//! tests keep those timers short in the config and wait for what they can observe.

mod support;

mod close_during_start_leaks_no_session;
mod config_json_carries_the_gateways_servers;
mod config_json_carries_the_ice_transport_policy;
mod config_json_lists_ice_servers;
mod config_json_withholds_turn_credentials;
mod connections_are_capped_per_ip_and_in_total;
mod drain_closes_sockets_and_stops_sessions;
mod drain_ends_within_grace_period;
mod drain_is_not_stalled_by_unread_browser;
mod early_candidates_reach_gateway;
mod flood_closes_socket_with_error;
mod foreign_origin_is_refused;
mod gateway_rejection_is_clear_text;
mod gateway_tls_trusts_private_ca;
mod gateway_token_is_sent;
mod idle_sockets_at_cap_are_closed;
mod logs_carry_session_id;
mod metrics_can_move_off_the_public_port;
mod metrics_count_sockets_sessions_and_messages;
mod non_json_message_gets_error;
mod oversized_message_gets_error;
mod page_carries_security_headers;
mod parser_survives_corpus_and_mutations;
mod readyz_caches_gateway_health;
mod readyz_follows_gateway_health;
mod rebinding_host_cannot_open_socket;
mod refused_stop_is_retried;
mod restart_ice_from_the_page;
mod resume_after_drop_continues_the_call;
mod resume_after_grace_is_refused_and_stopped;
mod resume_is_bounded_and_drained;
mod resume_takes_over_a_half_open_socket;
mod second_start_stops_first;
mod server_candidates_reach_browser;
mod sigterm_drains_the_binary;
mod silent_browser_is_closed_and_stopped;
mod slow_clients_are_cut_within_timeouts;
mod socket_close_stops_session;
mod start_without_offer_gets_error;
mod static_dir_refuses_traversal;
mod stats_show_the_media_servers_view;
mod stop_message_stops_session;
mod tls_self_signed_serves_page_and_socket;
mod unknown_id_gets_error;
mod unreachable_gateway_gets_clear_error;
mod unread_browser_is_closed_within_send_timeout;
mod whip_client_gone_before_201_is_stopped;
mod whip_cors_lets_allowed_pages_read_answers;
mod whip_drain_stops_sessions;
mod whip_gateway_trouble_and_full_table_get_503;
mod whip_ice_restart_answers_a_new_fragment;
mod whip_link_headers_carry_ice_servers;
mod whip_publish_trickle_delete;
mod whip_refusals_get_rfc_9725_statuses;
mod whip_resource_without_media_is_stopped;
mod whip_session_ended_at_gateway_is_unlisted;
mod zero_limits_are_refused;
