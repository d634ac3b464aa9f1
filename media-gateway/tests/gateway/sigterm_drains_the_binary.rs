//! The real binary drains on SIGTERM: the open stream ends with SessionEnded{SHUTDOWN}, the media server is
//! left with no pipeline, and the process exits 0 within its grace period.

use crate::common;

use crate::common::{CHROMIUM_OFFER, media_server, start_when_up};
use media_proto::v1::EndReason;
use media_proto::v1::media_session_client::MediaSessionClient;
use std::time::Duration;
use test_support::process::Binary;

const GRACE_SECS: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_streams_releases_and_exits() {
    let server = media_server().await;
    let grace = GRACE_SECS.to_string();
    let url = server.url();
    let mut gateway = Binary::start(
        env!("CARGO_BIN_EXE_media-gateway"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--kms-uri",
            &url,
            "--shutdown-grace-secs",
            &grace,
        ],
        "warn",
    )
    .expect("start the media-gateway binary");
    // "media-gateway listening on 127.0.0.1:P (gRPC), 127.0.0.1:Q (metrics), using ..."
    let line = gateway
        .stdout_line(Duration::from_secs(30))
        .expect("the binary says where it listens");
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

    gateway.terminate().expect("SIGTERM");

    common::assert_stream_ends_with(
        &mut stream,
        Duration::from_secs(GRACE_SECS),
        EndReason::Shutdown,
    )
    .await;

    // The contract: the process exits within its grace period (here with 1 s of margin). A real child
    // process, so real time: it is polled, not slept on.
    let status = gateway
        .exit_within(Duration::from_secs(GRACE_SECS + 1))
        .await
        .expect("still running after the grace");
    assert!(status.success(), "exit status {status}");
    assert_eq!(server.stats().pipelines, 0, "every pipeline released");
    server.shutdown().await.expect("media server stops");
}
