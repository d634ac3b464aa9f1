//! Command-line flags, each also read from the environment, and the [`Config`] they describe.

use crate::config::{Config, Secret, TlsIdentity};
use crate::error::Error;
use crate::ice_servers::{IceServers, TurnAuth};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use service_kit::LogFormat;

/// Command-line flags (each also read from the environment).
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "media-gateway",
    version,
    about = "MediaSession gRPC service in front of Kurento"
)]
pub struct Args {
    /// Address to serve gRPC (and grpc-web) on.
    #[arg(long, env = "MEDIA_GATEWAY_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,
    /// Address to serve /metrics, /healthz and /readyz on (plain HTTP).
    #[arg(
        long,
        env = "MEDIA_GATEWAY_METRICS_LISTEN",
        default_value = "0.0.0.0:9090"
    )]
    pub metrics_listen: SocketAddr,
    /// Kurento media server WebSocket URI(s); repeat the flag or separate with commas. None: use the
    /// embedded media server (only in builds with the `embedded` feature; others require this flag).
    /// `--ws_uri` is the hello-world tutorial's name for it.
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
    /// Seconds a drain (SIGTERM) may take before the process exits anyway.
    #[arg(long, env = "MEDIA_GATEWAY_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Seconds a media server may stay unreachable before its sessions end (MEDIA_SERVER_LOST).
    #[arg(long, env = "MEDIA_GATEWAY_LINK_LOST_GRACE_SECS", default_value_t = 10)]
    pub link_lost_grace_secs: u64,
    /// Milliseconds one connection attempt to a media server may take.
    #[arg(long, env = "MEDIA_GATEWAY_CONNECT_TIMEOUT_MS", default_value_t = 1000)]
    pub connect_timeout_ms: u64,
    /// Seconds between keep-alive pings to each media server.
    #[arg(long, env = "MEDIA_GATEWAY_PING_INTERVAL_SECS", default_value_t = 10)]
    pub ping_interval_secs: u64,
    /// This gateway's identity on its media servers, tagged on every pipeline it creates. Keep it stable
    /// across restarts and unique among gateways sharing a media server. Default: `<hostname>:<port>`.
    #[arg(long, env = "MEDIA_GATEWAY_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Seconds between reconciliation passes (one also runs whenever a media server link comes up).
    #[arg(long, env = "MEDIA_GATEWAY_RECONCILE_SECS", default_value_t = 30)]
    pub reconcile_secs: u64,
    /// Non-public networks callers' candidates may name: `loopback`, `private` (RFC 1918, CGNAT,
    /// link-local, IPv6 ULA); comma-separated or repeated. Default: none (public addresses only).
    #[arg(
        long,
        env = "MEDIA_GATEWAY_ALLOW_CANDIDATE_NETWORKS",
        value_delimiter = ',',
        value_enum
    )]
    pub allow_candidate_networks: Vec<Network>,
    /// Candidates one session accepts from its caller in all.
    #[arg(long, env = "MEDIA_GATEWAY_MAX_CANDIDATES", default_value_t = 64)]
    pub max_candidates: usize,
    /// StreamCandidates streams one session serves at once.
    #[arg(long, env = "MEDIA_GATEWAY_MAX_WATCHERS", default_value_t = 8)]
    pub max_watchers: usize,
    /// Seconds between HTTP/2 (and TCP) keepalive probes on gRPC connections.
    #[arg(long, env = "MEDIA_GATEWAY_KEEPALIVE_SECS", default_value_t = 10)]
    pub keepalive_secs: u64,
    /// Seconds an HTTP/2 keepalive PING may go unanswered before the connection is closed.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_KEEPALIVE_TIMEOUT_SECS",
        default_value_t = 5
    )]
    pub keepalive_timeout_secs: u64,
    /// TCP connections open at once on the gRPC and metrics listeners; more are closed on accept.
    #[arg(long, env = "MEDIA_GATEWAY_MAX_CONNECTIONS", default_value_t = Config::default().max_connections)]
    pub max_connections: usize,
    /// TCP connections open at once from one address (IPv4) or one IPv6 /64.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_MAX_CONNECTIONS_PER_IP",
        default_value_t = Config::default().max_connections_per_ip
    )]
    pub max_connections_per_ip: usize,
    /// Seconds a client may take to finish the TLS handshake.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_TLS_HANDSHAKE_TIMEOUT_SECS",
        default_value_t = Config::default().tls_handshake_timeout.as_secs()
    )]
    pub tls_handshake_timeout_secs: u64,
    /// Seconds a metrics-port client may take to send a request's headers.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_HEADER_READ_TIMEOUT_SECS",
        default_value_t = Config::default().header_read_timeout.as_secs()
    )]
    pub header_read_timeout_secs: u64,
    /// PEM certificate chain: serve gRPC over TLS (needs --tls-key). Empty: plaintext.
    #[arg(long, env = "MEDIA_GATEWAY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "MEDIA_GATEWAY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require `authorization: Bearer <token>` on MediaSession. Empty: no authentication.
    #[arg(long, env = "MEDIA_GATEWAY_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Require `authorization: Bearer <token>` on SessionAdmin. Empty: SessionAdmin is closed when
    /// --auth-token is set, open when neither is.
    #[arg(long, env = "MEDIA_GATEWAY_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Shared secret for the media servers' WebSocket (sent as `Authorization: Bearer`). Empty: none.
    #[arg(long, env = "MEDIA_GATEWAY_KMS_SECRET", hide_env_values = true)]
    pub kms_secret: Option<String>,
    /// A STUN server for callers' peers (GetIceServers), e.g. `stun:stun.example:3478`. Repeatable or
    /// comma-separated.
    #[arg(long, env = "MEDIA_GATEWAY_STUN_URL", value_delimiter = ',')]
    pub stun_url: Vec<String>,
    /// A TURN server for callers' peers, e.g. `turn:turn.example:3478?transport=udp`. Repeatable or
    /// comma-separated; needs --turn-secret, or --turn-username and --turn-password.
    #[arg(long, env = "MEDIA_GATEWAY_TURN_URL", value_delimiter = ',')]
    pub turn_url: Vec<String>,
    /// The TURN REST API shared secret (coturn `static-auth-secret`): credentials are minted per call
    /// and expire after --turn-credential-ttl-secs.
    #[arg(long, env = "MEDIA_GATEWAY_TURN_SECRET", hide_env_values = true, conflicts_with_all = ["turn_username", "turn_password"])]
    pub turn_secret: Option<String>,
    /// A static TURN username handed to every caller (closed setups only; prefer --turn-secret).
    #[arg(long, env = "MEDIA_GATEWAY_TURN_USERNAME", requires = "turn_password")]
    pub turn_username: Option<String>,
    /// The static TURN password that goes with --turn-username.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_TURN_PASSWORD",
        hide_env_values = true,
        requires = "turn_username"
    )]
    pub turn_password: Option<String>,
    /// Seconds minted TURN credentials work: long enough for a whole call, since a TURN server refuses
    /// to refresh an allocation once they have expired.
    #[arg(
        long,
        env = "MEDIA_GATEWAY_TURN_CREDENTIAL_TTL_SECS",
        default_value_t = 86_400
    )]
    pub turn_credential_ttl_secs: u64,
    /// Log line format.
    #[arg(long, env = "MEDIA_GATEWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// A network class for `--allow-candidate-networks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Network {
    /// 127.0.0.0/8 and ::1.
    Loopback,
    /// RFC 1918, CGNAT, link-local and IPv6 ULA addresses.
    Private,
}

