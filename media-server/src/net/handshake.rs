//! Looks at the HTTP upgrade request before tungstenite takes it, to answer the requests tungstenite
//! would drop without a response the way KMS's websocketpp answers them. KMS's Docker health check
//! sends `Upgrade: websocket` without `Sec-WebSocket-Key` and counts only HTTP 500 as healthy.
//!
//! A complete handshake must then pass the access rules ([`Access`]): no browser `Origin` unless it is
//! allowed (403), and the shared secret as `Authorization: Bearer` when one is configured (401). The
//! health check is answered before those rules on purpose: it is not a handshake, it cannot open a
//! connection, and it must keep passing on a server that requires a secret.

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Largest request head we look at; a longer one is refused.
const MAX_HEAD: usize = 16 * 1024;
/// How long to wait between peeks while the head is incomplete.
const PEEK_PAUSE: Duration = Duration::from_millis(5);

/// What to do with a request head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A complete WebSocket handshake: let tungstenite accept it.
    Upgrade,
    /// Answer with this HTTP response and close.
    Reject(&'static str),
}

const NO_KEY: &str = "HTTP/1.1 500 Internal Server Error\r\nServer: media-server (WebSocket++ compatible)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const BAD_VERSION: &str = "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const NOT_WEBSOCKET: &str = "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const FORBIDDEN_ORIGIN: &str =
    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const UNAUTHORIZED: &str = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const TOO_LARGE: &str = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Who may open a WebSocket (see [`crate::Config::allowed_origins`] and [`crate::Config::auth_secret`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// Origins a browser page may connect from, compared without case and trailing '/'.
    pub allowed_origins: Vec<String>,
    /// When set, the upgrade must carry `Authorization: Bearer <secret>`.
    pub secret: Option<String>,
}

impl Access {
    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.allowed_origins
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    }

    fn authorized(&self, authorization: Option<&str>) -> bool {
        let Some(secret) = &self.secret else {
            return true;
        };
        let Some((scheme, token)) = authorization.and_then(|v| v.split_once(' ')) else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && service_kit::secret::constant_time_eq(token.trim().as_bytes(), secret.as_bytes())
    }
}

/// Decides from the request head (the bytes before the blank line).
pub(crate) fn classify(head: &str, access: &Access) -> Verdict {
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    let upgrade = header("Upgrade").is_some_and(|v| v.to_ascii_lowercase().contains("websocket"));
    if !upgrade {
        return Verdict::Reject(NOT_WEBSOCKET);
    }
    if header("Sec-WebSocket-Key").is_none_or(str::is_empty) {
        return Verdict::Reject(NO_KEY);
    }
    match header("Sec-WebSocket-Version") {
        Some("13") => {}
        // websocketpp reads a missing version as the old hybi-00 draft, which then fails: 500.
        None => return Verdict::Reject(NO_KEY),
        Some(_) => return Verdict::Reject(BAD_VERSION),
    }
    // Browsers always send Origin on a WebSocket upgrade and let any page open one to any host, loopback
    // included; the gateway and kurento-client on Node send none. So an Origin means a web page.
    if let Some(origin) = header("Origin")
        && !access.origin_allowed(origin)
    {
        return Verdict::Reject(FORBIDDEN_ORIGIN);
    }
    if !access.authorized(header("Authorization")) {
        return Verdict::Reject(UNAUTHORIZED);
    }
    Verdict::Upgrade
}

/// Peeks (without consuming) until the request head is complete, then classifies it.
/// `Ok(None)`: the peer closed or was too slow; just drop the socket.
pub(crate) async fn inspect(
    stream: &TcpStream,
    timeout: Duration,
    access: &Access,
) -> std::io::Result<Option<Verdict>> {
    let mut buf = vec![0u8; MAX_HEAD];
    let peeked = tokio::time::timeout(timeout, async {
        let mut last = 0;
        loop {
            let n = stream.peek(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(None);
            }
            if let Some(end) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
                return Ok(Some(end));
            }
            if n == buf.len() {
                return Ok(Some(usize::MAX));
            }
            // peek returns at once while data is queued; wait a little for the rest of the head.
            if n == last {
                tokio::time::sleep(PEEK_PAUSE).await;
            }
            last = n;
        }
    })
    .await;
    match peeked {
        Err(_elapsed) => Ok(None),
        Ok(Err(e)) => Err(e),
        Ok(Ok(None)) => Ok(None),
        Ok(Ok(Some(usize::MAX))) => Ok(Some(Verdict::Reject(TOO_LARGE))),
        Ok(Ok(Some(end))) => Ok(Some(classify(
            &String::from_utf8_lossy(&buf[..end]),
            access,
        ))),
    }
}

