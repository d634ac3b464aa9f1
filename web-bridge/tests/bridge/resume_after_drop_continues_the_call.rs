//! A page whose socket drops without a close frame (the network broke) reconnects and resumes its call with
//! the token from `startResponse`: the same gateway session goes on (no second Start, no Stop), what the
//! gateway sent meanwhile is delivered on the new socket, candidates from the new socket reach the same
//! session, the token works once, and the resumed call ends as any call does.
use crate::support;

use crate::support::fake_gateway::Call;
use crate::support::{recv_error, recv_json, send};

const LATE_CANDIDATE: &str = "candidate:2 1 UDP 1845501695 198.51.100.7 40001 typ srflx";

#[tokio::test]
async fn resume_after_drop_continues_the_call() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["id"], "startResponse");
    let token = support::resume_token(&answer);
    assert_eq!(token.len(), 64, "{answer}");
    assert_eq!(answer["resumeWithinMs"], 30_000);
    assert_eq!(recv_json(&mut ws).await?["id"], "iceCandidate");

    // The TCP connection goes without a close frame, as when the browser's network goes.
    drop(ws);
    support::eventually("the call to be parked", || {
        bridge.counters.parked_calls() == 1 && bridge.counters.open_sockets() == 0
    })
    .await?;
    assert_eq!(bridge.counters.live_sessions(), 1);
    // The media server trickles a late candidate while the page has no socket: it waits in the call.
    assert!(gateway.push_candidate("session-1", LATE_CANDIDATE));

    let mut back = bridge.connect(None).await?;
    support::send_resume(&mut back, &token).await?;
    let resumed = recv_json(&mut back).await?;
    assert_eq!(resumed["id"], "resumeResponse", "{resumed}");
    let fresh = resumed["resumeToken"].as_str().unwrap_or_default();
    assert_eq!(fresh.len(), 64);
    assert_ne!(fresh, token, "a resumed call gets a fresh token");
    let late = recv_json(&mut back).await?;
    assert_eq!(late["id"], "iceCandidate");
    assert_eq!(late["candidate"]["candidate"], LATE_CANDIDATE);
    assert_eq!(bridge.counters.parked_calls(), 0);
    assert_eq!(bridge.counters.resumes("resumed"), 1);

    // The new socket feeds the same session.
    send(&mut back, support::candidate_json(5002)).await?;
    support::eventually("the candidate to reach session-1", || {
        gateway
            .calls()
            .iter()
            .any(|c| matches!(c, Call::AddIceCandidate { session, .. } if session == "session-1"))
    })
    .await?;

    // The used token is spent: another socket cannot take the call with it.
    let mut thief = bridge.connect(None).await?;
    support::send_resume(&mut thief, &token).await?;
    let refused = recv_error(&mut thief).await?;
    assert!(refused.contains("cannot resume"), "{refused}");
    drop(thief);

    let starts = gateway
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Start))
        .count();
    assert_eq!(starts, 1, "resuming must not start a second session");
    assert!(!gateway.calls().contains(&Call::Stop {
        session: "session-1".into()
    }));

    // A clean close (the tab closed) stops the resumed call at once.
    back.close(None).await?;
    support::stop_reached(
        &gateway,
        "session-1",
        "Stop after the resumed socket closed",
    )
    .await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}
