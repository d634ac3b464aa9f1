//! A page can reconnect before the bridge has seen its old socket go (a network change leaves a half-open
//! connection that only the pong timeout would find): resuming takes the call from the old socket, which is
//! closed with 4001, and the session goes on without a Stop.
use crate::support;

use std::time::Duration;

use crate::support::fake_gateway::Call;
use crate::support::{close_frame, recv_json, send};

#[tokio::test]
async fn resume_takes_over_a_half_open_socket() -> anyhow::Result<()> {
    let (gateway, bridge, mut old) = support::bridge_with_socket(false).await?;
    support::send_start(&mut old).await?;
    let answer = recv_json(&mut old).await?;
    let token = support::resume_token(&answer);

    // The old socket stays open (the bridge sees nothing wrong with it) while the page comes back.
    let mut new = bridge.connect(None).await?;
    support::send_resume(&mut new, &token).await?;
    assert_eq!(recv_json(&mut new).await?["id"], "resumeResponse");
    let (code, reason) = close_frame(&mut old, Duration::from_secs(5)).await?;
    assert_eq!(code, 4001);
    assert!(reason.contains("resumed on another connection"), "{reason}");
    assert_eq!(bridge.counters.resumes("taken_over"), 1);
    assert_eq!(bridge.counters.live_sessions(), 1);
    assert!(!gateway.calls().contains(&Call::Stop {
        session: "session-1".into()
    }));

    send(&mut new, r#"{"id":"stop"}"#).await?;
    support::stop_reached(&gateway, "session-1", "Stop from the new socket").await?;
    new.close(None).await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}
