//! Every call on an id the gateway never issued gets NOT_FOUND; an id that is not even of the shape the
//! gateway issues gets INVALID_ARGUMENT, and is not echoed back.

use crate::common;

use crate::common::{Script, on_peer};
use media_proto::v1::{StopRequest, StreamCandidatesRequest};
use tonic::Code;

#[tokio::test]
async fn never_issued_ids_are_not_found() {
    let (mut gw, _peer) = on_peer(Script::default()).await;
    let id = "0123456789abcdef0123456789abcdef".to_owned();
    let e = gw
        .client
        .stop(StopRequest {
            session_id: id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert!(e.message().contains(&id), "{e:?}");
    let e = common::add_candidate(
        &mut gw.client,
        &id,
        "candidate:1 1 udp 1 127.0.0.1 9 typ host",
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = gw
        .client
        .stream_candidates(StreamCandidatesRequest { session_id: id })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    for bad in [String::new(), "x".repeat(10_000), "<script>".into()] {
        let e = gw
            .client
            .stop(StopRequest {
                session_id: bad.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert!(
            bad.is_empty() || !e.message().contains(&bad),
            "echoed: {e:?}"
        );
    }
}
