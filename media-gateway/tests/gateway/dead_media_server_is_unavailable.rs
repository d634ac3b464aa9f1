//! With nothing listening at the media server's address, Start fails with UNAVAILABLE within 2 s, and the
//! message does not name the address (where the media servers are is for the gateway's log, not callers).

use crate::common;
use crate::support;

use media_proto::v1::StartRequest;
use std::time::Duration;

#[tokio::test]
async fn start_fails_fast_without_naming_the_address() {
    let uri = format!("ws://127.0.0.1:{}/kurento", support::closed_port());
    let mut gw = common::gateway(common::config(vec![uri.clone()])).await;
    // "UNAVAILABLE within 2 s" is the contract (the gateway's promise for a dead media server).
    let start = gw.client.start(StartRequest {
        sdp_offer: common::OFFER.into(),
        wait_for_candidates: false,
    });
    let e = support::within(
        "Start on a dead media server",
        Duration::from_secs(2),
        start,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unavailable, "{e:?}");
    assert!(
        !e.message().contains("127.0.0.1") && !e.message().contains("ws://"),
        "the message names an internal address: {}",
        e.message()
    );
    assert!(e.message().contains("unreachable"), "{}", e.message());
    assert_eq!(gw.gateway.sessions(), 0);
}
