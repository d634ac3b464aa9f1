//! Candidates the browser sends while Start is still running are held and reach the gateway, in order, once
//! Start returns (the tutorial stranded these).
use crate::support;

use crate::support::fake_gateway::Call;
use crate::support::{candidate_json, recv_json, send};

#[tokio::test]
async fn early_candidates_reach_gateway() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(true).await?;
    support::send_start(&mut ws).await?;
    for port in [5001, 5002, 5003] {
        send(&mut ws, candidate_json(port)).await?;
    }
    support::start_reached(&gateway).await?;
    gateway.release_start();

    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["id"], "startResponse");
    assert_eq!(answer["sdpAnswer"], "v=0\r\ns=answer-1\r\n");
    // A candidate after Start returned goes straight through, behind the early ones.
    send(&mut ws, candidate_json(5004)).await?;

    let expected: Vec<Call> = (5001..=5004)
        .map(|port| Call::AddIceCandidate {
            session: "session-1".into(),
            candidate: format!("candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host"),
        })
        .collect();
    support::eventually("all four candidates at the gateway", || {
        let added: Vec<Call> = gateway
            .calls()
            .into_iter()
            .filter(|c| matches!(c, Call::AddIceCandidate { .. }))
            .collect();
        added == expected
    })
    .await?;
    bridge.stop().await
}
