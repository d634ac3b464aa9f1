//! The real binary drains on SIGTERM: the open stream ends with SessionEnded{SHUTDOWN}, the media server is
//! left with no pipeline, and the process exits 0 within its grace period.

use crate::common;

use crate::common::{CHROMIUM_OFFER, media_server, start_when_up};
use media_proto::v1::EndReason;
use media_proto::v1::media_session_client::MediaSessionClient;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const GRACE_SECS: u64 = 5;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_streams_releases_and_exits() {
    let server = media_server().await;
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_media-gateway"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--kms-uri",
                &server.url(),
                "--shutdown-grace-secs",
                &GRACE_SECS.to_string(),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the media-gateway binary"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    // "media-gateway listening on 127.0.0.1:P (gRPC), 127.0.0.1:Q (metrics), using ..."
    // Reads every line until the process exits, so the pipe stays open; the first one comes back.
    let (first, line) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(l)) = lines.next() {
            let _ = first.send(l);
        }
        lines.for_each(drop);
    });
    let line = tokio::time::timeout(Duration::from_secs(30), line)
        .await
        .expect("the binary says where it listens")
        .expect("a first stdout line");
    let grpc = line
        .split_whitespace()
        .nth(3)
        .expect("the gRPC address")
        .to_owned();
    assert!(grpc.starts_with("127.0.0.1:"), "{line}");

    let mut client = MediaSessionClient::connect(format!("http://{grpc}"))
        .await
        .expect("connect to the binary");
    let id = start_when_up(&mut client, CHROMIUM_OFFER).await.session_id;
    let mut stream = common::open_stream(&mut client, &id).await;
    assert_eq!(server.stats().pipelines, 1);

    let kill = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());

    common::assert_stream_ends_with(
        &mut stream,
        Duration::from_secs(GRACE_SECS),
        EndReason::Shutdown,
    )
    .await;

    // The contract: the process exits within its grace period (here with 1 s of margin). A real child
    // process, so real time: it is polled, not slept on.
    let status = crate::support::until_some(Duration::from_secs(GRACE_SECS + 1), || {
        std::future::ready(child.0.try_wait().expect("wait"))
    })
    .await
    .expect("still running after the grace");
    assert!(status.success(), "exit status {status}");
    assert_eq!(server.stats().pipelines, 0, "every pipeline released");
    server.shutdown().await.expect("media server stops");
}
