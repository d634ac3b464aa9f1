//! One address holding its share of WebSocket connections has its next ones closed on accept, while
//! clients from other addresses still connect; its slots come back when its connections close.

use crate::common;

use media_server::Config;
use std::time::Duration;
use test_support::elsewhere::{closed_by_server, connect_from_elsewhere};

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
        held.push(connect_from_elsewhere(addr).await?);
    }
    let mut surplus = connect_from_elsewhere(addr).await?;
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
        let mut again = connect_from_elsewhere(addr).await?;
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
