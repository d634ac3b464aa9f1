//! Shutting the gateway down ends every stream with SessionEnded{SHUTDOWN}, releases every pipeline, stops
//! accepting calls and returns within the grace period.

mod common;
mod support;

use common::{OFFER, Script, on_peer, released};
use media_proto::v1::{EndReason, StartRequest, StreamCandidatesRequest, session_event::Event};
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;

#[tokio::test]
async fn shutdown_is_graceful_and_bounded() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let id = gw
        .client
        .start(StartRequest {
            sdp_offer: OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .expect("Start")
        .into_inner()
        .session_id;
    gw.client
        .start(StartRequest {
            sdp_offer: OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .expect("second Start");
    let mut stream = gw
        .client
        .stream_candidates(StreamCandidatesRequest { session_id: id })
        .await
        .expect("stream")
        .into_inner();

    let began = Instant::now();
    gw.shutdown.cancel();
    let last = tokio::time::timeout(Duration::from_secs(5), async {
        let mut last = None;
        while let Some(Ok(e)) = stream.next().await {
            last = e.event;
        }
        last
    })
    .await
    .expect("the stream ends");
    match last {
        Some(Event::Ended(e)) => assert_eq!(e.reason, EndReason::Shutdown as i32, "{e:?}"),
        other => panic!("expected SessionEnded, got {other:?}"),
    }
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
