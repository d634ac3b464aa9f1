//! A browser that vanishes while Start is running leaks nothing: when Start returns, the bridge stops that
//! session itself.
use crate::support;

#[tokio::test]
async fn close_during_start_leaks_no_session() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(true).await?;
    support::send_start(&mut ws).await?;
    support::start_reached(&gateway).await?;
    assert_eq!(
        bridge.counters.live_sessions(),
        1,
        "a Start in flight counts as a session"
    );

    drop(ws); // Abrupt: no close frame, no stop.
    support::eventually("the socket to be gone", || {
        bridge.counters.open_sockets() == 0
    })
    .await?;
    gateway.release_start();

    support::stop_reached(&gateway, "session-1", "the orphaned session to be stopped").await?;
    support::eventually("no live session", || bridge.counters.live_sessions() == 0).await?;
    bridge.stop().await
}
