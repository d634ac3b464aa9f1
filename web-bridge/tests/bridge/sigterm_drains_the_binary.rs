//! The real binary drains on SIGTERM (what `docker stop` sends): the open socket gets the tutorial's
//! `error` ("the server is shutting down") and a close, its call is stopped at the gateway, and the
//! process exits 0 within its grace period.

use crate::support::fake_gateway::{Call, FakeGateway};
use crate::support::{recv_json, send_start, stop_reached};
use std::time::Duration;
use test_support::process::Binary;
use test_support::wait::within;
use test_support::ws::closed;

const GRACE_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_calls_closes_sockets_and_exits() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let (uri, grace) = (gateway.uri(), GRACE_SECS.to_string());
    let mut bridge = Binary::start(
        env!("CARGO_BIN_EXE_web-bridge"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--plain-http",
            "--gateway",
            &uri,
            "--shutdown-grace-secs",
            &grace,
        ],
        "warn",
    )?;
    // "web-bridge: open http://127.0.0.1:PORT/ (media gateway ...)"
    let line = bridge.stdout_line(Duration::from_secs(30))?;
    let page = line
        .split_whitespace()
        .nth(2)
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .ok_or_else(|| anyhow::anyhow!("no page address in {line:?}"))?;
    let host = page.trim_start_matches("http://").trim_end_matches('/');
    let tcp = tokio::net::TcpStream::connect(host).await?;
    let (mut ws, _) =
        tokio_tungstenite::client_async(format!("ws://{host}/helloworld"), tcp).await?;
    send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    assert!(gateway.calls().contains(&Call::Start));

    bridge.terminate()?;

    // Server candidates may still be on their way; the drain's `error` follows them.
    let drained = loop {
        let message = recv_json(&mut ws).await?;
        if message["id"] == "error" {
            break message;
        }
        assert_eq!(message["id"], "iceCandidate", "{message}");
    };
    assert_eq!(drained["message"], "the server is shutting down");
    // The contract: the socket closes within the grace period (a close frame, or the stream ends).
    within(
        "the socket closes",
        Duration::from_secs(GRACE_SECS),
        closed(&mut ws),
    )
    .await;
    stop_reached(
        &gateway,
        "session-1",
        "the call to be stopped at the gateway",
    )
    .await?;
    // The contract: the process exits within its grace period (1 s of margin for process teardown).
    let status = bridge
        .exit_within(Duration::from_secs(GRACE_SECS + 1))
        .await
        .ok_or_else(|| anyhow::anyhow!("still running after the grace"))?;
    assert!(status.success(), "exit status {status}");
    Ok(())
}