/// Writes a rejection and closes our side.
pub(crate) async fn reject(mut stream: TcpStream, response: &str) -> std::io::Result<()> {
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "GET /kurento HTTP/1.1\r\nHost: x\r\nconnection: Upgrade\r\nupgrade: WebSocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";

    fn open() -> Access {
        Access::default()
    }

    /// KMS's `healthchecker.sh` sends this head with curl (its `Origin: 127.0.0.1` is curl's habit, not
    /// a browser's). It is not a handshake, so it gets websocketpp's 500 whatever the access rules say:
    /// the origin rule and the secret must not break the health check.
    #[test]
    fn healthcheck_request_gets_500_even_with_access_rules() {
        let head = "GET /kurento HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nOrigin: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket";
        assert_eq!(classify(head, &open()), Verdict::Reject(NO_KEY));
        let strict = Access {
            allowed_origins: vec![],
            secret: Some("s3cret".into()),
        };
        assert_eq!(classify(head, &strict), Verdict::Reject(NO_KEY));
        assert!(NO_KEY.starts_with("HTTP/1.1 500 "));
    }

    #[test]
    fn an_origin_is_refused_unless_allowed() {
        // The same Origin on a complete handshake is what a web page's WebSocket would send.
        let with = |origin: &str| format!("{OK}\r\nOrigin: {origin}");
        for origin in [
            "127.0.0.1",
            "https://evil.example",
            "null",
            "http://localhost:8080",
        ] {
            assert_eq!(
                classify(&with(origin), &open()),
                Verdict::Reject(FORBIDDEN_ORIGIN),
                "{origin}"
            );
        }
        assert!(FORBIDDEN_ORIGIN.starts_with("HTTP/1.1 403 "));
        let app = Access {
            allowed_origins: vec!["https://app.example/".into()],
            secret: None,
        };
        assert_eq!(
            classify(&with("https://APP.example"), &app),
            Verdict::Upgrade
        );
        assert_eq!(
            classify(&with("https://app.example.evil"), &app),
            Verdict::Reject(FORBIDDEN_ORIGIN)
        );
    }

    #[test]
    fn a_secret_needs_the_bearer_header() {
        let access = Access {
            allowed_origins: vec![],
            secret: Some("s3cret".into()),
        };
        assert_eq!(classify(OK, &access), Verdict::Reject(UNAUTHORIZED));
        let auth = |v: &str| format!("{OK}\r\nAuthorization: {v}");
        assert_eq!(classify(&auth("Bearer s3cret"), &access), Verdict::Upgrade);
        assert_eq!(classify(&auth("bearer s3cret"), &access), Verdict::Upgrade);
        for wrong in [
            "Bearer s3creT",
            "Bearer s3cre",
            "Bearer s3crett",
            "Basic s3cret",
            "s3cret",
            "",
        ] {
            assert_eq!(
                classify(&auth(wrong), &access),
                Verdict::Reject(UNAUTHORIZED),
                "{wrong}"
            );
        }
        assert!(UNAUTHORIZED.starts_with("HTTP/1.1 401 "));
    }

    #[test]
    fn complete_handshake_goes_through_and_plain_http_does_not() {
        assert_eq!(classify(OK, &open()), Verdict::Upgrade);
        assert_eq!(
            classify("GET / HTTP/1.1\r\nHost: x", &open()),
            Verdict::Reject(NOT_WEBSOCKET)
        );
        let v8 = OK.replace("Version: 13", "Version: 8");
        assert_eq!(classify(&v8, &open()), Verdict::Reject(BAD_VERSION));
    }
}
