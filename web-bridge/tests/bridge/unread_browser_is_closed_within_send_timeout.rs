//! A browser that stops reading while the bridge has much to send is closed once a send has waited the send
//! timeout, and its session is stopped; meanwhile another browser is served as usual.
use crate::support;

use std::time::{Duration, Instant};

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::{Bridge, metrics, recv_json, sample};

const SEND_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn unread_browser_is_closed_within_send_timeout() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        // Re-attach off: this test is about the socket's own bounds, so the call stops with its socket
        // instead of waiting to be resumed (resume_* tests cover that path).
        c.limits.resume_grace = Duration::ZERO;
        c.limits.send_timeout = SEND_TIMEOUT;
        // Only the send timeout may close it: no rate limit, no ping in the test's time.
        c.limits.messages_per_second = 1_000_000;
        c.limits.message_burst = 1_000_000;
        c.limits.ping_interval = Duration::from_secs(600);
    })
    .await?;

    let unread = support::unread_browser(&bridge).await?;
    // The bridge is now stuck in a send to the unread browser, which stays counted while it waits.
    let stuck = Instant::now();
    assert_eq!(bridge.counters.open_sockets(), 1);

    let mut other = bridge.connect(None).await?;
    support::send_start(&mut other).await?;
    assert_eq!(recv_json(&mut other).await?["id"], "startResponse");
    assert_eq!(recv_json(&mut other).await?["id"], "iceCandidate");
    assert_eq!(
        bridge.counters.open_sockets(),
        2,
        "the other browser was served while the unread one was still waiting"
    );

    // The contract under test: closed within the send timeout of getting stuck (plus slack for the Stop).
    test_support::wait::wait_for(
        "the unread browser's Stop",
        SEND_TIMEOUT + Duration::from_secs(2),
        || {
            gateway.calls().contains(&Call::Stop {
                session: "session-1".into(),
            })
        },
    )
    .await?;
    assert!(stuck.elapsed() <= SEND_TIMEOUT + Duration::from_secs(2));
    support::eventually("only the other socket to be left", || {
        bridge.counters.open_sockets() == 1 && bridge.counters.live_sessions() == 1
    })
    .await?;
    let text = metrics(bridge.addr).await?;
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_websocket_unresponsive_total{reason="send_timeout"}"#
        ),
        1.0
    );

    unread.abort();
    other.close(None).await?;
    support::nothing_open(&bridge, "every socket and session released").await?;
    bridge.stop().await
}
