//! The gateway's configuration: every limit and timeout as a named value with a documented default. The
//! command-line/environment flags that fill it in are in `flags.rs`.

use crate::ice_servers::IceServers;
use std::fmt;
use std::time::Duration;

/// Everything [`crate::run`] needs besides its listener and shutdown token.
#[derive(Clone, Debug)]
pub struct Config {
    /// Kurento media servers (`ws://host:port/kurento`). Empty: start the embedded media server in-process
    /// and talk to it over the same JSON-RPC WebSocket (with the `embedded` cargo feature; without it, empty
    /// is [`crate::Error::KmsUriRequired`]).
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
    /// Candidates one session accepts from its caller in all; more gets RESOURCE_EXHAUSTED (a browser
    /// sends a few dozen at most).
    pub max_candidates: usize,
    /// Which non-public candidate addresses may reach the media server (see `CandidateNetworks`).
    pub candidate_networks: CandidateNetworks,
    /// How long a `wait_for_candidates` Start waits for IceGatheringDone before answering with what it has.
    pub gathering_timeout: Duration,
    /// How long a media server link may stay down before its sessions end with END_REASON_MEDIA_SERVER_LOST.
    pub link_lost_grace: Duration,
    /// How long a drain (shutdown) may take in all: sessions end and release their pipelines, open calls
    /// finish, the media server links close. The process exits within it (plus at most a second).
    pub shutdown_grace: Duration,
    /// How long one connection attempt to a media server (TCP + WebSocket upgrade) may take.
    pub connect_timeout: Duration,
    /// Time between keep-alive pings on each media server link.
    pub ping_interval: Duration,
    /// This gateway's identity on its media servers: every pipeline it creates is tagged with it, and
    /// reconciliation releases pipelines tagged with it that no live session holds. Keep it the same
    /// across restarts (so a restarted gateway cleans up what its previous life left) and unique among
    /// the gateways sharing a media server. Default: `<hostname>:<gRPC port>`.
    pub instance_id: String,
    /// Time between reconciliation passes on each media server (one also runs whenever a link comes up).
    pub reconcile_period: Duration,
    /// Pipelines reconciliation inspects at once (`getTags` calls in flight per link).
    pub reconcile_batch: usize,
    /// StreamCandidates streams one session serves at once; more get RESOURCE_EXHAUSTED.
    pub max_watchers: usize,
    /// HTTP/2 PING interval on every gRPC connection, so a stream whose peer vanished (a crashed backend,
    /// a load balancer that drops silently) is noticed and its session's lease runs again.
    pub http2_keepalive_interval: Duration,
    /// How long an HTTP/2 PING may go unanswered before the connection is closed.
    pub http2_keepalive_timeout: Duration,
    /// TCP connections open at once on the gRPC and metrics listeners together; more are closed on
    /// accept. A backend multiplexes its calls over one HTTP/2 connection, so this bounds callers, not calls.
    pub max_connections: usize,
    /// The same, from one address (IPv4) or one IPv6 /64.
    pub max_connections_per_ip: usize,
    /// How long a TLS client may take to finish its handshake.
    pub tls_handshake_timeout: Duration,
    /// How long a client of the metrics listener may take to send a request's headers (HTTP/1.1 on the gRPC
    /// port, grpc-web, keeps tonic's own 30 s).
    pub header_read_timeout: Duration,
    /// Serve gRPC over TLS with this certificate chain and key (PEM). None: plaintext (h2c).
    pub tls: Option<TlsIdentity>,
    /// Require `authorization: Bearer <token>` on MediaSession. None: MediaSession is open. Health and
    /// reflection stay open either way.
    pub auth_token: Option<Secret>,
    /// Require `authorization: Bearer <token>` on SessionAdmin. None: SessionAdmin is closed when
    /// `auth_token` is set (that token never grants it), and open when neither is.
    pub admin_token: Option<Secret>,
    /// Sent as `Authorization: Bearer …` when connecting to the media servers in `kms_uris`, for ones that
    /// require a shared secret (our media server's `--auth-secret`; KMS ignores it). The embedded media
    /// server always gets a fresh random one of its own.
    pub kms_secret: Option<Secret>,
    /// The STUN and TURN servers `GetIceServers` hands callers for their peers. Default: none.
    pub ice_servers: IceServers,
}

/// The non-public networks a caller's candidates may name. Public addresses always pass; unspecified,
/// multicast and broadcast ones never do; the rest only when allowed here. Default: neither, so a caller
/// cannot make the media server probe the operator's own networks. A LAN deployment allows `private`;
/// a demo or a test on 127.0.0.1 allows both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CandidateNetworks {
    /// 127.0.0.0/8 and ::1.
    pub loopback: bool,
    /// RFC 1918, CGNAT (100.64/10), link-local, and IPv6 ULA (fc00::/7) and link-local (fe80::/10).
    pub private: bool,
}

impl CandidateNetworks {
    /// Both loopback and private networks: for a demo or tests on one machine.
    pub const LOCAL: CandidateNetworks = CandidateNetworks {
        loopback: true,
        private: true,
    };
}

/// A server certificate chain and its private key, both PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first (PEM).
    pub cert_pem: Vec<u8>,
    /// The certificate's private key (PEM); never logged.
    pub key_pem: Secret<Vec<u8>>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &self.key_pem)
            .finish()
    }
}

/// A value that must never reach a log: its Debug prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T = String>(pub T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
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
            max_candidates: 64,
            candidate_networks: CandidateNetworks::default(),
            gathering_timeout: Duration::from_secs(10),
            link_lost_grace: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(1),
            ping_interval: Duration::from_secs(10),
            instance_id: "media-gateway".into(),
            reconcile_period: Duration::from_secs(30),
            reconcile_batch: 32,
            max_watchers: 8,
            http2_keepalive_interval: Duration::from_secs(10),
            http2_keepalive_timeout: Duration::from_secs(5),
            max_connections: 1024,
            max_connections_per_ip: 128,
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            tls: None,
            auth_token: None,
            admin_token: None,
            kms_secret: None,
            ice_servers: IceServers::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = Config {
            auth_token: Some(Secret("hunter2".into())),
            admin_token: Some(Secret("letmein".into())),
            tls: Some(TlsIdentity {
                cert_pem: b"cert".to_vec(),
                key_pem: Secret(b"BEGIN PRIVATE KEY".to_vec()),
            }),
            ..Config::default()
        };
        let text = format!("{c:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("letmein") && !text.contains("PRIVATE KEY"),
            "{text}"
        );
    }
}
