//! One address holding its share of WebSocket connections has its next ones closed on accept, while
//! clients from other addresses still connect; its slots come back when its connections close.

use crate::common;

use media_server::Config;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection from 127.0.0.2 (Linux answers the whole 127/8 on loopback), so it counts against
/// another address than the test's own clients.
async fn connect_from_elsewhere(to: std::net::SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    socket.connect(to).await.expect("TCP connect")
}

/// Whether the server closes `tcp` within `within` without having been sent anything.
async fn closed_by_server(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(within, tcp.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn an_address_over_its_share_is_closed_and_others_still_connect() -> anyhow::Result<()> {
    let server = common::start(Config {
        max_connections_per_ip: 3,
        ..Config::default()
    })
    .await?;
    let addr = server.local_addr();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from_elsewhere(addr).await);
    }
    let mut surplus = connect_from_elsewhere(addr).await;
    assert!(
        closed_by_server(&mut surplus, Duration::from_secs(2)).await,
        "the fourth from 127.0.0.2 is closed"
    );
    for tcp in &mut held {
        assert!(
            !closed_by_server(tcp, Duration::from_millis(50)).await,
            "its share stays open (until the handshake timeout)"
        );
    }
    // Another address is not affected.
    let mut ws = common::connect(&server.url()).await?;
    ws.close(None).await?;

    drop(held);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = connect_from_elsewhere(addr).await;
        if !closed_by_server(&mut again, Duration::from_millis(200)).await {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "127.0.0.2's slots were not given back"
        );
    }
    Ok(())
}
