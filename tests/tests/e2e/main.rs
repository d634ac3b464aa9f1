//! Tests across the services, one binary: the real gateway with its embedded media server, the web
//! bridge, str0m probe peers and headless Chromium (`browser_*`), all started in-process on 127.0.0.1
//! by the harness (`e2e_tests`, this crate's library).
//!
//! Everything here runs over real sockets, real WebRTC and a real browser process, so nothing runs on
//! tokio's paused clock; the tests wait for conditions they can observe.

mod bridge_abrupt_close_during_start_leaks_no_pipeline;
mod bridge_drain_releases_pipelines;
mod browser_loopback_plays_back;
mod browser_relay_only_plays_back_through_coturn;
mod browser_restarts_ice_after_path_cut;
mod browser_resumes_after_socket_cut;
mod browser_tabs_share_one_port;
mod browser_two_tabs_are_independent;
mod browser_whip_client_gets_its_echo;
mod browser_whip_client_restarts_ice;
mod browser_whip_sendonly_publisher_is_received;
mod browser_with_mdns_plays_back_through_coturn;
mod concurrent_peers_are_isolated;
mod eager_peer_reaches_dtls_at_once;
mod faults;
mod ice_restart_keeps_media_flowing;
mod one_port_peers_are_isolated;
mod probe_media_comes_back;
mod probe_reports_server_stats;
mod probe_without_trickle;
mod whip_delete_releases_the_pipeline;
mod whip_ice_restart_keeps_media_flowing;
mod whip_sendonly_publisher_is_received;
