//! GET /metrics reports what one browser did: the socket and session while open, each message by id, the
//! error it caused by kind, the Start latency and the gateway calls by method and code; the open gauges fall
//! back to zero once the socket is gone.
use crate::support;

use crate::support::{candidate_json, metrics, recv_error, recv_json, sample, send};

#[tokio::test]
async fn metrics_count_sockets_sessions_and_messages() -> anyhow::Result<()> {
    let (_gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    assert_eq!(recv_json(&mut ws).await?["id"], "iceCandidate");
    send(&mut ws, candidate_json(5000)).await?;
    send(&mut ws, "this is not JSON").await?;
    recv_error(&mut ws).await?;

    let text = metrics(bridge.addr).await?;
    assert_eq!(sample(&text, "web_bridge_websocket_connections_open"), 1.0);
    assert_eq!(sample(&text, "web_bridge_websocket_connections_total"), 1.0);
    assert_eq!(sample(&text, "web_bridge_gateway_sessions_open"), 1.0);
    assert_eq!(
        sample(&text, r#"web_bridge_browser_messages_total{type="start"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_browser_messages_total{type="onIceCandidate"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_browser_messages_total{type="invalid"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_browser_errors_total{kind="bad_message"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "web_bridge_start_duration_seconds_count"),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_start_duration_seconds_bucket{le="+Inf"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_gateway_calls_total{method="Start",code="OK"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_gateway_calls_total{method="StreamCandidates",code="OK"}"#
        ),
        1.0
    );

    ws.close(None).await?;
    support::nothing_open(&bridge, "the socket and session to be released").await?;
    let text = metrics(bridge.addr).await?;
    assert_eq!(sample(&text, "web_bridge_websocket_connections_open"), 0.0);
    assert_eq!(sample(&text, "web_bridge_gateway_sessions_open"), 0.0);
    assert_eq!(
        sample(
            &text,
            r#"web_bridge_gateway_calls_total{method="Stop",code="OK"}"#
        ),
        1.0
    );
    bridge.stop().await
}