/// An optional path flag; docker compose passes unset variables as empty strings.
fn given(p: &Option<PathBuf>) -> Option<&PathBuf> {
    p.as_ref().filter(|p| !p.as_os_str().is_empty())
}

/// The longest instance id accepted: it travels in a tag on every pipeline.
const MAX_INSTANCE_ID: usize = 128;

/// `--instance-id`, or `<hostname>:<port>`: stable across restarts of the same deployment, and distinct
/// for gateways on different hosts or ports.
fn instance_id(given: Option<&str>, listen: SocketAddr) -> Result<String, Error> {
    let id = match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_owned(),
        None => {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .or_else(|| std::env::var("HOSTNAME").ok())
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "media-gateway".to_owned());
            format!("{host}:{}", listen.port())
        }
    };
    if id.len() > MAX_INSTANCE_ID || id.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "--instance-id must be at most {MAX_INSTANCE_ID} bytes of printable text"
        )));
    }
    Ok(id)
}

/// A token flag; docker compose passes unset variables as empty strings, which mean "none".
impl Args {
    fn ice_servers(&self) -> Result<IceServers, Error> {
        let urls = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect()
        };
        let turn_auth = match (
            secret(self.turn_secret.as_ref()),
            self.turn_username.as_ref().filter(|u| !u.is_empty()),
            secret(self.turn_password.as_ref()),
        ) {
            (Some(secret), _, _) => TurnAuth::SharedSecret(secret),
            (None, Some(username), Some(password)) => TurnAuth::Static {
                username: username.clone(),
                password,
            },
            _ => TurnAuth::None,
        };
        let servers = IceServers {
            stun_urls: urls(&self.stun_url),
            turn_urls: urls(&self.turn_url),
            turn_auth,
            credential_ttl: nonzero_secs(
                "turn-credential-ttl-secs",
                self.turn_credential_ttl_secs,
            )?,
        };
        servers.check().map_err(Error::Config)?;
        Ok(servers)
    }
}

