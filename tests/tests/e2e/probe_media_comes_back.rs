//! A Rust WebRTC peer uses the gateway's gRPC API as any backend would (Start, StreamCandidates, trickled
//! AddIceCandidate, Stop) against the embedded media server: its audio and video come back byte for byte,
//! and after Stop the media server itself reports no pipeline.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_media_comes_back() -> anyhow::Result<()> {
    let gw = Gateway::start().await?;
    let config = ProbeConfig {
        echo: EchoCheckConfig {
            duration: Duration::from_secs(2),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = media_probe::run(&gw.grpc_uri, config).await?;
    println!("{report}");
    assert!(
        report.passed(),
        "{report}\nfailures: {:?}",
        report.failures()
    );
    let echo = &report.echo;
    assert_eq!(echo.mismatches, 0);
    assert!(echo.audio.sent > 50 && echo.video.sent > 50, "{report}");
    // Loopback on 127.0.0.1 loses nothing once connected; allow the first frames before DTLS settles.
    assert!(echo.audio.echoed * 10 >= echo.audio.sent * 9, "{report}");
    assert!(echo.video.echoed * 10 >= echo.video.sent * 9, "{report}");
    let rtt = echo.rtt.as_ref().expect("round trips were measured");
    assert!(rtt.median < Duration::from_millis(200), "{report}");
    assert!(
        report.server_candidates > 0 && report.local_candidates_sent > 0,
        "{report}"
    );
    assert!(report.released, "{report}");
    gw.assert_released().await?;
    gw.stop().await
}
