//! Server candidates from StreamCandidates reach the browser after startResponse, shaped exactly as the
//! tutorial's server sent them.
use crate::support;

use crate::support::fake_gateway::SERVER_CANDIDATE;
use crate::support::recv_json;

#[tokio::test]
async fn server_candidates_reach_browser() -> anyhow::Result<()> {
    let (_gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
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
