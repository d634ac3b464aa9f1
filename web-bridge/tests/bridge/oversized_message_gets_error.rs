//! A message over the configured size gets an `error` and the socket stays usable; one far over it (past the
//! WebSocket layer's hard limit) gets an `error` and a clean close.
use crate::support;

use crate::support::{Bridge, recv_error, send};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn oversized_message_gets_error() -> anyhow::Result<()> {
    let limit = web_bridge::Limits::default().max_message_bytes;
    assert_eq!(limit, 64 * 1024);
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let mut ws = bridge.connect(None).await?;

    let big = format!(
        r#"{{"id":"start","sdpOffer":"{}"}}"#,
        "a".repeat(limit + 10)
    );
    send(&mut ws, big.clone()).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        format!(
            "message of {} bytes is over the limit of {limit} bytes",
            big.len()
        )
    );
    send(&mut ws, "{}").await?;
    assert_eq!(recv_error(&mut ws).await?, "message has no \"id\" field");

    send(&mut ws, "x".repeat(limit * 5)).await?;
    let text = recv_error(&mut ws).await?;
    assert!(
        text.starts_with("closing the connection:") && text.contains("too long"),
        "{text}"
    );
    match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await? {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1008),
        other => anyhow::bail!("expected a close frame, got {other:?}"),
    }
    support::eventually("the socket to be released", || {
        bridge.counters.open_sockets() == 0
    })
    .await?;
    bridge.stop().await
}
