//! The gateway's integration tests, one binary: the KMS link against a scripted Kurento peer
//! (`support::peer`), the MediaSession service in-process on 127.0.0.1:0 (`common`), and the binary
//! itself (SIGTERM).
//!
//! Timers (lease, keepalive, link-lost grace, reconnect backoff, request timeouts) run on the real clock
//! here: every one of these tests makes progress over real sockets (the WebSocket to the peer or the
//! embedded media server, gRPC, HTTP) or a real child process, and tokio's paused clock would jump past
//! a deadline before the bytes arrive. Their timeouts are set short in the config instead, and the
//! tests wait for observable conditions; the Kurento client's own timers are tested on a virtual clock
//! in the kurento crate's transcripts.

mod common;
mod support;

mod bearer_token_guards_the_api_not_the_probes;
mod caller_cancelled_start_leaks_nothing;
mod dead_media_server_is_unavailable;
mod drain_refuses_new_sessions;
mod early_candidates_are_not_lost;
mod embedded_media_server_negotiates;
mod embedded_media_server_restarts_ice;
mod endpoints_get_the_gateways_stun_server;
mod grpc_web_over_http1;
mod grpcurl_reflection;
mod health_follows_the_media_server;
mod hostile_callers;
mod ice_restart_on_kms_is_failed_precondition;
mod kms_error_mid_start_releases;
mod kms_link_call;
mod kms_link_events;
mod kms_link_frame_limit;
mod kms_link_keepalive;
mod kms_link_lost;
mod kms_link_restart;
mod kms_link_resume;
mod kms_link_unreachable;
mod lease_releases_abandoned_session;
mod losing_one_media_server_ends_only_its_sessions;
mod media_server_restart_ends_streams;
mod metrics_count_calls_and_sessions;
mod ownership;
mod readyz_follows_the_media_server_links;
mod session_admin_lists_sessions;
mod session_limit_is_resource_exhausted;
mod session_stats_come_from_get_stats;
mod session_stats_count_real_media;
mod sessions_go_to_the_least_loaded_media_server;
mod shutdown_ends_streams_and_releases;
mod sigterm_drains_the_binary;
mod start_uses_one_transaction_when_advertised;
mod stop_is_idempotent;
mod stream_replays_missed_events;
mod tls_protects_grpc;
mod turn_credentials_work_on_coturn;
mod unknown_session_is_not_found;
