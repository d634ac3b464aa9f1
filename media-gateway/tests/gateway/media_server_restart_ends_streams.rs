//! When the media server restarts (a new serverId, or 40007 for the old Kurento session), every session on
//! it ends: its StreamCandidates streams get SessionEnded{MEDIA_SERVER_RESTARTED} naming the server, then
//! close, and the ids are gone.

use crate::common;

use crate::common::{OFFER, Script, hello_world, on_peer};
use crate::support::peer::Peer;
use media_proto::v1::{EndReason, StopRequest, session_event::Event};
use std::time::Duration;
use tokio_stream::StreamExt;

#[tokio::test]
async fn restart_ends_the_streams_with_a_reason() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let uri = peer.uri();
    let mut streams = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = common::start_session(&mut gw.client, OFFER).await;
        let s = common::open_stream(&mut gw.client, &id).await;
        streams.push(s);
        ids.push(id);
    }
    let port = peer.port();
    peer.kill().await;
    let _restarted = Peer::start_on(port, "server-2", Some(hello_world(Script::default()))).await;

    for mut s in streams {
        let last = tokio::time::timeout(Duration::from_secs(10), async {
            let mut last = None;
            while let Some(item) = s.next().await {
                last = Some(item.expect("no stream error"));
            }
            last
        })
        .await
        .expect("the stream ends");
        let Some(Event::Ended(ended)) = last.and_then(|e| e.event) else {
            panic!("the last event must be SessionEnded")
        };
        assert_eq!(
            ended.reason,
            EndReason::MediaServerRestarted as i32,
            "{ended:?}"
        );
        // The reason says what happened; where the media server is stays in the gateway's log.
        assert!(ended.message.contains("restarted"), "{ended:?}");
        assert!(!ended.message.contains(&uri), "{ended:?}");
    }
    assert_eq!(gw.gateway.sessions(), 0);
    for id in ids {
        let r = gw
            .client
            .stop(StopRequest { session_id: id })
            .await
            .expect("Stop of an ended session")
            .into_inner();
        assert!(!r.released);
    }
}
