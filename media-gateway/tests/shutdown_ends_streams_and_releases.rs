//! Shutting the gateway down ends every stream with SessionEnded{SHUTDOWN}, releases every pipeline, stops
//! accepting calls and returns within the grace period.

mod common;
mod support;

use common::{OFFER, Script, on_peer, released};
use media_proto::v1::{EndReason, StartRequest};
use std::time::{Duration, Instant};

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

    let began = Instant::now();
    gw.shutdown.cancel();
    common::assert_stream_ends_with(&mut stream, Duration::from_secs(5), EndReason::Shutdown).await;
    tokio::time::timeout(Duration::from_secs(5), gw.gateway.join())
        .await
        .expect("run returns within the grace")
        .expect("clean exit");
    assert!(
        began.elapsed() < Duration::from_secs(4),
        "took {:?}",
        began.elapsed()
    );
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