fn secret(t: Option<&String>) -> Option<Secret> {
    t.filter(|t| !t.is_empty()).map(|t| Secret(t.clone()))
}

fn nonzero_secs(flag: &str, secs: u64) -> Result<Duration, Error> {
    if secs == 0 {
        return Err(Error::Config(format!("--{flag} must be at least 1")));
    }
    Ok(Duration::from_secs(secs))
}

/// A cap of zero would refuse every caller.
fn nonzero(flag: &str, n: usize) -> Result<usize, Error> {
    if n == 0 {
        return Err(Error::Config(format!("--{flag} must be at least 1")));
    }
    Ok(n)
}

fn read(what: &str, path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", path.display())))
}

impl Args {
    /// The library configuration these flags describe (limits not exposed as flags keep their defaults).
    /// Reads the TLS files, so a missing one fails here, before anything listens; so does a missing KMS URI
    /// in a build without the embedded media server.
    pub fn config(&self) -> Result<Config, Error> {
        let tls = match (given(&self.tls_cert), given(&self.tls_key)) {
            (Some(cert), Some(key)) => Some(TlsIdentity {
                cert_pem: read("TLS certificate", cert)?,
                key_pem: Secret(read("TLS key", key)?),
            }),
            (None, None) => None,
            _ => {
                return Err(Error::Config("--tls-cert and --tls-key go together".into()));
            }
        };
        let kms_uris: Vec<String> = self
            .kms_uri
            .iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        // Checked here too, not only when the gateway starts, so the binary says so before it listens.
        if kms_uris.is_empty() && !cfg!(feature = "embedded") {
            return Err(Error::KmsUriRequired);
        }
        Ok(Config {
            kms_uris,
            start_timeout: nonzero_secs("start-timeout-secs", self.start_timeout_secs)?,
            request_timeout: nonzero_secs("request-timeout-secs", self.request_timeout_secs)?,
            lease: Duration::from_secs(self.lease_secs),
            max_sessions: self.max_sessions,
            tombstone_retention: Duration::from_secs(self.tombstone_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            link_lost_grace: Duration::from_secs(self.link_lost_grace_secs),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms.max(1)),
            // Zero would make the link ping in a tight loop.
            ping_interval: nonzero_secs("ping-interval-secs", self.ping_interval_secs)?,
            candidate_networks: crate::config::CandidateNetworks {
                loopback: self.allow_candidate_networks.contains(&Network::Loopback),
                private: self.allow_candidate_networks.contains(&Network::Private),
            },
            max_candidates: self.max_candidates.max(1),
            instance_id: instance_id(self.instance_id.as_deref(), self.listen)?,
            reconcile_period: nonzero_secs("reconcile-secs", self.reconcile_secs)?,
            max_watchers: self.max_watchers.max(1),
            http2_keepalive_interval: nonzero_secs("keepalive-secs", self.keepalive_secs)?,
            http2_keepalive_timeout: nonzero_secs(
                "keepalive-timeout-secs",
                self.keepalive_timeout_secs,
            )?,
            max_connections: nonzero("max-connections", self.max_connections)?,
            max_connections_per_ip: nonzero("max-connections-per-ip", self.max_connections_per_ip)?,
            tls_handshake_timeout: nonzero_secs(
                "tls-handshake-timeout-secs",
                self.tls_handshake_timeout_secs,
            )?,
            header_read_timeout: nonzero_secs(
                "header-read-timeout-secs",
                self.header_read_timeout_secs,
            )?,
            tls,
            auth_token: secret(self.auth_token.as_ref()),
            admin_token: secret(self.admin_token.as_ref()),
            kms_secret: secret(self.kms_secret.as_ref()),
            ice_servers: self.ice_servers()?,
            ..Config::default()
        })
    }
}

impl service_kit::Flags for Args {
    type Config = Config;

    fn log_format(&self) -> LogFormat {
        self.log_format
    }

