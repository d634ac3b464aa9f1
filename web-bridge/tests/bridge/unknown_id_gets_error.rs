//! A message with an id the protocol does not know gets an `error` naming it (never "[object Object]").

use crate::support::{Bridge, recv_error, send};

#[tokio::test]
async fn unknown_id_gets_error() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, r#"{"id":"viewer","sdpOffer":"v=0"}"#).await?;
    assert_eq!(recv_error(&mut ws).await?, "unknown message id \"viewer\"");
    send(&mut ws, r#"{"sdpOffer":"v=0"}"#).await?;
    assert_eq!(recv_error(&mut ws).await?, "message has no \"id\" field");
    send(&mut ws, r#"{"id":7}"#).await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "message \"id\" must be a string"
    );
    bridge.stop().await
}
