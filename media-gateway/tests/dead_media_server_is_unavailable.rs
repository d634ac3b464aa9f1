//! With nothing listening at the media server's address, Start fails with UNAVAILABLE within 2 s, and the
//! message names the address.

mod common;
mod support;

use media_proto::v1::StartRequest;
use std::time::{Duration, Instant};

#[tokio::test]
async fn start_fails_fast_naming_the_address() {
    let uri = format!("ws://127.0.0.1:{}/kurento", support::closed_port());
    let mut gw = common::gateway(common::config(vec![uri.clone()])).await;
    let began = Instant::now();
    let e = gw
        .client
        .start(StartRequest {
            sdp_offer: common::OFFER.into(),
            wait_for_candidates: false,
        })
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "took {:?}",
        began.elapsed()
    );
    assert_eq!(e.code(), tonic::Code::Unavailable, "{e:?}");
    assert!(
        e.message().contains(&uri),
        "message should name {uri}: {}",
        e.message()
    );
    assert_eq!(gw.gateway.sessions(), 0);
}
