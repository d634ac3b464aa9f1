//! The STUN and TURN servers callers get for their peers (`GetIceServers`), with TURN credentials minted
//! per call. With coturn's shared secret (`use-auth-secret`, `static-auth-secret`) they follow the TURN
//! REST API: username `<expiry in Unix seconds>:<name>`, password the base64 HMAC-SHA1 of that username
//! keyed with the secret, so the TURN server checks them without asking anyone and refuses them once the
//! expiry has passed. Sans-IO: the time and the name are given.

use crate::config::Secret;
use base64::Engine as _;
use kurento::{WebRtcEndpointOp, WebRtcProperty};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// What the gateway knows about ICE servers. `Default`: none (host candidates only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServers {
    /// `stun:` / `stuns:` URLs, handed out as they are.
    pub stun_urls: Vec<String>,
    /// `turn:` / `turns:` URLs, handed out with the credentials below.
    pub turn_urls: Vec<String>,
    /// How TURN credentials are made.
    pub turn_auth: TurnAuth,
    /// How long minted TURN credentials work. Long enough for a whole call: a TURN server refuses to
    /// refresh an allocation whose credentials have expired.
    pub credential_ttl: Duration,
}

/// How the TURN credentials are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TurnAuth {
    /// No TURN server (or one that needs no credentials).
    #[default]
    None,
    /// The same username and password for everyone: handed to every caller, so only for closed setups.
    Static {
        /// The TURN username.
        username: String,
        /// The TURN password.
        password: Secret,
    },
    /// The TURN REST API's shared secret (coturn `static-auth-secret`): credentials minted per caller,
    /// valid for `credential_ttl`.
    SharedSecret(Secret),
}

/// One entry of RTCPeerConnection's `iceServers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    /// The server's URLs.
    pub urls: Vec<String>,
    /// TURN username; empty for STUN.
    pub username: String,
    /// TURN password; empty for STUN.
    pub credential: String,
}

/// What one `GetIceServers` call returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    /// The servers, STUN first.
    pub servers: Vec<IceServer>,
    /// Unix seconds after which the TURN credentials are refused; 0 when none expire.
    pub expires_at_unix: i64,
}

impl IceServers {
    /// The servers for one peer at `now_unix`, TURN credentials under `name` (any text without ':').
    pub fn mint(&self, now_unix: u64, name: &str) -> Minted {
        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: String::new(),
                credential: String::new(),
            });
        }
        let mut expires_at_unix = 0;
        if !self.turn_urls.is_empty() {
            let (username, credential) = match &self.turn_auth {
                TurnAuth::None => (String::new(), String::new()),
                TurnAuth::Static { username, password } => (username.clone(), password.0.clone()),
                TurnAuth::SharedSecret(secret) => {
                    let expiry = now_unix.saturating_add(self.credential_ttl.as_secs());
                    expires_at_unix = i64::try_from(expiry).unwrap_or(i64::MAX);
                    let username = format!("{expiry}:{name}");
                    let credential = rest_password(secret.0.as_bytes(), &username);
                    (username, credential)
                }
            };
            servers.push(IceServer {
                urls: self.turn_urls.clone(),
                username,
                credential,
            });
        }
        Minted {
            servers,
            expires_at_unix,
        }
    }

    /// Refuses URLs that RTCPeerConnection would refuse, and TURN without credentials.
    pub fn check(&self) -> Result<(), String> {
        for url in &self.stun_urls {
            if !(url.starts_with("stun:") || url.starts_with("stuns:")) {
                return Err(format!("STUN URL {url:?} must start with stun: or stuns:"));
            }
        }
        for url in &self.turn_urls {
            if !(url.starts_with("turn:") || url.starts_with("turns:")) {
                return Err(format!("TURN URL {url:?} must start with turn: or turns:"));
            }
        }
        for url in self.stun_urls.iter().chain(&self.turn_urls) {
            if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.len() > 512 {
                return Err(format!("ICE server URL {url:?} is malformed"));
            }
        }
        if !self.turn_urls.is_empty() && self.turn_auth == TurnAuth::None {
            return Err(
                "TURN URLs need credentials: a shared secret (--turn-secret) or --turn-username and --turn-password"
                    .into(),
            );
        }
        if matches!(self.turn_auth, TurnAuth::SharedSecret(_)) && self.credential_ttl.is_zero() {
            return Err("the TURN credential lifetime must be at least 1 s".into());
        }
        Ok(())
    }
}

impl IceServers {
    /// What the media server's WebRtcEndpoints are told, as KMS takes it (its `stunServerAddress`,
    /// `stunServerPort` and `turnUrl` properties, set right after each endpoint is created): the first
    /// STUN URL whose host is an IP address (KMS takes no names), and the first UDP TURN URL when the
    /// credentials are static. Minted credentials stay with the callers: KMS's `turnUrl` is
    /// `user:password@address:port`, and a TURN REST username (`<expiry>:<name>`) has a colon in it.
    pub fn endpoint_settings(&self) -> Vec<WebRtcEndpointOp> {
        let mut ops = Vec::new();
        if let Some((ip, port)) = self.stun_urls.iter().find_map(|u| host_port(u, "stun:")) {
            ops.push(WebRtcEndpointOp::SetProperty(
                WebRtcProperty::StunServerAddress,
                ip.to_string().into(),
            ));
            ops.push(WebRtcEndpointOp::SetProperty(
                WebRtcProperty::StunServerPort,
                port.into(),
            ));
        }
        if let TurnAuth::Static { username, password } = &self.turn_auth
            && !username.contains(':')
            && let Some((ip, port)) = self
                .turn_urls
                .iter()
                .filter(|u| !u.contains("transport=tcp"))
                .find_map(|u| host_port(u, "turn:"))
        {
            let host = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            ops.push(WebRtcEndpointOp::SetProperty(
                WebRtcProperty::TurnUrl,
                format!("{username}:{}@{host}:{port}?transport=udp", password.0).into(),
            ));
        }
        ops
    }
}

