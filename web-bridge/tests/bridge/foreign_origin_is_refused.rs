//! The WebSocket upgrade accepts the page's own origin and listed origins, and refuses others with 403.

use crate::support::Bridge;
use tokio_tungstenite::tungstenite;

#[tokio::test]
async fn foreign_origin_is_refused() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |c| {
        c.allowed_origins = vec!["https://demo.example".into()];
    })
    .await?;
    let own = format!("http://{}", bridge.addr);
    bridge.connect(Some(&own)).await?;
    bridge.connect(Some("https://demo.example")).await?;
    match bridge.connect(Some("https://evil.example")).await {
        Err(e) => match e.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
            _ => anyhow::bail!("expected an HTTP 403, got {e}"),
        },
        Ok(_) => anyhow::bail!("a foreign origin opened the WebSocket"),
    }
    bridge.stop().await
}
