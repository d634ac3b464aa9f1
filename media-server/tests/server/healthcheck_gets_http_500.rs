//! KMS's Docker health check (an upgrade request without Sec-WebSocket-Key) gets HTTP 500, as from
//! websocketpp, also on a server that requires a secret and allows no browser origin; a plain GET gets
//! 426. The probe's `Origin: 127.0.0.1` is what `healthchecker.sh` has curl send, not a browser's: the
//! origin rule applies to complete handshakes only (`websocket_refuses_pages_and_strangers`).

use crate::common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn status_of(addr: std::net::SocketAddr, request: &str) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut out)).await??;
    let text = String::from_utf8_lossy(&out).to_string();
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn healthcheck_gets_http_500() -> anyhow::Result<()> {
    let server = common::start(media_server::Config {
        auth_secret: Some(media_server::AuthSecret::new("not sent by the probe")),
        ..media_server::Config::default()
    })
    .await?;
    let addr = server.local_addr();
    // What healthchecker.sh sends with curl.
    let probe = format!(
        "GET /kurento HTTP/1.1\r\nHost: {addr}\r\nOrigin: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    );
    assert_eq!(
        status_of(addr, &probe).await?,
        "HTTP/1.1 500 Internal Server Error"
    );
    let plain = format!("GET /kurento HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    assert_eq!(
        status_of(addr, &plain).await?,
        "HTTP/1.1 426 Upgrade Required"
    );
    assert_eq!(server.stats().connections, 0);
    server.shutdown().await?;
    Ok(())
}
