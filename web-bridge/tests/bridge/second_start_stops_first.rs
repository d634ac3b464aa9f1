//! A second `start` on one socket stops the first session instead of leaking it.
use crate::support;

use crate::support::fake_gateway::Call;
use crate::support::{recv_json, send};

#[tokio::test]
async fn second_start_stops_first() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    let start = support::start_message();
    send(&mut ws, start.clone()).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    send(&mut ws, start).await?;
    // Skip the first session's candidate, if it comes first.
    let answer = loop {
        let v = recv_json(&mut ws).await?;
        if v["id"] == "startResponse" {
            break v;
        }
    };
    assert_eq!(answer["sdpAnswer"], "v=0\r\ns=answer-2\r\n");
    assert!(
        gateway.calls().contains(&Call::Stop {
            session: "session-1".into()
        }),
        "{:?}",
        gateway.calls()
    );
    assert_eq!(bridge.counters.live_sessions(), 1);
    bridge.stop().await?;
    assert_eq!(
        gateway.calls().last(),
        Some(&Call::Stop {
            session: "session-2".into()
        }),
        "shutdown stops the rest"
    );
    Ok(())
}
