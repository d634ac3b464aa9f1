//! A parked call whose page does not come back within the resume grace is stopped at the gateway, and its
//! token is refused afterwards with a sentence the page can act on.
use crate::support;

use std::time::{Duration, Instant};

use crate::support::fake_gateway::FakeGateway;
use crate::support::{Bridge, recv_error, recv_json};

const GRACE: Duration = Duration::from_millis(400);

#[tokio::test]
async fn resume_after_grace_is_refused_and_stopped() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| c.limits.resume_grace = GRACE).await?;
    let mut ws = bridge.connect(None).await?;
    support::send_start(&mut ws).await?;
    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["resumeWithinMs"], 400);
    let token = support::resume_token(&answer);

    drop(ws);
    let dropped = Instant::now();
    support::eventually("the call to be parked", || {
        bridge.counters.parked_calls() == 1
    })
    .await?;
    support::stop_reached(&gateway, "session-1", "Stop once the grace is over").await?;
    assert!(
        dropped.elapsed() >= GRACE,
        "stopped before its grace was over"
    );
    support::nothing_open(&bridge, "counters back to zero").await?;
    assert_eq!(bridge.counters.parked_calls(), 0);
    assert_eq!(bridge.counters.resumes("expired"), 1);

    let mut late = bridge.connect(None).await?;
    support::send_resume(&mut late, &token).await?;
    let refused = recv_error(&mut late).await?;
    assert!(
        refused.contains("cannot resume") && refused.contains("start a new call"),
        "{refused}"
    );
    // The socket is still usable: the page starts afresh on it.
    support::send_start(&mut late).await?;
    assert_eq!(recv_json(&mut late).await?["id"], "startResponse");
    late.close(None).await?;
    support::nothing_open(&bridge, "the new call released").await?;
    bridge.stop().await
}
