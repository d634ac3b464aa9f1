//! Shutting the gateway down ends every stream with SessionEnded{SHUTDOWN}, releases every pipeline, stops
//! accepting calls and returns within the grace period.

use crate::common;

use crate::common::{OFFER, Script, on_peer, released};
use crate::support::within;
use media_proto::v1::{EndReason, StartRequest};
use std::time::Duration;

#[tokio::test]
async fn shutdown_is_graceful_and_bounded() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    gw.client
        .start(StartRequest {
            sdp_offer: OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .expect("second Start");
    let mut stream = common::open_stream(&mut gw.client, &id).await;

    gw.shutdown.cancel();
    // The contract: everything ends within the grace period (3 s in the test config), here with 1 s of
    // margin.
    within("shutdown", Duration::from_secs(4), async {
        common::assert_stream_ends_with(&mut stream, Duration::from_secs(5), EndReason::Shutdown)
            .await;
        gw.gateway.join().await.expect("clean exit");
    })
    .await;
    assert_eq!(released(&peer).len(), 2, "every pipeline released");
    let after = gw
        .client
        .start(StartRequest {
            sdp_offer: OFFER.into(),
            wait_for_candidates: false,
        })
        .await;
    assert!(after.is_err(), "no more calls after shutdown");
}
