//! A media server error in the middle of Start releases the pipeline already created, with plain calls and
//! inside a transaction, and leaves no session behind; SDP errors come back as INVALID_ARGUMENT.

use crate::support;

use crate::common::{OFFER, Script, created, on_peer, released};
use media_proto::v1::StartRequest;
use std::time::Duration;
use tonic::Code;

fn start() -> StartRequest {
    StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    }
}

async fn check(script: Script, code: Code) {
    let (mut gw, peer) = on_peer(script).await;
    let e = gw.client.start(start()).await.unwrap_err();
    assert_eq!(e.code(), code, "{e:?}");
    assert!(
        !e.message().contains("scripted"),
        "media server wording stays in the log: {}",
        e.message()
    );
    assert_eq!(created(&peer, "MediaPipeline"), 1);
    let gone = support::eventually(Duration::from_secs(2), || released(&peer).len() == 1).await;
    assert!(
        gone,
        "the created pipeline must be released: {:?}",
        released(&peer)
    );
    assert!(released(&peer)[0].ends_with("_kurento.MediaPipeline"));
    assert_eq!(gw.gateway.sessions(), 0);
}

#[tokio::test]
async fn endpoint_creation_fails_with_plain_calls() {
    let fail = Some(("subscribe", 40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED"));
    check(
        Script {
            fail,
            ..Script::default()
        },
        Code::Internal,
    )
    .await;
}

#[tokio::test]
async fn an_operation_fails_inside_the_transaction() {
    let fail = Some(("connect", 40004, "CONNECT_ERROR"));
    check(
        Script {
            transactions: true,
            fail,
            ..Script::default()
        },
        Code::Internal,
    )
    .await;
}

#[tokio::test]
async fn unparsable_offer_is_invalid_argument() {
    let fail = Some(("processOffer", 40201, "SDP_PARSE_ERROR"));
    let (mut gw, peer) = on_peer(Script {
        fail,
        ..Script::default()
    })
    .await;
    let e = gw.client.start(start()).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(support::eventually(Duration::from_secs(2), || released(&peer).len() == 1).await);
}

#[tokio::test]
async fn unnegotiable_offer_is_invalid_argument() {
    let fail = Some(("processOffer", 40205, "SDP_END_POINT_PROCESS_OFFER_ERROR"));
    let (mut gw, peer) = on_peer(Script {
        transactions: true,
        fail,
        ..Script::default()
    })
    .await;
    let e = gw.client.start(start()).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(support::eventually(Duration::from_secs(2), || released(&peer).len() == 1).await);
}

#[tokio::test]
async fn empty_offer_is_refused_before_any_media_server_call() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let e = gw
        .client
        .start(StartRequest {
            sdp_offer: " ".into(),
            wait_for_candidates: false,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(created(&peer, "MediaPipeline"), 0);
}
