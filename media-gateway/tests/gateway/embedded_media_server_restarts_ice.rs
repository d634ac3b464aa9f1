//! Through the embedded media server: Start says `capabilities.ice_restart = true`; RestartIce with
//! Chromium's restarted offer answers with new ICE credentials on the same endpoint, the server's
//! candidates and GatheringDone stream again, and a later StreamCandidates replays only the new
//! ones; an offer that renames an m-line is FAILED_PRECONDITION (the server's 40208), and the
//! pipeline is released once on Stop.

use crate::common::{self, CHROMIUM_OFFER};
use media_proto::v1::RestartIceRequest;
use media_proto::v1::session_event::Event;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Code;

/// Reads `stream` until GatheringDone; the candidates seen.
async fn candidates_until_done(
    stream: &mut tonic::Streaming<media_proto::v1::SessionEvent>,
) -> Vec<String> {
    let mut found = Vec::new();
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("events in time")
            .expect("stream open")
            .expect("no error");
        match item.event {
            Some(Event::Candidate(c)) => found.push(c.candidate),
            Some(Event::GatheringDone(_)) => return found,
            Some(Event::Ended(e)) => panic!("ended early: {e:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_ice_is_answered_with_new_credentials() {
    let mut gw = common::gateway(common::config(Vec::new())).await;
    let started = common::start_when_up(&mut gw.client, CHROMIUM_OFFER).await;
    assert!(started.capabilities.is_some_and(|c| c.ice_restart));
    let id = started.session_id;
    let mut stream = common::open_stream(&mut gw.client, &id).await;
    let first = candidates_until_done(&mut stream).await;
    assert!(!first.is_empty());

    let restarted = test_support::chromium_offer_restarted(1);
    let answer = gw
        .client
        .restart_ice(RestartIceRequest {
            session_id: id.clone(),
            sdp_offer: restarted.clone(),
        })
        .await
        .expect("RestartIce")
        .into_inner()
        .sdp_answer;
    let (old, new) = (
        test_support::ice_ufrag(&started.sdp_answer),
        test_support::ice_ufrag(&answer),
    );
    assert!(
        new.is_some() && new != old,
        "new credentials: {old:?} → {new:?}"
    );
    assert!(
        answer.contains("a=candidate:"),
        "the answer holds the candidates: {answer}"
    );
    let again = candidates_until_done(&mut stream).await;
    assert!(
        !again.is_empty(),
        "candidates follow the restart on the open stream"
    );

    let mut late = common::open_stream(&mut gw.client, &id).await;
    let replayed = candidates_until_done(&mut late).await;
    assert_eq!(
        replayed, again,
        "a later stream replays only the new ICE session's candidates"
    );

    let renamed = test_support::chromium_offer_restarted(2).replace("a=mid:1", "a=mid:v");
    let e = gw
        .client
        .restart_ice(RestartIceRequest {
            session_id: id.clone(),
            sdp_offer: renamed,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let e = gw
        .client
        .restart_ice(RestartIceRequest {
            session_id: id.clone(),
            sdp_offer: restarted,
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::InvalidArgument,
        "the same credentials again: {e:?}"
    );
    common::stop(&mut gw.client, &id).await;
}
