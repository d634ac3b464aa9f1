//! When one of several media servers goes away, only the sessions on it end (MEDIA_SERVER_LOST, naming
//! that server); sessions on the others keep working, and new Starts go to the survivors.

use crate::common;
use crate::support;

use crate::common::{CHROMIUM_OFFER, config, gateway_with_metrics, media_server, start_when_up};
use media_proto::v1::{
    AddIceCandidateRequest, EndReason, IceCandidate, ListSessionsRequest, StopRequest,
    session_event::Event,
};
use std::time::Duration;
use tokio_stream::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survivor_keeps_its_sessions_and_takes_new_ones() {
    let doomed = media_server().await;
    let survivor = media_server().await;
    let doomed_uri = doomed.url();
    let mut gw = gateway_with_metrics(media_gateway::Config {
        link_lost_grace: Duration::from_millis(500),
        ..config(vec![doomed.url(), survivor.url()])
    })
    .await;
    let both_up = support::eventually(Duration::from_secs(5), || {
        doomed.stats().sessions == 1 && survivor.stats().sessions == 1
    })
    .await;
    assert!(both_up, "the gateway did not connect to both media servers");
    common::wait_for_links_up(&gw.gateway, gw.gateway.kms_uris()).await;

    // One session on each server (equal loads take turns).
    let first = start_when_up(&mut gw.client, CHROMIUM_OFFER)
        .await
        .session_id;
    let second = start_when_up(&mut gw.client, CHROMIUM_OFFER)
        .await
        .session_id;
    assert_eq!(
        (doomed.stats().pipelines, survivor.stats().pipelines),
        (1, 1)
    );
    let mut admin = common::admin(&gw.gateway).await;
    let on_doomed = admin
        .list_sessions(ListSessionsRequest {})
        .await
        .expect("ListSessions")
        .into_inner()
        .sessions
        .into_iter()
        .find(|s| s.media_server_uri == doomed_uri)
        .expect("a session on the doomed server")
        .session_id;
    let on_survivor = if on_doomed == first { second } else { first };
    let mut lost_stream = common::open_stream(&mut gw.client, &on_doomed).await;
    let mut kept_stream = common::open_stream(&mut gw.client, &on_survivor).await;

    doomed.shutdown().await.expect("media server stops");

    let last = tokio::time::timeout(Duration::from_secs(10), async {
        let mut last = None;
        while let Some(item) = lost_stream.next().await {
            last = item.expect("no stream error").event;
        }
        last
    })
    .await
    .expect("the lost session's stream ends");
    let Some(Event::Ended(ended)) = last else {
        panic!("the last event must be SessionEnded, got {last:?}")
    };
    assert!(
        ended.reason == EndReason::MediaServerLost as i32
            || ended.reason == EndReason::MediaServerRestarted as i32,
        "{ended:?}"
    );
    assert!(
        !ended.message.contains(&doomed_uri),
        "an internal address reached the caller: {ended:?}"
    );

    // The other session is untouched: its stream stays open and it still takes candidates.
    while let Ok(Some(item)) =
        tokio::time::timeout(Duration::from_millis(200), kept_stream.next()).await
    {
        let event = item.expect("no stream error").event;
        assert!(
            !matches!(event, Some(Event::Ended(_))),
            "the survivor's session ended: {event:?}"
        );
    }
    gw.client
        .add_ice_candidate(AddIceCandidateRequest {
            session_id: on_survivor.clone(),
            candidate: Some(IceCandidate {
                candidate: "candidate:1 1 UDP 2122252543 127.0.0.1 50000 typ host".into(),
                sdp_mid: "0".into(),
                sdp_m_line_index: 0,
            }),
        })
        .await
        .expect("the survivor's session still takes candidates");

    // New sessions go to the survivor only.
    let third = start_when_up(&mut gw.client, CHROMIUM_OFFER)
        .await
        .session_id;
    assert_eq!(survivor.stats().pipelines, 2);
    for id in [on_survivor, third] {
        let r = gw
            .client
            .stop(StopRequest { session_id: id })
            .await
            .expect("Stop");
        assert!(r.into_inner().released);
    }
    assert_eq!(survivor.stats().pipelines, 0);
    assert_eq!(gw.gateway.sessions(), 0);
}
