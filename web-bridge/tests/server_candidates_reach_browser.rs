//! Server candidates from StreamCandidates reach the browser after startResponse, shaped exactly as the
//! tutorial's server sent them.
mod support;

use support::fake_gateway::{FakeGateway, SERVER_CANDIDATE};
use support::{Bridge, OFFER, recv_json, send};

#[tokio::test]
async fn server_candidates_reach_browser() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(
        &mut ws,
        serde_json::json!({"id": "start", "sdpOffer": OFFER}).to_string(),
    )
    .await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    let candidate = recv_json(&mut ws).await?;
    assert_eq!(
        candidate,
        serde_json::json!({
            "id": "iceCandidate",
            "candidate": {
                "candidate": SERVER_CANDIDATE,
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "__module__": "kurento",
                "__type__": "IceCandidate",
            }
        })
    );
    bridge.stop().await
}
