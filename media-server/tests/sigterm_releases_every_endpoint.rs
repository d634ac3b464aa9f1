//! The real binary drains on SIGTERM (what `docker stop` sends): the client's WebSocket is closed, every
//! pipeline and endpoint it held is released, and the process exits 0 within its grace period.

mod common;

use common::{call, chromium_offer, connect};
use futures_util::StreamExt;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const GRACE_SECS: u64 = 3;

/// Kills the child if the test fails before it exits on its own.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Lines of a child's pipe, read on a thread until the pipe closes (so the child never blocks on it).
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_connections_releases_and_exits() {
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_media-server"))
            .args(["--listen", "127.0.0.1:0", "--shutdown-grace-secs"])
            .arg(GRACE_SECS.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the media-server binary"),
    );
    let stdout = lines_of(child.0.stdout.take().expect("stdout"));
    let stderr = lines_of(child.0.stderr.take().expect("stderr"));
    let url = stdout
        .recv_timeout(Duration::from_secs(30))
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
        json!({"jsonrpc":"2.0","id":3,"method":"invoke","params":{"object":endpoint,"operation":"processOffer","operationParams":{"offer":chromium_offer().unwrap()},"sessionId":session}}),
    )
    .await
    .expect("negotiate");
    assert!(answer["result"]["value"].is_string(), "{answer}");

    let began = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());

    // The server closes the connection (a close frame or the end of the stream), within the grace.
    let closed = tokio::time::timeout(Duration::from_secs(GRACE_SECS), async {
        while let Some(Ok(frame)) = ws.next().await {
            if frame.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the WebSocket is still open after the grace"
    );

    // The contract is "exits within its grace"; one second more covers process start-up and teardown.
    let deadline = began + Duration::from_secs(GRACE_SECS + 1);
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "still running after the grace");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");

    let logs: Vec<String> = stderr.iter().collect();
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
