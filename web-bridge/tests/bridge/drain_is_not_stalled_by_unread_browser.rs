//! A drain ends within the send timeout of a browser that stopped reading, well before the grace period, and
//! still stops that browser's session.
use crate::support;

use std::time::Duration;

use crate::support::Bridge;
use crate::support::fake_gateway::{Call, FakeGateway};

const SEND_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn drain_is_not_stalled_by_unread_browser() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.limits.send_timeout = SEND_TIMEOUT;
        // Far longer than the test may take: only the send timeout can end this drain in time.
        c.limits.shutdown_grace = Duration::from_secs(60);
        c.limits.messages_per_second = 1_000_000;
        c.limits.message_burst = 1_000_000;
    })
    .await?;
    let unread = support::unread_browser(&bridge).await?;

    bridge.shutdown.cancel();
    let Bridge { task, counters, .. } = bridge;
    // The contract under test: the stuck send gives up after the send timeout, then the Stop (plus slack).
    test_support::wait::within("the drain", SEND_TIMEOUT + Duration::from_secs(4), task).await??;
    assert!(
        gateway.calls().contains(&Call::Stop {
            session: "session-1".into()
        }),
        "the unread browser's session was not stopped: {:?}",
        gateway.calls()
    );
    assert_eq!(counters.open_sockets(), 0);
    assert_eq!(counters.live_sessions(), 0);
    unread.abort();
    Ok(())
}
