//! With a gateway token, every call carries `authorization: Bearer <token>` and a gateway that demands it
//! accepts the session; without it, the page gets a sentence saying the service is misconfigured (the
//! credentials detail goes to the log).
use crate::support;

use crate::support::fake_gateway::{Call, FakeGateway, Options};
use crate::support::{Bridge, candidate_json, recv_error, recv_json, send};
use web_bridge::GatewayToken;

#[tokio::test]
async fn gateway_token_is_sent() -> anyhow::Result<()> {
    let gateway = FakeGateway::start_with(Options {
        token: Some("s3cret-token".into()),
        ..Options::default()
    })
    .await?;
    let start = support::start_message();

    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.gateway_token = Some(GatewayToken::new("s3cret-token"));
    })
    .await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, start.clone()).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    assert_eq!(recv_json(&mut ws).await?["id"], "iceCandidate");
    send(&mut ws, candidate_json(5000)).await?;
    send(&mut ws, r#"{"id":"stop"}"#).await?;
    support::eventually("candidate and Stop to pass the token check", || {
        let calls = gateway.calls();
        calls
            .iter()
            .any(|c| matches!(c, Call::AddIceCandidate { .. }))
            && calls.contains(&Call::Stop {
                session: "session-1".into(),
            })
    })
    .await?;
    bridge.stop().await?;

    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let mut ws = bridge.connect(None).await?;
    send(&mut ws, start).await?;
    let text = recv_error(&mut ws).await?;
    // The browser learns the service is misconfigured; the flag to fix is for the operator's log only.
    assert!(text.contains("misconfigured"), "{text}");
    assert!(!text.contains("--gateway-token"), "{text}");
    bridge.stop().await
}
