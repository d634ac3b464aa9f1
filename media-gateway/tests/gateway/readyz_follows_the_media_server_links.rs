//! /healthz answers 200 while the gateway serves; /readyz answers 200 only while a media server link is up,
//! and 503 with the reason when none is.

use crate::common::{Script, config, gateway_with_metrics, hello_world};
use crate::support::http::get;
use crate::support::peer::Peer;
use crate::support::{eventually_async, until_some};
use std::time::Duration;

#[tokio::test]
async fn readiness_needs_a_live_media_server() {
    let peer = Peer::with_handler("server-1", hello_world(Script::default())).await;
    let gw = gateway_with_metrics(config(vec![peer.uri()])).await;
    let metrics = gw.gateway.metrics_addr().expect("a metrics listener");

    let ready = eventually_async(Duration::from_secs(2), || async move {
        get(metrics, "/readyz").await.0 == 200
    })
    .await;
    assert!(ready, "never ready with the media server up");
    assert_eq!(get(metrics, "/healthz").await.0, 200);

    peer.kill().await;
    let unready = until_some(Duration::from_secs(2), || async move {
        let r = get(metrics, "/readyz").await;
        (r.0 == 503).then_some(r)
    })
    .await;
    let last = match unready {
        Some(r) => r,
        None => get(metrics, "/readyz").await,
    };
    assert_eq!(last.0, 503, "still ready with the media server gone");
    assert!(last.1.contains("no media server link is up"), "{}", last.1);
    // Alive all the same: restarting the gateway would not bring the media server back.
    assert_eq!(get(metrics, "/healthz").await.0, 200);
    assert_eq!(get(metrics, "/nothing-here").await.0, 404);
}
