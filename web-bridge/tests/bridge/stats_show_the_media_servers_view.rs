//! `getStats` on a socket with a call answers with the media server's view of each RTP stream, in the units
//! the browser's own stats use; without a call it gets a clear error.
use crate::support;

use crate::support::fake_gateway::Call;
use crate::support::{recv_error, recv_json, send};

#[tokio::test]
async fn stats_show_the_media_servers_view() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    send(&mut ws, r#"{"id":"getStats"}"#).await?;
    let refused = recv_error(&mut ws).await?;
    assert!(refused.contains("send start first"), "{refused}");

    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    send(&mut ws, r#"{"id":"getStats"}"#).await?;
    let stats = loop {
        let message = recv_json(&mut ws).await?;
        if message["id"] == "stats" {
            break message;
        }
    };
    let stream = &stats["streams"][0];
    assert_eq!(stream["kind"], "video", "{stats}");
    assert_eq!(stream["direction"], "in");
    assert_eq!(stream["packets"], 1200);
    assert_eq!(stream["bytes"], 1_000_000);
    assert_eq!(stream["packetsLost"], 3);
    assert_eq!(stream["jitterMs"], 4.0);
    assert_eq!(stream["rttMs"], 12.0);
    assert_eq!(stream["bitrateKbps"], 480.0);
    assert_eq!(stream["codec"], "video/VP8");
    assert!(gateway.calls().contains(&Call::GetSessionStats {
        session: "session-1".into()
    }));
    ws.close(None).await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}
