//! Candidates that arrive before the endpoint is ready (gatherCandidates not yet answered) are queued and
//! reach the media server's addIceCandidate afterwards, in the order they were sent; an empty candidate
//! (end-of-candidates) is accepted and not forwarded.

use crate::common;
use crate::support;

use crate::common::{OFFER, Script, on_peer, what};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn early_candidates_reach_add_ice_candidate_in_order() {
    let (mut gw, peer) = on_peer(Script {
        silent: vec!["gatherCandidates"],
        ..Script::default()
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let gathering = || {
        peer.received()
            .iter()
            .any(|r| what(r) == "gatherCandidates")
    };
    assert!(support::eventually(Duration::from_secs(2), gathering).await);

    let lines: Vec<String> = (1..=3)
        .map(|i| format!("candidate:{i} 1 udp 2122260223 127.0.0.1 5440{i} typ host"))
        .collect();
    for line in lines.iter().map(String::as_str).chain([""]) {
        common::add_candidate(&mut gw.client, &id, line)
            .await
            .expect("queued");
    }
    // An absence (nothing is forwarded early), so there is no condition to wait for: give a wrong
    // forward the time to show.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let added = || {
        peer.received()
            .into_iter()
            .filter(|r| what(r) == "addIceCandidate")
            .collect::<Vec<_>>()
    };
    assert!(
        added().is_empty(),
        "nothing may reach the endpoint before gatherCandidates returns"
    );

    // Now the media server answers gatherCandidates.
    let gather = peer
        .received()
        .into_iter()
        .find(|r| what(r) == "gatherCandidates")
        .expect("gatherCandidates");
    peer.push(json!({"id": gather["id"], "jsonrpc":"2.0", "result": {"sessionId": gather["params"]["sessionId"], "value": null}}).to_string());
    assert!(
        support::eventually(Duration::from_secs(2), || added().len() >= 3).await,
        "queued candidates flushed"
    );
    // An absence again: no fourth addIceCandidate (for the end-of-candidates marker) follows.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent: Vec<String> = added()
        .iter()
        .map(|r| {
            r["params"]["operationParams"]["candidate"]["candidate"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        sent, lines,
        "in order, and the end-of-candidates marker is not forwarded"
    );

    // Later candidates go straight through.
    common::add_candidate(
        &mut gw.client,
        &id,
        "candidate:9 1 udp 1 127.0.0.1 9 typ host",
    )
    .await
    .expect("added");
    assert_eq!(added().len(), 4);
}
