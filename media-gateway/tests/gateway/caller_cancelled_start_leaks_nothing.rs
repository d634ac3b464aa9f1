//! A Start whose caller goes away (tonic drops the handler) still releases what it created, and so does
//! one that outlives the gateway's Start deadline.

use crate::support;

use crate::common::{OFFER, Script, created, on_peer_with, released, what};
use media_proto::v1::StartRequest;
use std::time::Duration;

fn start() -> StartRequest {
    StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    }
}

#[tokio::test]
async fn cancelled_start_releases_its_pipeline() {
    // processOffer is never answered: the caller gives up while Start is in the middle of its work.
    let script = Script {
        silent: vec!["processOffer"],
        ..Script::default()
    };
    let (gw, peer) = on_peer_with(script, |c| c).await;
    let mut client = gw.client.clone();
    let call = tokio::spawn(async move { client.start(start()).await });
    let offered = || peer.received().iter().any(|r| what(r) == "processOffer");
    assert!(support::eventually(Duration::from_secs(2), offered).await);
    call.abort();
    assert_eq!(created(&peer, "MediaPipeline"), 1);
    // Released as the caller leaves, not when processOffer times out (request_timeout 2 s).
    let gone = support::eventually(Duration::from_secs(1), || released(&peer).len() == 1).await;
    assert!(gone, "pipeline leaked");
    assert!(support::eventually(Duration::from_secs(1), || gw.gateway.sessions() == 0).await);
}

#[tokio::test]
async fn start_past_its_deadline_is_deadline_exceeded_and_releases() {
    let script = Script {
        silent: vec!["processOffer"],
        ..Script::default()
    };
    let (mut gw, peer) = on_peer_with(script, |mut c| {
        c.start_timeout = Duration::from_millis(300);
        c
    })
    .await;
    let e = gw.client.start(start()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::DeadlineExceeded, "{e:?}");
    let gone = support::eventually(Duration::from_secs(5), || released(&peer).len() == 1).await;
    assert!(gone, "pipeline leaked");
    assert!(support::eventually(Duration::from_secs(1), || gw.gateway.sessions() == 0).await);
}
