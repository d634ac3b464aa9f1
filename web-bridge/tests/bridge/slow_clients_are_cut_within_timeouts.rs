//! Slowloris: clients that send a request's headers one byte at a time (over plain HTTP and over TLS), and
//! kept-alive connections that go quiet after a request, are cut within the header read timeout, and a TLS
//! client that never starts its handshake within the handshake timeout, while `/healthz` answers throughout; every connection is released (the connection gauge returns
//! to 0).
use crate::support;

use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use web_bridge::TlsMode;

use crate::support::{Bridge, http_get};

const HEADER: Duration = Duration::from_millis(500);
const HANDSHAKE: Duration = Duration::from_millis(500);
const SLOW: usize = 20;
/// How often a slow client sends its next header byte: well inside the timeout, so only the header read
/// timeout (not an idle-read one) can cut it.
const DRIP: Duration = Duration::from_millis(100);
/// Slack over the contract for a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

#[tokio::test]
async fn slow_plain_http_headers_are_cut() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.limits.header_read_timeout = HEADER;
    })
    .await?;
    let mut clients = Vec::new();
    for _ in 0..SLOW {
        let tcp = TcpStream::connect(bridge.addr).await?;
        clients.push(tokio::spawn(drip(tcp)));
    }
    for _ in 0..SLOW / 4 {
        let tcp = TcpStream::connect(bridge.addr).await?;
        clients.push(tokio::spawn(quiet_after_one_request(tcp)));
    }
    cut_while_healthy(&bridge, clients).await?;
    bridge.stop().await
}

#[tokio::test]
async fn slow_tls_headers_and_handshakes_are_cut() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.tls = TlsMode::SelfSigned;
        c.limits.header_read_timeout = HEADER;
        c.limits.tls_handshake_timeout = HANDSHAKE;
    })
    .await?;
    let connector = support::tls::connector();
    let mut clients = Vec::new();
    for _ in 0..SLOW / 2 {
        let tcp = TcpStream::connect(bridge.addr).await?;
        let tls = connector
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        clients.push(tokio::spawn(drip(tls)));
    }
    // These never start the handshake: only the handshake timeout can cut them.
    for _ in 0..SLOW / 2 {
        let tcp = TcpStream::connect(bridge.addr).await?;
        clients.push(tokio::spawn(silent(tcp)));
    }
    cut_while_healthy_tls(&bridge, clients).await?;
    bridge.stop().await
}

/// Sends a never-ending header one byte per [`DRIP`]; returns how long the server kept the connection.
async fn drip<S: AsyncRead + AsyncWrite + Unpin>(io: S) -> Duration {
    let started = Instant::now();
    let (mut reader, mut writer) = tokio::io::split(io);
    let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    let writing = async {
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() || writer.flush().await.is_err() {
                return;
            }
            tokio::time::sleep(DRIP).await;
        }
    };
    let reading = async {
        let mut buf = [0u8; 256];
        while matches!(reader.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        () = reading => {}
        () = writing => {}
    }
    started.elapsed()
}

/// Sends one whole kept-alive request, then nothing; returns how long the server kept the connection.
async fn quiet_after_one_request(mut tcp: TcpStream) -> Duration {
    let started = Instant::now();
    if tcp
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .is_err()
    {
        return started.elapsed();
    }
    let mut buf = [0u8; 256];
    while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
    started.elapsed()
}

/// Connects and sends nothing; returns how long the server kept the connection.
async fn silent(mut tcp: TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 64];
    while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
    started.elapsed()
}

async fn cut_while_healthy(
    bridge: &Bridge,
    clients: Vec<tokio::task::JoinHandle<Duration>>,
) -> anyhow::Result<()> {
    let limit = HEADER.max(HANDSHAKE) + SLACK;
    let health = async {
        // /healthz answers while the slow clients hold their connections.
        while clients.iter().any(|c| !c.is_finished()) {
            let (status, _, body) = http_get(bridge.addr, "/healthz").await?;
            anyhow::ensure!(
                status == 200,
                "/healthz answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
            tokio::time::sleep(test_support::wait::POLL).await;
        }
        anyhow::Ok(())
    };
    test_support::wait::within("the slow clients to be cut", limit, health).await?;
    for client in clients {
        let held = client.await?;
        assert!(held <= limit, "a slow client was held {held:?}");
    }
    support::eventually("every connection released", || {
        bridge.counters.open_connections() == 0
    })
    .await
}

async fn cut_while_healthy_tls(
    bridge: &Bridge,
    clients: Vec<tokio::task::JoinHandle<Duration>>,
) -> anyhow::Result<()> {
    let connector = support::tls::connector();
    let limit = HEADER.max(HANDSHAKE) + SLACK;
    let health = async {
        while clients.iter().any(|c| !c.is_finished()) {
            let tcp = TcpStream::connect(bridge.addr).await?;
            let mut tls = connector
                .connect(ServerName::try_from("localhost")?, tcp)
                .await?;
            tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .await?;
            let mut answer = Vec::new();
            tls.read_to_end(&mut answer).await?;
            anyhow::ensure!(
                answer.starts_with(b"HTTP/1.1 200"),
                "/healthz answered {}",
                String::from_utf8_lossy(&answer)
            );
            tokio::time::sleep(test_support::wait::POLL).await;
        }
        anyhow::Ok(())
    };
    test_support::wait::within("the slow clients to be cut", limit, health).await?;
    for client in clients {
        let held = client.await?;
        assert!(held <= limit, "a slow client was held {held:?}");
    }
    support::eventually("every connection released", || {
        bridge.counters.open_connections() == 0
    })
    .await
}
