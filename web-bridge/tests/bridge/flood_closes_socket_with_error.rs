//! A browser that sends faster than the configured rate gets an `error` and a clean close, and what it had
//! started is stopped.
use crate::support;

use crate::support::fake_gateway::FakeGateway;
use crate::support::{Bridge, recv_json};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn flood_closes_socket_with_error() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.limits.messages_per_second = 5;
        c.limits.message_burst = 20;
    })
    .await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");

    for _ in 0..100 {
        // The bridge may close while we are still sending; that is the point.
        if ws
            .send(Message::text(support::candidate_json(5000)))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut saw_error = None;
    let mut close_code = None;
    while let Ok(Some(frame)) =
        tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await
    {
        match frame {
            Ok(Message::Text(t)) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str())?;
                if v["id"] == "error" {
                    saw_error = v["message"].as_str().map(str::to_owned);
                }
            }
            Ok(Message::Close(frame)) => {
                close_code = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert_eq!(
        saw_error.as_deref(),
        Some("too many messages: the limit is 5 per second")
    );
    assert_eq!(close_code, Some(1008));
    support::stop_reached(&gateway, "session-1", "the session to be stopped").await?;
    support::nothing_open(&bridge, "nothing left open").await?;
    bridge.stop().await
}
