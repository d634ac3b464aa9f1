//! Draining the bridge (its shutdown token, as SIGTERM does) on the real stack tells each browser why, and
//! releases every pipeline on the media server while the gateway keeps running.

use std::time::Duration;

use anyhow::{Context as _, bail};
use e2e_tests::Gateway;
use futures_util::{SinkExt as _, StreamExt as _};
use media_probe::{Peer, PeerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

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
    let web = TcpListener::bind("127.0.0.1:0").await?;
    let addr = web.local_addr()?;
    let config = web_bridge::Config {
        gateway: gateway.grpc_uri.clone(),
        tls: web_bridge::TlsMode::Plain,
        ..Default::default()
    };
    let counters = config.counters.clone();
    let shutdown = CancellationToken::new();
    let bridge = tokio::spawn(web_bridge::run(web, config, shutdown.clone()));

    let mut browsers = Vec::new();
    for _ in 0..2 {
        let (peer, offer) = Peer::start(PeerConfig::default()).await?;
        let tcp = TcpStream::connect(addr).await?;
        let (mut ws, _) =
            tokio_tungstenite::client_async(format!("ws://{addr}/helloworld"), tcp).await?;
        let start = serde_json::json!({"id": "start", "sdpOffer": offer}).to_string();
        ws.send(Message::text(start)).await?;
        let reply = next_json(&mut ws).await?;
        assert_eq!(reply["id"], "startResponse", "{reply}");
        browsers.push((peer, ws));
    }
    assert_eq!(e2e_tests::pipelines(gateway.kms_uri()).await?, 2);

    shutdown.cancel();
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
    tokio::time::timeout(Duration::from_secs(20), bridge).await???;
    assert_eq!(counters.open_sockets(), 0);
    assert_eq!(counters.live_sessions(), 0);
    gateway.assert_released().await?;
    gateway.stop().await
}
