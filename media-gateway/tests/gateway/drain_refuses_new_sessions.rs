//! Draining (the shutdown token, SIGTERM in the binary): health goes NOT_SERVING and /readyz 503 at once,
//! Start is refused with UNAVAILABLE "draining" while the port still answers, open streams end with
//! SessionEnded{SHUTDOWN}, every pipeline release is sent, and the gateway returns within the grace.

use crate::common;

use crate::common::{OFFER, Script, config, gateway_with_metrics, hello_world};
use crate::support::http::get;
use crate::support::peer::Peer;
use crate::support::{eventually_async, within};
use media_proto::v1::{EndReason, StartRequest};
use std::time::Duration;
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
    common::wait_for_link(&gw.gateway, &peer).await;
    let start = || StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    };
    let id = common::start_session(&mut gw.client, OFFER).await;
    let mut stream = common::open_stream(&mut gw.client, &id).await;
    assert_eq!(get(metrics, "/readyz").await.0, 200);
    let health = common::health_client(&gw.gateway).await;

    gw.shutdown.cancel();
    // Watch the drain end from the start, so the checks below can prove they ran while it was going on.
    let joined = tokio::spawn(gw.gateway.join());

    let not_serving = eventually_async(Duration::from_millis(500), || {
        let mut health = health.clone();
        async move {
            let s = health
                .check(HealthCheckRequest {
                    service: "mediasession.v1.MediaSession".into(),
                })
                .await
                .unwrap_or_else(|e| panic!("health must answer while draining: {e:?}"))
                .into_inner()
                .status;
            s == ServingStatus::NotServing as i32
        }
    })
    .await;
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
        !joined.is_finished(),
        "checks ran after the drain ended: they prove nothing"
    );

    common::assert_stream_ends_with(&mut stream, grace, EndReason::Shutdown).await;
    // Sent, and (unanswered) retried by the link while the drain lasts: always the session's one pipeline.
    let released = common::released(&peer);
    assert!(!released.is_empty(), "the release was sent");
    assert!(
        released.iter().all(|p| *p == released[0]),
        "only the session's pipeline: {released:?}"
    );
    // The contract: the gateway returns within the grace (counted here from after the checks, which only
    // makes the bound looser), with 1 s of margin.
    within(
        "the gateway to return",
        grace + Duration::from_secs(1),
        joined,
    )
    .await
    .expect("the run task")
    .expect("clean exit");
}
