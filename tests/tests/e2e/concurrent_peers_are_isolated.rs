//! Several peers at once each get their own loopback: every peer gets back exactly its own media (the
//! payloads carry per-peer patterns, so a crossed stream would show as mismatches), and all are released.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_peers_are_isolated() -> anyhow::Result<()> {
    let gw = Gateway::start().await?;
    let runs = (0..5).map(|_| {
        let config = ProbeConfig {
            echo: EchoCheckConfig {
                duration: Duration::from_secs(2),
                ..Default::default()
            },
            ..Default::default()
        };
        media_probe::run(&gw.grpc_uri, config)
    });
    let reports = futures_util::future::join_all(runs).await;
    let mut ids = std::collections::HashSet::new();
    for report in reports {
        let report = report?;
        assert!(
            report.passed(),
            "{report}\nfailures: {:?}",
            report.failures()
        );
        assert_eq!(report.echo.mismatches, 0, "{report}");
        assert!(
            ids.insert(report.session_id.clone()),
            "session ids must differ"
        );
    }
    gw.assert_released().await?;
    gw.stop().await
}
