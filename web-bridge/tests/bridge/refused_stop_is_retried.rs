//! A Stop the gateway cannot take yet is tried again, so the session ends now rather than when the
//! gateway's lease runs out.
use crate::support::{self, Bridge, recv_json};
use test_support::fake_gateway::{Call, FakeGateway, Options};

#[tokio::test]
async fn refused_stop_is_retried() -> anyhow::Result<()> {
    let gateway = FakeGateway::start_with(Options {
        failing_stops: 2,
        ..Options::default()
    })
    .await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    ws.close(None).await?;
    let stops = || {
        gateway
            .calls()
            .iter()
            .filter(|c| matches!(c, Call::Stop { session } if session == "session-1"))
            .count()
    };
    // Two refusals, then the Stop that ends the session; nothing after it.
    support::eventually("the third Stop", || stops() == 3).await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(stops(), 3, "{:?}", gateway.calls());
    bridge.stop().await
}
