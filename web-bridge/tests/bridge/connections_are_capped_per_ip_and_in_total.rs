//! HTTP connections are capped per remote address and in total: the excess is answered 503 (plain HTTP) and
//! closed at once, other addresses still get in up to the total, a freed slot is usable again, and the
//! connection gauge returns to 0. (Linux routes all of 127/8 to loopback, so 127.0.0.2 and 127.0.0.3 are
//! other addresses.)
use crate::support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Bridge, http_get};

const PER_IP: usize = 3;
const TOTAL: usize = 5;

#[tokio::test]
async fn connections_are_capped_per_ip_and_in_total() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.limits.max_connections_per_ip = PER_IP;
        c.limits.max_connections = TOTAL;
        // Long enough that the held connections are not cut while the test runs.
        c.limits.header_read_timeout = Duration::from_secs(60);
    })
    .await?;
    let counters = bridge.counters.clone();

    let mut first = Vec::new();
    for _ in 0..PER_IP {
        first.push(from("127.0.0.1", bridge.addr).await?);
    }
    support::eventually("the first address's connections counted", || {
        counters.open_connections() == PER_IP
    })
    .await?;
    refused(from("127.0.0.1", bridge.addr).await?).await?;
    assert_eq!(counters.refused_connections("per_ip"), 1);

    // Another address still gets in, up to the total.
    let mut second = Vec::new();
    for _ in 0..TOTAL - PER_IP {
        second.push(from("127.0.0.2", bridge.addr).await?);
    }
    support::eventually("the total reached", || counters.open_connections() == TOTAL).await?;
    refused(from("127.0.0.3", bridge.addr).await?).await?;
    assert_eq!(counters.refused_connections("total"), 1);

    // A freed slot serves again.
    drop(first.pop());
    support::eventually("a slot freed", || counters.open_connections() == TOTAL - 1).await?;
    assert_eq!(http_get(bridge.addr, "/healthz").await?.0, 200);

    drop(first);
    drop(second);
    support::eventually("every connection released", || {
        counters.open_connections() == 0
    })
    .await?;
    bridge.stop().await
}

/// A TCP connection to `server` from the local address `ip`.
async fn from(ip: &str, server: SocketAddr) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(ip.parse::<IpAddr>()?, 0))?;
    Ok(socket.connect(server).await?)
}

/// The server ends `tcp` at once, with nothing but a 503 (or a reset).
async fn refused(mut tcp: TcpStream) -> anyhow::Result<()> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    anyhow::ensure!(read.is_ok(), "a connection over the cap was kept open");
    anyhow::ensure!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 503"),
        "over the cap got {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(())
}
