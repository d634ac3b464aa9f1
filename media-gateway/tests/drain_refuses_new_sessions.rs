//! Draining (the shutdown token, SIGTERM in the binary): health goes NOT_SERVING and /readyz 503 at once,
//! Start is refused with UNAVAILABLE "draining" while the port still answers, open streams end with
//! SessionEnded{SHUTDOWN}, every pipeline release is sent, and the gateway returns within the grace.

mod common;
mod support;

use common::{OFFER, Script, config, gateway_with_metrics, hello_world};
use media_proto::v1::{EndReason, StartRequest};
use std::time::{Duration, Instant};
use support::http::get;
use support::peer::Peer;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_refuses_then_ends_everything() {
    // The media server never answers release, so the drain stays open long enough to watch it.
    let script = Script {
        silent: vec!["release"],
        ..Script::default()
    };
    let peer = Peer::with_handler("server-1", hello_world(script)).await;
    // The unanswered release holds the drain open for the request timeout: room for the checks below even
    // on a loaded machine.
    let grace = Duration::from_secs(6);
    let mut gw = gateway_with_metrics(media_gateway::Config {
        shutdown_grace: grace,
        request_timeout: Duration::from_secs(4),
        ..config(vec![peer.uri()])
    })
    .await;
    let metrics = gw.gateway.metrics_addr().expect("a metrics listener");
    common::wait_for_link(&peer).await;
    let start = || StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    };
    let id = common::start_session(&mut gw.client, OFFER).await;
    let mut stream = common::open_stream(&mut gw.client, &id).await;
    assert_eq!(get(metrics, "/readyz").await.0, 200);
    let mut health = common::health_client(&gw.gateway).await;

    let began = Instant::now();
    gw.shutdown.cancel();

    let mut not_serving = false;
    for _ in 0..50 {
        let s = health
            .check(HealthCheckRequest {
                service: "mediasession.v1.MediaSession".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("health must answer while draining: {e:?}"))
            .into_inner()
            .status;
        if s == ServingStatus::NotServing as i32 {
            not_serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(not_serving, "health still SERVING while draining");
    let (status, body) = get(metrics, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("draining"), "{body}");
    let refused = gw
        .client
        .start(start())
        .await
        .expect_err("Start while draining");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("draining"), "{refused:?}");
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "checks ran too late to prove anything"
    );

    common::assert_stream_ends_with(&mut stream, grace, EndReason::Shutdown).await;
    assert_eq!(common::released(&peer).len(), 1, "the release was sent");
    tokio::time::timeout(grace + Duration::from_secs(1), gw.gateway.join())
        .await
        .expect("the gateway returns within the grace")
        .expect("clean exit");
    assert!(
        began.elapsed() < grace + Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );
}
