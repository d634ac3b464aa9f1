//! A frame that is not JSON gets an `error` with a clear text, and the socket stays usable.

use crate::support::{Bridge, recv_error, send};

#[tokio::test]
async fn non_json_message_gets_error() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, "hello, server").await?;
    let text = recv_error(&mut ws).await?;
    assert!(text.starts_with("message is not valid JSON"), "{text}");
    // Still usable: a second bad message gets its own answer.
    send(&mut ws, "[1,2]").await?;
    assert_eq!(
        recv_error(&mut ws).await?,
        "message must be a JSON object with an \"id\" field"
    );
    bridge.stop().await
}
