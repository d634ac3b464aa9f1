//! Start batches create/mark/subscribe/connect in one `transaction` when the media server advertises the
//! `transactions` capability, and makes plain calls, in the documented order, when it does not.

use crate::common;
use crate::support;

use crate::common::{OFFER, Script, on_peer, what};
use media_proto::v1::StartRequest;
use std::time::Duration;

fn start(offer: &str) -> StartRequest {
    StartRequest {
        sdp_offer: offer.into(),
        wait_for_candidates: false,
    }
}

/// What the gateway asks on its own: the link's getInfo, reconciliation's listing and tag reads.
fn link_traffic(operation: &str) -> bool {
    matches!(operation, "getInfo" | "getPipelines" | "getTags")
}

#[tokio::test]
async fn one_transaction_when_advertised() {
    let (mut gw, peer) = on_peer(Script {
        transactions: true,
        ..Script::default()
    })
    .await;
    let r = gw
        .client
        .start(start(OFFER))
        .await
        .expect("Start")
        .into_inner();
    let gathering = || {
        peer.received()
            .iter()
            .any(|r| what(r) == "gatherCandidates")
    };
    assert!(support::eventually(Duration::from_secs(2), gathering).await);
    assert_eq!(r.session_id.len(), 32);
    assert_eq!(r.sdp_answer, common::ANSWER);

    let tx = peer.requests("transaction");
    assert_eq!(tx.len(), 1, "exactly one transaction");
    let ops: Vec<String> = tx[0]["params"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(what)
        .collect();
    // The pipeline is marked with its owner inside the same transaction, before anything else.
    assert_eq!(ops[..4], ["create", "addTag", "addTag", "create"]);
    let tag = |i: usize| &tx[0]["params"]["operations"][i]["params"]["operationParams"];
    assert_eq!(tag(1)["key"], "media-gateway.instance");
    assert_eq!(tag(2)["key"], "media-gateway.session");
    assert_eq!(tag(2)["value"], r.session_id.as_str());
    assert_eq!(
        tx[0]["params"]["operations"][1]["params"]["object"],
        "newref:0"
    );
    assert_eq!(ops.iter().filter(|o| *o == "subscribe").count(), 10);
    assert_eq!(ops.last().map(String::as_str), Some("connect"));
    assert_eq!(
        tx[0]["params"]["operations"][3]["params"]["constructorParams"]["mediaPipeline"],
        "newref:0"
    );
    assert!(
        peer.requests("create").is_empty(),
        "no create outside the transaction"
    );
    let after: Vec<String> = peer
        .requests("invoke")
        .iter()
        .map(what)
        .filter(|w| !link_traffic(w))
        .collect();
    assert_eq!(after[..2], ["processOffer", "gatherCandidates"]);
}

#[tokio::test]
async fn plain_calls_in_order_when_not_advertised() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    gw.client.start(start(OFFER)).await.expect("Start");
    // Start answers once gatherCandidates is on its way; wait until it has arrived.
    let gathering = || {
        peer.received()
            .iter()
            .any(|r| what(r) == "gatherCandidates")
    };
    assert!(support::eventually(Duration::from_secs(2), gathering).await);
    assert!(peer.requests("transaction").is_empty());
    let calls: Vec<String> = peer
        .received()
        .iter()
        // The link's own traffic (session set-up and keep-alive) is not part of Start.
        .filter(|r| {
            !matches!(
                r["method"].as_str(),
                Some("ping" | "describe" | "connect") | None
            )
        })
        .map(what)
        .filter(|w| !link_traffic(w))
        .collect();
    let subs = calls.iter().filter(|c| *c == "subscribe").count();
    assert_eq!(
        subs, 10,
        "nine endpoint events and the pipeline's Error: {calls:?}"
    );
    assert_eq!(calls[..4], ["create", "addTag", "addTag", "create"]);
    assert_eq!(
        calls[4 + subs..4 + subs + 3],
        ["connect", "processOffer", "gatherCandidates"],
        "{calls:?}"
    );
}
