//! GET /metrics on the metrics listener is Prometheus text: gRPC calls by method and code (with latency),
//! sessions open and ended by reason, the media server links' state, and pipelines released.

use crate::common;

use crate::common::{OFFER, Script, config, gateway_with_metrics, hello_world};
use crate::support::http::get;
use crate::support::peer::Peer;
use media_proto::v1::StopRequest;

fn value(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(sample)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_describe_what_happened() {
    let peer = Peer::with_handler("server-1", hello_world(Script::default())).await;
    let mut gw = gateway_with_metrics(config(vec![peer.uri()])).await;
    let metrics = gw.gateway.metrics_addr().expect("a metrics listener");
    common::wait_for_link(&gw.gateway, &peer).await;

    let id = common::start_session(&mut gw.client, OFFER).await;
    let (_, during) = get(metrics, "/metrics").await;
    assert_eq!(
        value(&during, "media_gateway_sessions_open"),
        Some(1.0),
        "{during}"
    );
    gw.client
        .stop(StopRequest { session_id: id })
        .await
        .expect("Stop");
    let unknown = gw
        .client
        .stop(StopRequest {
            session_id: "00".repeat(16),
        })
        .await;
    assert_eq!(
        unknown.expect_err("unknown id").code(),
        tonic::Code::NotFound
    );

    let (status, text) = get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    let start = r#"method="mediasession.v1.MediaSession/Start",code="OK""#;
    let stop_ok = r#"method="mediasession.v1.MediaSession/Stop",code="OK""#;
    let stop_nf = r#"method="mediasession.v1.MediaSession/Stop",code="NOT_FOUND""#;
    for (sample, want) in [
        (format!("media_gateway_grpc_requests_total{{{start}}}"), 1.0),
        (
            format!("media_gateway_grpc_requests_total{{{stop_ok}}}"),
            1.0,
        ),
        (
            format!("media_gateway_grpc_requests_total{{{stop_nf}}}"),
            1.0,
        ),
        (
            format!("media_gateway_grpc_request_duration_seconds_count{{{start}}}"),
            1.0,
        ),
        ("media_gateway_sessions_open".to_owned(), 0.0),
        (
            r#"media_gateway_sessions_ended_total{reason="stopped"}"#.to_owned(),
            1.0,
        ),
        ("media_gateway_pipelines_released_total".to_owned(), 1.0),
        ("media_gateway_media_servers".to_owned(), 1.0),
        (
            format!(
                r#"media_gateway_media_server_link_state{{uri="{}",state="up"}}"#,
                peer.uri()
            ),
            1.0,
        ),
        (
            format!(
                r#"media_gateway_media_server_link_state{{uri="{}",state="down"}}"#,
                peer.uri()
            ),
            0.0,
        ),
        (
            format!(
                r#"media_gateway_media_server_sessions{{uri="{}"}}"#,
                peer.uri()
            ),
            0.0,
        ),
    ] {
        assert_eq!(value(&text, &sample), Some(want), "{sample} in:\n{text}");
    }
    let latency = value(
        &text,
        &format!("media_gateway_grpc_request_duration_seconds_sum{{{start}}}"),
    )
    .expect("a latency sum");
    assert!(latency > 0.0 && latency < 5.0, "{latency}");
    assert!(text.contains("# TYPE media_gateway_grpc_request_duration_seconds histogram"));
}
