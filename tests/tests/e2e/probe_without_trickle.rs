//! A caller that cannot trickle ICE asks Start to wait for the media server's candidates: the answer holds
//! them, the offer holds the caller's, no AddIceCandidate is sent, and media still comes back.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_without_trickle() -> anyhow::Result<()> {
    let gw = Gateway::start().await?;
    let config = ProbeConfig {
        trickle: false,
        echo: EchoCheckConfig {
            duration: Duration::from_secs(1),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = media_probe::run(&gw.grpc_uri, config).await?;
    assert!(
        report.passed(),
        "{report}\nfailures: {:?}",
        report.failures()
    );
    assert!(
        report.start.answer_candidates > 0,
        "the answer should hold candidates: {report}"
    );
    assert_eq!(report.local_candidates_sent, 0, "{report}");
    assert_eq!(report.echo.mismatches, 0);
    gw.assert_released().await?;
    gw.stop().await
}
