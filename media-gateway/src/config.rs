//! The gateway's configuration: every limit and timeout as a named value with a documented default, and the
//! command-line/environment flags that fill it in.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything [`crate::run`] needs besides its listener and shutdown token.
#[derive(Clone, Debug)]
pub struct Config {
    /// Kurento media servers (`ws://host:port/kurento`). Empty: start the embedded media server in-process
    /// and talk to it over the same JSON-RPC WebSocket.
    pub kms_uris: Vec<String>,
    /// How long a Start may take before the caller gets DEADLINE_EXCEEDED (whatever was created is released).
    pub start_timeout: Duration,
    /// How long one Kurento request may go unanswered.
    pub request_timeout: Duration,
    /// A session nobody calls or watches for this long is released (END_REASON_LEASE_EXPIRED).
    pub lease: Duration,
    /// Live sessions at most; Start beyond it gets RESOURCE_EXHAUSTED.
    pub max_sessions: usize,
    /// How long ended session ids are remembered, so a late Stop succeeds with `released = false`.
    pub tombstone_retention: Duration,
    /// How many ended session ids are remembered at most (oldest forgotten first).
    pub tombstone_capacity: usize,
    /// Events a session keeps for StreamCandidates replay (oldest dropped first).
    pub event_log_capacity: usize,
    /// Candidates a session queues before its endpoint is ready; more gets RESOURCE_EXHAUSTED.
    pub pending_candidates: usize,
    /// How long a `wait_for_candidates` Start waits for IceGatheringDone before answering with what it has.
    pub gathering_timeout: Duration,
    /// How long a media server link may stay down before its sessions end with END_REASON_MEDIA_SERVER_LOST.
    pub link_lost_grace: Duration,
    /// How long shutdown waits for sessions to release their pipelines.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            kms_uris: Vec::new(),
            start_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            max_sessions: 1000,
            tombstone_retention: Duration::from_secs(600),
            tombstone_capacity: 10_000,
            event_log_capacity: 512,
            pending_candidates: 128,
            gathering_timeout: Duration::from_secs(10),
            link_lost_grace: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Command-line flags (each also read from the environment).
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "media-gateway",
    version,
    about = "MediaSession gRPC service in front of Kurento"
)]
pub struct Args {
    /// Address to serve gRPC on.
    #[arg(long, env = "MEDIA_GATEWAY_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,
    /// Kurento media server WebSocket URI(s); repeat the flag or separate with commas. None: use the
    /// embedded media server. `--ws_uri` is the hello-world tutorial's name for it.
    #[arg(
        long = "kms-uri",
        alias = "ws_uri",
        env = "KMS_URI",
        value_delimiter = ','
    )]
    pub kms_uri: Vec<String>,
    /// Seconds a Start may take.
    #[arg(long, env = "MEDIA_GATEWAY_START_TIMEOUT_SECS", default_value_t = 15)]
    pub start_timeout_secs: u64,
    /// Seconds one Kurento request may go unanswered.
    #[arg(long, env = "MEDIA_GATEWAY_REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,
    /// Seconds a session nobody calls or watches lives on.
    #[arg(long, env = "MEDIA_GATEWAY_LEASE_SECS", default_value_t = 60)]
    pub lease_secs: u64,
    /// Live sessions at most.
    #[arg(long, env = "MEDIA_GATEWAY_MAX_SESSIONS", default_value_t = 1000)]
    pub max_sessions: usize,
    /// Seconds ended session ids are remembered for idempotent Stop.
    #[arg(long, env = "MEDIA_GATEWAY_TOMBSTONE_SECS", default_value_t = 600)]
    pub tombstone_secs: u64,
    /// Seconds shutdown waits for pipelines to be released.
    #[arg(long, env = "MEDIA_GATEWAY_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
}

impl Args {
    /// The library configuration these flags describe (limits not exposed as flags keep their defaults).
    pub fn config(&self) -> Config {
        Config {
            kms_uris: self
                .kms_uri
                .iter()
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
            start_timeout: Duration::from_secs(self.start_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            lease: Duration::from_secs(self.lease_secs),
            max_sessions: self.max_sessions,
            tombstone_retention: Duration::from_secs(self.tombstone_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn kms_uris_accept_the_tutorial_flag_lists_and_repeats() {
        let a = Args::try_parse_from([
            "media-gateway",
            "--ws_uri",
            "ws://127.0.0.1:8888/kurento",
            "--kms-uri",
            "ws://127.0.0.1:8889/kurento,ws://127.0.0.1:8890/kurento",
        ])
        .unwrap();
        assert_eq!(
            a.config().kms_uris,
            [
                "ws://127.0.0.1:8888/kurento",
                "ws://127.0.0.1:8889/kurento",
                "ws://127.0.0.1:8890/kurento"
            ]
        );
        let none = Args::try_parse_from(["media-gateway"]).unwrap();
        assert!(none.config().kms_uris.is_empty());
        assert_eq!(none.listen, "0.0.0.0:50051".parse().unwrap());
    }
}