    fn into_config(self) -> anyhow::Result<Config> {
        Ok(self.config()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn ice_server_flags_build_the_list_and_refuse_turn_without_credentials() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["media-gateway", "--kms-uri", "ws://127.0.0.1:8888/kurento"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv)
        };
        let a = parse(&[
            "--stun-url",
            "stun:a:3478,stun:b:3478",
            "--turn-url",
            "turn:t:3478?transport=udp",
            "--turn-secret",
            "s3cret",
            "--turn-credential-ttl-secs",
            "600",
        ])
        .unwrap();
        let ice = a.config().unwrap().ice_servers;
        assert_eq!(ice.stun_urls, ["stun:a:3478", "stun:b:3478"]);
        assert_eq!(
            ice.turn_auth,
            TurnAuth::SharedSecret(Secret("s3cret".into()))
        );
        assert_eq!(ice.credential_ttl, Duration::from_secs(600));
        let no_credentials = parse(&["--turn-url", "turn:t:3478"]).unwrap();
        assert!(no_credentials.config().is_err());
        assert!(
            parse(&[
                "--turn-secret",
                "s",
                "--turn-username",
                "u",
                "--turn-password",
                "p"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "--turn-url",
                "turn:t:3478",
                "--turn-secret",
                "s",
                "--turn-credential-ttl-secs",
                "0"
            ])
            .unwrap()
            .config()
            .is_err()
        );
        let bad = parse(&["--stun-url", "http://x"]).unwrap();
        assert!(bad.config().is_err());
        // docker compose passes unset variables as empty strings.
        let empty = parse(&["--stun-url", "", "--turn-url", "", "--turn-secret", ""]).unwrap();
        let ice = empty.config().unwrap().ice_servers;
        assert!(ice.stun_urls.is_empty() && ice.turn_urls.is_empty());
        assert_eq!(ice.turn_auth, TurnAuth::None);
    }

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
            a.config().unwrap().kms_uris,
            [
                "ws://127.0.0.1:8888/kurento",
                "ws://127.0.0.1:8889/kurento",
                "ws://127.0.0.1:8890/kurento"
            ]
        );
        let none = Args::try_parse_from(["media-gateway"]).unwrap();
        #[cfg(feature = "embedded")]
        {
            let c = none.config().unwrap();
            assert!(c.kms_uris.is_empty());
            assert!(c.auth_token.is_none() && c.tls.is_none());
        }
        #[cfg(not(feature = "embedded"))]
        assert!(matches!(none.config(), Err(Error::KmsUriRequired)));
        assert_eq!(none.listen, "0.0.0.0:50051".parse().unwrap());
        assert_eq!(none.metrics_listen, "0.0.0.0:9090".parse().unwrap());
    }

    #[test]
    fn empty_token_means_no_auth_and_a_missing_key_file_fails() {
        // A KMS URI, so the test holds with and without the embedded media server.
        let a = Args::try_parse_from([
            "media-gateway",
            "--kms-uri",
            "ws://127.0.0.1:8888/kurento",
            "--auth-token",
            "",
        ])
        .unwrap();
        assert!(a.config().unwrap().auth_token.is_none());
        let a = Args::try_parse_from([
            "media-gateway",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .unwrap();
        assert!(matches!(a.config(), Err(Error::Config(_))));
    }

    #[test]
    fn the_instance_id_defaults_to_host_and_port_and_is_checked() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["media-gateway", "--kms-uri", "ws://127.0.0.1:8888/kurento"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).unwrap().config()
        };
        let id = parse(&["--listen", "127.0.0.1:50123"]).unwrap().instance_id;
        assert!(id.ends_with(":50123") && id.len() > ":50123".len(), "{id}");
        let given = parse(&["--instance-id", " gw-a "]).unwrap();
        assert_eq!(given.instance_id, "gw-a");
        let long = "x".repeat(MAX_INSTANCE_ID + 1);
        assert!(matches!(
            parse(&["--instance-id", &long]),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            parse(&["--reconcile-secs", "0"]),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn candidate_networks_and_zero_limits() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["media-gateway", "--kms-uri", "ws://127.0.0.1:8888/kurento"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).map(|a| a.config())
        };
        let c = parse(&[]).unwrap().unwrap();
        assert_eq!(c.candidate_networks, crate::CandidateNetworks::default());
        let c = parse(&["--allow-candidate-networks", "loopback,private"])
            .unwrap()
            .unwrap();
        assert_eq!(c.candidate_networks, crate::CandidateNetworks::LOCAL);
        assert!(parse(&["--allow-candidate-networks", "everything"]).is_err());
        for flag in [
            "--ping-interval-secs",
            "--request-timeout-secs",
            "--start-timeout-secs",
        ] {
            assert!(
                matches!(parse(&[flag, "0"]).unwrap(), Err(Error::Config(_))),
                "{flag} 0"
            );
        }
    }
}
