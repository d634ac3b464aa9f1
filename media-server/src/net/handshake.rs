//! Looks at the HTTP upgrade request before tungstenite takes it, to answer the requests tungstenite
//! would drop without a response the way KMS's websocketpp answers them. KMS's Docker health check
//! sends `Upgrade: websocket` without `Sec-WebSocket-Key` and counts only HTTP 500 as healthy.

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
const TOO_LARGE: &str = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Decides from the request head (the bytes before the blank line).
pub(crate) fn classify(head: &str) -> Verdict {
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
        Some("13") => Verdict::Upgrade,
        // websocketpp reads a missing version as the old hybi-00 draft, which then fails: 500.
        None => Verdict::Reject(NO_KEY),
        Some(_) => Verdict::Reject(BAD_VERSION),
    }
}

/// Peeks (without consuming) until the request head is complete, then classifies it.
/// `Ok(None)`: the peer closed or was too slow; just drop the socket.
pub(crate) async fn inspect(
    stream: &TcpStream,
    timeout: Duration,
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
        Ok(Ok(Some(end))) => Ok(Some(classify(&String::from_utf8_lossy(&buf[..end])))),
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

    #[test]
    fn healthcheck_request_gets_500() {
        let head = "GET /kurento HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nOrigin: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket";
        assert_eq!(classify(head), Verdict::Reject(NO_KEY));
        assert!(NO_KEY.starts_with("HTTP/1.1 500 "));
    }

    #[test]
    fn complete_handshake_goes_through_and_plain_http_does_not() {
        let ok = "GET /kurento HTTP/1.1\r\nHost: x\r\nconnection: Upgrade\r\nupgrade: WebSocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";
        assert_eq!(classify(ok), Verdict::Upgrade);
        assert_eq!(
            classify("GET / HTTP/1.1\r\nHost: x"),
            Verdict::Reject(NOT_WEBSOCKET)
        );
        let v8 = ok.replace("Version: 13", "Version: 8");
        assert_eq!(classify(&v8), Verdict::Reject(BAD_VERSION));
    }
}
