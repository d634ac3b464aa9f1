//! Draining the bridge (its shutdown token, as SIGTERM does) on the real stack tells each browser why, and
//! releases every pipeline on the media server while the gateway keeps running.

use std::time::Duration;

use anyhow::{Context as _, bail};
use e2e_tests::{Gateway, Ws};
use futures_util::StreamExt as _;
use media_probe::{Peer, PeerConfig};
use tokio_tungstenite::tungstenite::Message;

async fn next_json(ws: &mut Ws) -> anyhow::Result<serde_json::Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .context("no message within 10 s")?
            .context("socket closed")??;
        match frame {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("expected a text message, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_drain_releases_pipelines() -> anyhow::Result<()> {
    let gateway = Gateway::start().await?;
    let web = e2e_tests::plain_bridge(&gateway).await?;

    let mut browsers = Vec::new();
    for _ in 0..2 {
        let (peer, offer) = Peer::start(PeerConfig::default()).await?;
        let mut ws = e2e_tests::open_and_start(web.addr, &offer).await?;
        let reply = next_json(&mut ws).await?;
        assert_eq!(reply["id"], "startResponse", "{reply}");
        browsers.push((peer, ws));
    }
    assert_eq!(e2e_tests::pipelines(gateway.kms()).await?, 2);

    web.shutdown.cancel();
    for (_, ws) in &mut browsers {
        // Server candidates may still be on their way; the drain's error follows them.
        loop {
            let v = next_json(ws).await?;
            if v["id"] == "error" {
                assert_eq!(v["message"], "the server is shutting down");
                break;
            }
            assert_eq!(v["id"], "iceCandidate", "{v}");
        }
    }
    tokio::time::timeout(Duration::from_secs(20), web.task).await???;
    assert_eq!(web.counters.open_sockets(), 0);
    assert_eq!(web.counters.live_sessions(), 0);
    gateway.assert_released().await?;
    gateway.stop().await
}
