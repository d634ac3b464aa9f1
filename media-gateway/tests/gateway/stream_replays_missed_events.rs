//! StreamCandidates replays what the session produced before the caller subscribed, then streams new
//! events, and ends with SessionEnded when the session is stopped. Several watchers may watch at once.

use crate::common;

use crate::common::{OFFER, Script, candidate_event, endpoint, on_peer};
use media_proto::v1::session_event::Event;
use media_proto::v1::{EndReason, SessionEvent, StopRequest, StreamCandidatesRequest};
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Streaming;

async fn next(s: &mut Streaming<SessionEvent>) -> Event {
    let item = tokio::time::timeout(Duration::from_secs(3), s.next())
        .await
        .expect("an event in time");
    item.expect("stream open")
        .expect("no error")
        .event
        .expect("event set")
}

fn candidate(e: &Event) -> &str {
    match e {
        Event::Candidate(c) => &c.candidate,
        other => panic!("expected a candidate, got {other:?}"),
    }
}

#[tokio::test]
async fn late_watchers_get_the_replay_then_live_events_then_the_end() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let ep = endpoint(&peer).expect("processOffer seen");
    let first = "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host";
    let second = "candidate:2 1 UDP 2015363327 127.0.0.1 40002 typ host";
    peer.push(candidate_event(&ep, first));
    peer.push(candidate_event(&ep, second));
    peer.emit(&ep, "IceGatheringDone");
    // Nobody watches yet; wait until the candidates have reached the session (operators see them
    // counted), so the stream below gets them as a replay.
    let admin = common::admin(&gw.gateway).await;
    let reached = crate::support::eventually_async(Duration::from_secs(2), || {
        let mut admin = admin.clone();
        async move {
            admin
                .list_sessions(media_proto::v1::ListSessionsRequest {})
                .await
                .is_ok_and(|r| {
                    r.into_inner()
                        .sessions
                        .iter()
                        .any(|s| s.candidates_to_caller == 2)
                })
        }
    })
    .await;
    assert!(reached, "the candidates never reached the session");

    let mut a = common::open_stream(&mut gw.client, &id).await;
    assert_eq!(candidate(&next(&mut a).await), first);
    assert_eq!(candidate(&next(&mut a).await), second);
    assert!(matches!(next(&mut a).await, Event::GatheringDone(_)));

    let mut b = gw
        .client
        .stream_candidates(StreamCandidatesRequest {
            session_id: id.clone(),
        })
        .await
        .expect("second stream")
        .into_inner();
    for _ in 0..3 {
        next(&mut b).await;
    }
    let third = "candidate:3 1 UDP 1 127.0.0.1 40004 typ host";
    peer.push(candidate_event(&ep, third));
    assert_eq!(candidate(&next(&mut a).await), third);
    assert_eq!(candidate(&next(&mut b).await), third);

    gw.client
        .stop(StopRequest { session_id: id })
        .await
        .expect("Stop");
    for s in [&mut a, &mut b] {
        match next(s).await {
            Event::Ended(e) => assert_eq!(e.reason, EndReason::Stopped as i32),
            other => panic!("expected SessionEnded, got {other:?}"),
        }
        let end = tokio::time::timeout(Duration::from_secs(2), s.next())
            .await
            .expect("closes");
        assert!(end.is_none(), "the stream closes after SessionEnded");
    }
}
