//! Stop releases the pipeline once; stopping again succeeds with `released = false`, and the id is then
//! unknown to AddIceCandidate and StreamCandidates.

use crate::common;

use crate::common::{OFFER, Script, on_peer, released};
use media_proto::v1::{StopRequest, StreamCandidatesRequest};

#[tokio::test]
async fn stop_twice_is_fine() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    assert_eq!(gw.gateway.sessions(), 1);

    let first = gw
        .client
        .stop(StopRequest {
            session_id: id.clone(),
        })
        .await
        .expect("Stop")
        .into_inner();
    assert!(first.released);
    let pipelines = released(&peer);
    assert_eq!(
        pipelines.len(),
        1,
        "the pipeline release was sent before Stop answered"
    );
    assert!(pipelines[0].ends_with("_kurento.MediaPipeline"));
    assert_eq!(gw.gateway.sessions(), 0);

    let second = gw
        .client
        .stop(StopRequest {
            session_id: id.clone(),
        })
        .await
        .expect("second Stop")
        .into_inner();
    assert!(!second.released);
    assert_eq!(released(&peer).len(), 1, "released exactly once");

    let e = common::add_candidate(&mut gw.client, &id, String::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    let e = gw
        .client
        .stream_candidates(StreamCandidatesRequest { session_id: id })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
}
