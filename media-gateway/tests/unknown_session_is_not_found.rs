//! Every call on an id the gateway never issued gets NOT_FOUND.

mod common;
mod support;

use common::{Script, on_peer};
use media_proto::v1::{AddIceCandidateRequest, IceCandidate, StopRequest, StreamCandidatesRequest};
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
    let c = IceCandidate {
        candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
        sdp_mid: "0".into(),
        sdp_m_line_index: 0,
    };
    let e = gw
        .client
        .add_ice_candidate(AddIceCandidateRequest {
            session_id: id.clone(),
            candidate: Some(c),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = gw
        .client
        .stream_candidates(StreamCandidatesRequest { session_id: id })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = gw
        .client
        .stop(StopRequest {
            session_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
}
