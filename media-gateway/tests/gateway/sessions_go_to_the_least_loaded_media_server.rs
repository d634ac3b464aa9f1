//! With several media servers, each new session goes to the live one holding the fewest sessions (not round
//! robin): after the sessions on one server stop, the next Starts all land on the emptied one.

use crate::common;
use crate::support;

use crate::common::{CHROMIUM_OFFER, config, gateway_with_metrics, media_server, start_when_up};
use media_proto::v1::{ListSessionsRequest, StopRequest};
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_sessions_fill_the_emptiest_server() {
    let a = media_server().await;
    let b = media_server().await;
    let mut gw = gateway_with_metrics(config(vec![a.url(), b.url()])).await;
    // Both links hold a Kurento session before the test places anything.
    let both_up = support::eventually(Duration::from_secs(5), || {
        a.stats().sessions == 1 && b.stats().sessions == 1
    })
    .await;
    assert!(both_up, "the gateway did not connect to both media servers");
    common::wait_for_links_up(&gw.gateway, gw.gateway.kms_uris()).await;

    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(
            start_when_up(&mut gw.client, CHROMIUM_OFFER)
                .await
                .session_id,
        );
    }
    assert_eq!((a.stats().pipelines, b.stats().pipelines), (2, 2));

    // Where each session lives, as operators see it.
    let mut admin = common::admin(&gw.gateway).await;
    let listed = admin
        .list_sessions(ListSessionsRequest {})
        .await
        .expect("ListSessions")
        .into_inner()
        .sessions;
    let placed: HashMap<String, String> = listed
        .into_iter()
        .map(|s| (s.session_id, s.media_server_uri))
        .collect();
    for id in ids.iter().filter(|id| placed[*id] == a.url()) {
        let r = gw
            .client
            .stop(StopRequest {
                session_id: id.clone(),
            })
            .await
            .expect("Stop");
        assert!(r.into_inner().released);
    }
    assert_eq!((a.stats().pipelines, b.stats().pipelines), (0, 2));

    // Round robin would split these two; least-loaded puts both on the emptied server.
    for _ in 0..2 {
        start_when_up(&mut gw.client, CHROMIUM_OFFER).await;
    }
    assert_eq!((a.stats().pipelines, b.stats().pipelines), (2, 2));

    gw.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), gw.gateway.join())
        .await
        .expect("shuts down")
        .expect("clean");
    assert_eq!((a.stats().pipelines, b.stats().pipelines), (0, 0));
}
