//! With no media server configured the gateway starts the embedded one on 127.0.0.1 and reaches it over
//! Kurento JSON-RPC: a real Chromium offer gets an answer, candidates and GatheringDone stream back, a
//! `wait_for_candidates` answer already holds candidates, and Stop releases.

use crate::common;

use media_proto::v1::session_event::Event;
use media_proto::v1::{StartRequest, StopRequest, StreamCandidatesRequest};
use std::time::Duration;
use tokio_stream::StreamExt;

use crate::common::CHROMIUM_OFFER;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_offer_is_answered_by_the_embedded_media_server() {
    let mut gw = common::gateway(common::config(Vec::new())).await;
    let uri = gw
        .gateway
        .kms_uris()
        .first()
        .cloned()
        .expect("an embedded media server");
    assert!(
        uri.starts_with("ws://127.0.0.1:") && uri.ends_with("/kurento"),
        "{uri}"
    );
    // The link connects on its own; Start fails fast (UNAVAILABLE) until it is up.
    let r = common::start_when_up(&mut gw.client, CHROMIUM_OFFER).await;
    assert!(r.sdp_answer.starts_with("v=0"), "{}", r.sdp_answer);
    assert!(r.sdp_answer.contains("m=video"), "{}", r.sdp_answer);

    let mut s = gw
        .client
        .stream_candidates(StreamCandidatesRequest {
            session_id: r.session_id.clone(),
        })
        .await
        .expect("stream")
        .into_inner();
    let (mut candidates, mut done) = (0, false);
    while !done {
        let item = tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("events in time");
        match item.expect("stream open").expect("no error").event {
            Some(Event::Candidate(c)) => {
                assert!(c.candidate.starts_with("candidate:"), "{c:?}");
                candidates += 1;
            }
            Some(Event::GatheringDone(_)) => done = true,
            Some(Event::Ended(e)) => panic!("ended early: {e:?}"),
            _ => {}
        }
    }
    assert!(candidates > 0, "the media server gathered no candidate");
    assert!(
        gw.client
            .stop(StopRequest {
                session_id: r.session_id
            })
            .await
            .expect("Stop")
            .into_inner()
            .released
    );

    let complete = gw
        .client
        .start(StartRequest {
            sdp_offer: CHROMIUM_OFFER.into(),
            wait_for_candidates: true,
        })
        .await
        .expect("Start waiting for candidates")
        .into_inner();
    assert!(
        complete.sdp_answer.contains("a=candidate:"),
        "{}",
        complete.sdp_answer
    );
    assert!(
        gw.client
            .stop(StopRequest {
                session_id: complete.session_id
            })
            .await
            .expect("Stop")
            .into_inner()
            .released
    );
    assert_eq!(gw.gateway.sessions(), 0);
    gw.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), gw.gateway.join())
        .await
        .expect("shuts down")
        .expect("clean");
}
