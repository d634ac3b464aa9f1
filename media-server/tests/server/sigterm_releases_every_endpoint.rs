//! The real binary drains on SIGTERM (what `docker stop` sends): the client's WebSocket is closed, every
//! pipeline and endpoint it held is released, and the process exits 0 within its grace period.

use crate::common::{call, connect};
use serde_json::json;
use std::time::Duration;
use test_support::process::Binary;
use test_support::wait::within;
use test_support::ws::closed;

const GRACE_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_connections_releases_and_exits() {
    let grace = GRACE_SECS.to_string();
    let mut server = Binary::start(
        env!("CARGO_BIN_EXE_media-server"),
        &["--listen", "127.0.0.1:0", "--shutdown-grace-secs", &grace],
        "info",
    )
    .expect("start the media-server binary");
    let url = server
        .stdout_line(Duration::from_secs(30))
        .expect("the binary prints its ws:// URL");
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");

    // A pipeline with a negotiated endpoint, as the gateway's Start leaves it.
    let mut ws = connect(&url).await.expect("connect");
    let pipeline = call(
        &mut ws,
        json!({"jsonrpc":"2.0","id":1,"method":"create","params":{"type":"MediaPipeline","constructorParams":{},"properties":{}}}),
    )
    .await
    .expect("create the pipeline");
    let session = pipeline["result"]["sessionId"].clone();
    let pipeline = pipeline["result"]["value"]
        .as_str()
        .expect("pipeline id")
        .to_owned();
    let endpoint = call(
        &mut ws,
        json!({"jsonrpc":"2.0","id":2,"method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":pipeline},"properties":{},"sessionId":session}}),
    )
    .await
    .expect("create the endpoint");
    let endpoint = endpoint["result"]["value"]
        .as_str()
        .expect("endpoint id")
        .to_owned();
    let answer = call(
        &mut ws,
        json!({"jsonrpc":"2.0","id":3,"method":"invoke","params":{"object":endpoint,"operation":"processOffer","operationParams":{"offer":test_support::CHROMIUM_OFFER},"sessionId":session}}),
    )
    .await
    .expect("negotiate");
    assert!(answer["result"]["value"].is_string(), "{answer}");

    server.terminate().expect("SIGTERM");

    // The contract: connections close within the grace period (a close frame, or the stream ends).
    within(
        "the WebSocket closes",
        Duration::from_secs(GRACE_SECS),
        closed(&mut ws),
    )
    .await;
    // The contract: the process exits within its grace period (1 s of margin for process teardown).
    let status = server
        .exit_within(Duration::from_secs(GRACE_SECS + 1))
        .await
        .expect("still running after the grace");
    assert!(status.success(), "exit status {status}");

    let logs = server.stderr_lines();
    let stopped = logs
        .iter()
        .find(|l| l.contains("media server stopped"))
        .unwrap_or_else(|| panic!("no shutdown line in {logs:#?}"));
    for field in [
        "released_pipelines=1",
        "released_endpoints=1",
        "pipelines_left=0",
        "endpoints_left=0",
    ] {
        assert!(stopped.contains(field), "{field} missing from {stopped:?}");
    }
}
