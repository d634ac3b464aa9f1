//! Parked calls are bounded and owned: past `max_parked_calls` a dropped socket's call is stopped at once,
//! a socket that holds a call cannot resume another, and the drain stops every parked call.
use crate::support;

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::{Bridge, recv_error, recv_json};

#[tokio::test]
async fn resume_is_bounded_and_drained() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| c.limits.max_parked_calls = 1).await?;
    let mut tokens = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut ws = bridge.connect(None).await?;
        support::send_start(&mut ws).await?;
        let answer = recv_json(&mut ws).await?;
        tokens.push(support::resume_token(&answer));
        sockets.push(ws);
    }

    // A socket holding a call cannot take another page's call.
    support::send_resume(&mut sockets[2], &tokens[0]).await?;
    let refused = recv_error(&mut sockets[2]).await?;
    assert!(refused.contains("already has a call"), "{refused}");

    // Two drop; only one fits in the table, the other is stopped at once.
    let third = sockets.pop();
    drop(sockets);
    support::eventually("one parked and one stopped", || {
        let stops = gateway
            .calls()
            .iter()
            .filter(|c| matches!(c, Call::Stop { .. }))
            .count();
        bridge.counters.parked_calls() == 1 && stops == 1
    })
    .await?;
    assert_eq!(bridge.counters.resumes("refused_full"), 1);
    assert_eq!(bridge.counters.live_sessions(), 2);

    // The drain stops the parked call too, not only the ones with sockets.
    drop(third);
    let counters = bridge.counters.clone();
    bridge.stop().await?;
    for session in ["session-1", "session-2", "session-3"] {
        assert!(
            gateway.calls().contains(&Call::Stop {
                session: session.into()
            }),
            "{session} was not stopped"
        );
    }
    assert_eq!(counters.parked_calls(), 0);
    assert_eq!(counters.live_sessions(), 0);
    Ok(())
}
