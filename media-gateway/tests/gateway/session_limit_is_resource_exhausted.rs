//! Start beyond the gateway's session limit gets RESOURCE_EXHAUSTED without touching the media server;
//! stopping a session frees its slot.

use crate::common::{OFFER, Script, created, on_peer_with};
use media_proto::v1::{StartRequest, StopRequest};

#[tokio::test]
async fn the_limit_is_enforced_and_freed_by_stop() {
    let (mut gw, peer) = on_peer_with(Script::default(), |mut c| {
        c.max_sessions = 1;
        c
    })
    .await;
    let start = || StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    };
    let id = gw
        .client
        .start(start())
        .await
        .expect("first Start")
        .into_inner()
        .session_id;
    let e = gw.client.start(start()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    assert_eq!(created(&peer, "MediaPipeline"), 1);
    gw.client
        .stop(StopRequest { session_id: id })
        .await
        .expect("Stop");
    gw.client.start(start()).await.expect("Start after Stop");
}
