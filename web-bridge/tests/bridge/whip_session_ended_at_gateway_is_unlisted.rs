//! A WHIP session the gateway ends on its own (here: another caller's Stop, as the lease or a lost media
//! server would) is unlisted: its resource answers 404, and the bridge holds no resource or session.
use media_proto::v1::StopRequest;
use media_proto::v1::media_session_client::MediaSessionClient;

use crate::support::fake_gateway::FakeGateway;
use crate::support::whip;
use crate::support::{Bridge, eventually};

#[tokio::test]
async fn whip_session_ended_at_gateway_is_unlisted() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let (location, _) = whip::created(bridge.addr).await?;
    eventually("the session to be watched", || {
        gateway
            .calls()
            .contains(&test_support::fake_gateway::Call::Stream {
                session: "session-1".into(),
            })
    })
    .await?;
    let mut client = MediaSessionClient::connect(gateway.uri()).await?;
    client
        .stop(StopRequest {
            session_id: "session-1".into(),
        })
        .await?;
    eventually("the resource to be unlisted", || {
        bridge.counters.whip_resources() == 0 && bridge.counters.live_sessions() == 0
    })
    .await?;
    assert_eq!(whip::delete(bridge.addr, &location, &[]).await?.status, 404);
    bridge.stop().await
}
