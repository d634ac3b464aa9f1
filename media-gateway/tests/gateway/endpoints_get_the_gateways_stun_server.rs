//! The gateway's STUN server reaches the media server as KMS takes it: each WebRtcEndpoint gets
//! `setStunServerAddress` and `setStunServerPort` right after its creation (inside the `transaction`
//! when there is one, else as plain calls before the subscriptions), so KMS, or our media server,
//! gathers its server-reflexive candidate with it. Without STUN servers nothing is set.

use crate::common::{OFFER, Script, on_peer_with, what};
use crate::support;
use media_gateway::IceServers;
use media_proto::v1::StartRequest;
use std::time::Duration;

fn with_stun(c: media_gateway::Config) -> media_gateway::Config {
    media_gateway::Config {
        ice_servers: IceServers {
            stun_urls: vec!["stun:192.0.2.9:3479".into()],
            ..IceServers::default()
        },
        ..c
    }
}

async fn operations(transactions: bool, stun: bool) -> Vec<serde_json::Value> {
    let script = Script {
        transactions,
        ..Script::default()
    };
    let (mut gw, peer) = if stun {
        on_peer_with(script, with_stun).await
    } else {
        on_peer_with(script, |c| c).await
    };
    gw.client
        .start(StartRequest {
            sdp_offer: OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .expect("Start");
    let gathering = || {
        peer.received()
            .iter()
            .any(|r| what(r) == "gatherCandidates")
    };
    assert!(support::eventually(Duration::from_secs(2), gathering).await);
    match peer.requests("transaction").first() {
        Some(tx) => tx["params"]["operations"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        None => peer.received(),
    }
}

#[tokio::test]
async fn endpoints_get_the_gateways_stun_server() {
    for transactions in [true, false] {
        let ops = operations(transactions, true).await;
        let names: Vec<String> = ops.iter().map(what).collect();
        let at = |name: &str| names.iter().position(|n| n == name);
        let (address, port) = (at("setStunServerAddress"), at("setStunServerPort"));
        assert!(address.is_some() && port.is_some(), "{names:?}");
        assert!(
            address < at("subscribe"),
            "set before the subscriptions: {names:?}"
        );
        let params = |i: Option<usize>| &ops[i.unwrap()]["params"]["operationParams"];
        assert_eq!(params(address)["stunServerAddress"], "192.0.2.9");
        assert_eq!(params(port)["stunServerPort"], 3479);
        if transactions {
            assert_eq!(ops[address.unwrap()]["params"]["object"], "newref:3");
        }
        let none = operations(transactions, false).await;
        assert!(
            !none.iter().any(|r| what(r).starts_with("setStun")),
            "{none:?}"
        );
    }
}
