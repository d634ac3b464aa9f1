//! Against a KMS-shaped media server (no `iceRestart` in getInfo; a second processOffer is 40208),
//! Start says `capabilities.ice_restart = false` and RestartIce is FAILED_PRECONDITION with a sentence
//! that says what to do, without a second processOffer reaching the server. A server that lists the
//! capability but refuses the re-offer anyway gets the same code through the one error mapping.
//! Unknown sessions are NOT_FOUND and offers that are no ICE restart INVALID_ARGUMENT, as for KMS.

use crate::common::{self, Script, on_peer, what};
use media_proto::v1::media_session_client::MediaSessionClient;
use media_proto::v1::{RestartIceRequest, StartRequest};
use tonic::Code;
use tonic::transport::Channel;

/// `common::OFFER` with ICE credentials, as a browser's first offer and its restart carry them.
fn offer(ufrag: &str) -> String {
    format!(
        "{}a=ice-ufrag:{ufrag}\r\na=ice-pwd:{ufrag}{ufrag}{ufrag}{ufrag}{ufrag}\r\n",
        common::OFFER
    )
}

async fn restart(
    client: &mut MediaSessionClient<Channel>,
    id: &str,
    sdp: &str,
) -> Result<String, tonic::Status> {
    client
        .restart_ice(RestartIceRequest {
            session_id: id.to_owned(),
            sdp_offer: sdp.to_owned(),
        })
        .await
        .map(|r| r.into_inner().sdp_answer)
}

fn offers(peer: &crate::support::peer::Peer) -> usize {
    peer.received()
        .iter()
        .filter(|r| what(r) == "processOffer")
        .count()
}

#[tokio::test]
async fn kms_without_the_capability_is_failed_precondition() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let started = gw
        .client
        .start(StartRequest {
            sdp_offer: offer("aaaa"),
            wait_for_candidates: false,
        })
        .await
        .expect("Start")
        .into_inner();
    let caps = started.capabilities.expect("capabilities are always sent");
    assert!(!caps.ice_restart, "KMS 7.2 cannot restart ICE");
    let id = started.session_id;

    let e = restart(&mut gw.client, &id, &offer("bbbb"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(
        e.message().contains("cannot restart ICE") && e.message().contains("Start a new one"),
        "a sentence the caller can act on: {e:?}"
    );
    assert!(!e.message().contains("ws://"), "no internal address: {e:?}");
    assert_eq!(offers(&peer), 1, "no second processOffer reached KMS");

    // Checked before the capability: not an ICE restart at all.
    for bad in [offer("aaaa"), common::OFFER.to_owned(), String::new()] {
        let e = restart(&mut gw.client, &id, &bad).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{bad:?}: {e:?}");
    }
    let e = restart(
        &mut gw.client,
        "0123456789abcdef0123456789abcdef",
        &offer("cccc"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");

    // The session is untouched: it still stops normally.
    common::stop(&mut gw.client, &id).await;
    assert!(common::released(&peer).len() == 1);
}

#[tokio::test]
async fn a_refused_reoffer_is_failed_precondition_too() {
    let (mut gw, peer) = on_peer(Script {
        advertise_ice_restart: true,
        ..Script::default()
    })
    .await;
    let started = gw
        .client
        .start(StartRequest {
            sdp_offer: offer("aaaa"),
            wait_for_candidates: false,
        })
        .await
        .expect("Start")
        .into_inner();
    assert!(started.capabilities.is_some_and(|c| c.ice_restart));
    let e = restart(&mut gw.client, &started.session_id, &offer("bbbb"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("refused to renegotiate"), "{e:?}");
    assert_eq!(offers(&peer), 2);
    common::stop(&mut gw.client, &started.session_id).await;
}

#[tokio::test]
async fn a_server_that_renegotiates_answers_and_gathers_again() {
    let (mut gw, peer) = on_peer(Script {
        advertise_ice_restart: true,
        renegotiates: true,
        ..Script::default()
    })
    .await;
    let id = common::start_session(&mut gw.client, &offer("aaaa")).await;
    let answer = restart(&mut gw.client, &id, &offer("bbbb"))
        .await
        .expect("RestartIce");
    assert_eq!(answer, common::ANSWER);
    let ops: Vec<String> = peer.received().iter().map(what).collect();
    let last_offer = ops.iter().rposition(|w| w == "processOffer");
    let last_gather = ops.iter().rposition(|w| w == "gatherCandidates");
    assert!(
        last_offer.is_some() && last_gather > last_offer,
        "gatherCandidates follows the new processOffer: {ops:?}"
    );
    // The same credentials again are not a restart any more.
    let e = restart(&mut gw.client, &id, &offer("bbbb"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    common::stop(&mut gw.client, &id).await;
}
