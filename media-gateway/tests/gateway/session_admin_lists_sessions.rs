//! SessionAdmin.ListSessions shows operators every live session: id, age, ICE state, media flow per
//! direction and kind, its media server, and the candidates exchanged each way.

use crate::common;

use crate::common::{OFFER, Script, candidate_event, endpoint, on_peer};
use media_proto::v1::{
    AddIceCandidateRequest, FlowDirection, IceCandidate, IceState, ListSessionsRequest, MediaKind,
    SessionSummary, StopRequest,
};
use serde_json::json;
use std::time::Duration;

fn event(endpoint: &str, kind: &str, fields: serde_json::Value) -> String {
    let mut data =
        json!({"source": endpoint, "tags": [], "timestampMillis": "1730000000123", "type": kind});
    if let (Some(d), Some(f)) = (data.as_object_mut(), fields.as_object()) {
        d.extend(f.clone());
    }
    json!({"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data": data,"object": endpoint,"type": kind}}})
        .to_string()
}

#[tokio::test]
async fn operators_see_each_session() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let mut admin = common::admin(&gw.gateway).await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    for port in [50000, 50001] {
        common::add_candidate(
            &mut gw.client,
            &id,
            format!("candidate:1 1 UDP 2122252543 127.0.0.1 {port} typ host"),
        )
        .await
        .expect("AddIceCandidate");
    }
    // End-of-candidates is not a candidate.
    gw.client
        .add_ice_candidate(AddIceCandidateRequest {
            session_id: id.clone(),
            candidate: Some(IceCandidate::default()),
        })
        .await
        .expect("end-of-candidates");
    let ep = endpoint(&peer).expect("the endpoint the gateway negotiated on");
    peer.push(candidate_event(
        &ep,
        "candidate:7 1 UDP 2015363327 127.0.0.1 40000 typ host",
    ));
    peer.push(event(
        &ep,
        "IceComponentStateChanged",
        json!({"streamId": 1, "componentId": 1, "state": "CONNECTED"}),
    ));
    peer.push(event(
        &ep,
        "MediaFlowInStateChanged",
        json!({"mediaType": "VIDEO", "padName": "default", "state": "FLOWING"}),
    ));

    let listing = || {
        let mut admin = admin.clone();
        async move {
            let mut sessions = admin
                .list_sessions(ListSessionsRequest {})
                .await
                .expect("ListSessions")
                .into_inner()
                .sessions;
            assert_eq!(sessions.len(), 1);
            sessions.remove(0)
        }
    };
    // Wait until the events have been seen; if they never are, the assertions below say what is missing.
    let listing = &listing;
    let done = crate::support::until_some(Duration::from_secs(2), || async move {
        let s: SessionSummary = listing().await;
        (!s.media_flows.is_empty() && s.candidates_to_caller == 1).then_some(s)
    })
    .await;
    let s = match done {
        Some(s) => s,
        None => listing().await,
    };
    assert_eq!(s.session_id, id);
    assert!(s.age_ms < 10_000, "{s:?}");
    assert_eq!(s.ice_state, IceState::Connected as i32, "{s:?}");
    assert_eq!(s.media_flows.len(), 1, "{s:?}");
    assert_eq!(s.media_flows[0].direction, FlowDirection::In as i32);
    assert_eq!(s.media_flows[0].kind, MediaKind::Video as i32);
    assert!(s.media_flows[0].flowing);
    assert_eq!(s.media_server_uri, peer.uri());
    assert_eq!(s.candidates_from_caller, 2, "{s:?}");
    assert_eq!(s.candidates_to_caller, 1, "{s:?}");
    assert!(s.ready, "{s:?}");

    gw.client
        .stop(StopRequest { session_id: id })
        .await
        .expect("Stop");
    let after = admin
        .list_sessions(ListSessionsRequest {})
        .await
        .expect("ListSessions")
        .into_inner()
        .sessions;
    assert!(after.is_empty(), "ended sessions are not listed: {after:?}");
}
