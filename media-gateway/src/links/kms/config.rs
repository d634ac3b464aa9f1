//! The link's timers and limits, each with a documented default.

use std::time::Duration;

/// How one media server link behaves.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// How long a call may wait for its response, counted from when it is made (default 10 s).
    pub request_timeout: Duration,
    /// How long one connection attempt (TCP + WebSocket upgrade) may take (default 1 s). Kept short so a
    /// black-holed media server still makes calls fail within the gateway's 2 s promise.
    pub connect_timeout: Duration,
    /// How long a call waits for a link that is (re)connecting before failing with `Unavailable`
    /// (default 1 s). A link that is down (its last attempt failed) fails calls at once.
    pub call_wait: Duration,
    /// Time between keep-alive pings (default 10 s). A ping also detects sockets a NAT or proxy dropped.
    pub ping_interval: Duration,
    /// A ping unanswered this long drops the connection, which then reconnects and resumes (default 5 s).
    pub ping_timeout: Duration,
    /// First delay between reconnection attempts; it doubles after each failure (default 100 ms)...
    pub backoff_min: Duration,
    /// ...up to this (default 5 s). It goes back to `backoff_min` once an rpc session is up.
    pub backoff_max: Duration,
    /// Largest frame accepted from or sent to the media server (default 4 MiB; KMS itself allows ~32 MB,
    /// but our largest messages, SDPs and getInfo, are a few kB).
    pub max_frame_bytes: usize,
    /// Capacity of the command queue from handles to the task (default 256).
    pub command_queue: usize,
    /// Calls in flight at once (default 1024); more fail with `Unavailable`. Releases are exempt.
    pub max_pending: usize,
    /// Sent as `Authorization: Bearer <secret>` with the WebSocket upgrade, for a media server that
    /// requires it (ours, with `--auth-secret`; KMS ignores the header). Default: none.
    pub auth_secret: Option<String>,
    /// Failed releases the link keeps retrying at once (default 100,000); beyond that they are left to
    /// reconciliation. Retries back off from `backoff_min` to `backoff_max`.
    pub max_owed_releases: usize,
    /// Set on every WebRtcEndpoint right after it is created (KMS's `stunServerAddress`,
    /// `stunServerPort`, `turnUrl`), so the media server gathers with the STUN/TURN servers the gateway
    /// was given (`IceServers::endpoint_settings`). Default: none.
    pub endpoint_settings: Vec<kurento::WebRtcEndpointOp>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(1),
            call_wait: Duration::from_secs(1),
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            max_frame_bytes: 4 << 20,
            command_queue: 256,
            max_pending: 1024,
            max_owed_releases: 100_000,
            auth_secret: None,
            endpoint_settings: Vec::new(),
        }
    }
}
