//! /healthz answers 200 while the gateway serves; /readyz answers 200 only while a media server link is up,
//! and 503 with the reason when none is.

mod common;
mod support;

use common::{Script, config, gateway_with_metrics, hello_world};
use std::time::Duration;
use support::http::get;
use support::peer::Peer;

#[tokio::test]
async fn readiness_needs_a_live_media_server() {
    let peer = Peer::with_handler("server-1", hello_world(Script::default())).await;
    let gw = gateway_with_metrics(config(vec![peer.uri()])).await;
    let metrics = gw.gateway.metrics_addr().expect("a metrics listener");

    let mut ready = false;
    for _ in 0..100 {
        if get(metrics, "/readyz").await.0 == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "never ready with the media server up");
    assert_eq!(get(metrics, "/healthz").await.0, 200);

    peer.kill().await;
    let mut last = (0, String::new());
    for _ in 0..100 {
        last = get(metrics, "/readyz").await;
        if last.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(last.0, 503, "still ready with the media server gone");
    assert!(last.1.contains("no media server link is up"), "{}", last.1);
    // Alive all the same: restarting the gateway would not bring the media server back.
    assert_eq!(get(metrics, "/healthz").await.0, 200);
    assert_eq!(get(metrics, "/nothing-here").await.0, 404);
}
