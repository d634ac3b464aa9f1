//! The page's `restartIce` reaches the gateway's RestartIce for its own session: `startResponse` says
//! whether the session can restart ICE, the answer comes back as `restartIceResponse` before the server's
//! candidates for the new ICE session, and a session that cannot restart gets a clear error and goes on.
use crate::support;

use serde_json::json;

use crate::support::fake_gateway::{self, Call, FakeGateway, Options, RESTART_CANDIDATE};
use crate::support::{Bridge, recv_error, recv_json, send};

fn restart_message() -> String {
    let offer = format!(
        "{}a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword12\r\n",
        support::OFFER
    );
    json!({"id": "restartIce", "sdpOffer": offer}).to_string()
}

#[tokio::test]
async fn restart_ice_from_the_page() -> anyhow::Result<()> {
    let gateway = FakeGateway::start_with(Options {
        ice_restart: true,
        ..Options::default()
    })
    .await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, restart_message()).await?;
    let refused = recv_error(&mut ws).await?;
    assert!(refused.contains("send start first"), "{refused}");

    support::send_start(&mut ws).await?;
    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["iceRestart"], true, "{answer}");
    assert_eq!(recv_json(&mut ws).await?["id"], "iceCandidate");
    send(&mut ws, restart_message()).await?;
    let restarted = loop {
        let message = recv_json(&mut ws).await?;
        if message["id"] != "iceCandidate" {
            break message;
        }
    };
    assert_eq!(restarted["id"], "restartIceResponse", "{restarted}");
    assert!(
        restarted["sdpAnswer"]
            .as_str()
            .is_some_and(|a| a.contains(fake_gateway::RESTART_UFRAG)),
        "{restarted}"
    );
    assert!(gateway.calls().contains(&Call::RestartIce {
        session: "session-1".into(),
        ufrag: "new1".into(),
    }));
    let candidate = recv_json(&mut ws).await?;
    assert_eq!(candidate["candidate"]["candidate"], RESTART_CANDIDATE);
    ws.close(None).await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}

#[tokio::test]
async fn restart_ice_where_the_media_server_cannot() -> anyhow::Result<()> {
    let (gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    let answer = recv_json(&mut ws).await?;
    assert_eq!(answer["iceRestart"], false, "{answer}");
    send(&mut ws, restart_message()).await?;
    let refused = recv_error(&mut ws).await?;
    assert!(refused.starts_with("cannot restart ICE"), "{refused}");
    // The call goes on: its candidates still reach the gateway.
    send(&mut ws, support::candidate_json(5004)).await?;
    support::eventually("the candidate to reach session-1", || {
        gateway
            .calls()
            .iter()
            .any(|c| matches!(c, Call::AddIceCandidate { session, .. } if session == "session-1"))
    })
    .await?;
    ws.close(None).await?;
    support::nothing_open(&bridge, "counters back to zero").await?;
    bridge.stop().await
}