/// The IP address and port (3478 when absent) of a `scheme` URL such as `stun:192.0.2.1:3478`; `None`
/// for another scheme or a host name.
fn host_port(url: &str, scheme: &str) -> Option<(IpAddr, u16)> {
    let rest = url.strip_prefix(scheme)?;
    let rest = rest.split('?').next()?;
    if let Ok(addr) = rest.parse::<SocketAddr>() {
        return Some((addr.ip(), addr.port()));
    }
    let host = rest.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().ok().map(|ip| (ip, 3478))
}

/// The one conversion to the public API.
impl From<Minted> for media_proto::v1::GetIceServersResponse {
    fn from(m: Minted) -> Self {
        Self {
            ice_servers: m
                .servers
                .into_iter()
                .map(|s| media_proto::v1::IceServer {
                    urls: s.urls,
                    username: s.username,
                    credential: s.credential,
                })
                .collect(),
            expires_at_unix: m.expires_at_unix,
        }
    }
}

/// The TURN REST API password for `username`: base64 of HMAC-SHA1(secret, username).
pub fn rest_password(secret: &[u8], username: &str) -> String {
    // SHA-1 is what the TURN REST API (and coturn) define; as an HMAC it is still sound.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = ring::hmac::sign(&key, username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(auth: TurnAuth) -> IceServers {
        IceServers {
            stun_urls: vec!["stun:stun.example:3478".into()],
            turn_urls: vec![
                "turn:turn.example:3478?transport=udp".into(),
                "turns:turn.example:5349?transport=tcp".into(),
            ],
            turn_auth: auth,
            credential_ttl: Duration::from_secs(3600),
        }
    }

    #[test]
    fn endpoints_get_the_first_stun_address_and_static_turn_only() {
        let mut s = servers(TurnAuth::SharedSecret(Secret("k".into())));
        s.stun_urls = vec![
            "stun:stun.example:3478".into(),
            "stun:192.0.2.1:3479".into(),
        ];
        let ops = s.endpoint_settings();
        assert_eq!(
            ops,
            vec![
                WebRtcEndpointOp::SetProperty(
                    WebRtcProperty::StunServerAddress,
                    "192.0.2.1".into()
                ),
                WebRtcEndpointOp::SetProperty(WebRtcProperty::StunServerPort, 3479.into()),
            ],
            "a host name is skipped, minted TURN credentials are not for KMS"
        );
        s.turn_urls = vec!["turn:192.0.2.2?transport=udp".into()];
        s.turn_auth = TurnAuth::Static {
            username: "u".into(),
            password: Secret("p".into()),
        };
        assert_eq!(
            s.endpoint_settings().last(),
            Some(&WebRtcEndpointOp::SetProperty(
                WebRtcProperty::TurnUrl,
                "u:p@192.0.2.2:3478?transport=udp".into()
            ))
        );
        assert!(IceServers::default().endpoint_settings().is_empty());
    }

    #[test]
    fn the_rest_password_is_the_base64_hmac_sha1_of_the_username() {
        // Python: base64.b64encode(hmac.new(b"north", b"1733200000:alice", hashlib.sha1).digest())
        assert_eq!(
            rest_password(b"north", "1733200000:alice"),
            "uH1StBXdK654XAp+qIyKeiRCsJQ="
        );
    }

    #[test]
    fn shared_secret_credentials_expire_after_the_ttl() {
        let minted =
            servers(TurnAuth::SharedSecret(Secret("north".into()))).mint(1_733_196_400, "alice");
        assert_eq!(minted.expires_at_unix, 1_733_200_000);
        assert_eq!(minted.servers.len(), 2);
        assert_eq!(minted.servers[0].urls, ["stun:stun.example:3478"]);
        assert!(minted.servers[0].username.is_empty());
        let turn = &minted.servers[1];
        assert_eq!(turn.urls.len(), 2);
        assert_eq!(turn.username, "1733200000:alice");
        assert_eq!(turn.credential, "uH1StBXdK654XAp+qIyKeiRCsJQ=");
    }

    #[test]
    fn static_credentials_do_not_expire_and_stun_only_has_no_turn_entry() {
        let minted = servers(TurnAuth::Static {
            username: "u".into(),
            password: Secret("p".into()),
        })
        .mint(5, "x");
        assert_eq!(minted.expires_at_unix, 0);
        assert_eq!(
            (
                minted.servers[1].username.as_str(),
                minted.servers[1].credential.as_str()
            ),
            ("u", "p")
        );
        let stun_only = IceServers {
            stun_urls: vec!["stun:a:1".into()],
            ..IceServers::default()
        };
        assert_eq!(stun_only.mint(5, "x").servers.len(), 1);
        assert!(IceServers::default().mint(5, "x").servers.is_empty());
    }

    #[test]
    fn bad_urls_and_turn_without_credentials_are_refused() {
        let mut s = servers(TurnAuth::None);
        assert!(s.check().unwrap_err().contains("credentials"));
        s.turn_auth = TurnAuth::SharedSecret(Secret("k".into()));
        assert!(s.check().is_ok());
        s.stun_urls = vec!["http://nope".into()];
        assert!(s.check().is_err());
        s.stun_urls = vec!["stun:a b".into()];
        assert!(s.check().is_err());
    }
}
