//! The probe asks the gateway for the session's stats at the end of its echo window, and the embedded
//! media server's view agrees with the probe's: for each kind it received about what the probe sent and
//! sent back about what the probe got, under the codec the probe offered.

use e2e_tests::Gateway;
use media_probe::{EchoCheckConfig, ProbeConfig, ServerStream};
use media_proto::v1::{FlowDirection, MediaKind};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reports_server_stats() -> anyhow::Result<()> {
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
    assert!(report.passed(), "{report}");
    let streams = match &report.server_stats {
        Some(Ok(streams)) => streams,
        other => anyhow::bail!("no server stats: {other:?}\n{report}"),
    };
    let find = |kind: MediaKind, direction: FlowDirection| -> anyhow::Result<&ServerStream> {
        streams
            .iter()
            .find(|s| s.kind == kind && s.direction == direction)
            .ok_or_else(|| anyhow::anyhow!("no {kind:?} {direction:?} stream:\n{report}"))
    };
    for (kind, codec, probe) in [
        (MediaKind::Audio, "audio/opus", &report.echo.audio),
        (MediaKind::Video, "video/vp8", &report.echo.video),
    ] {
        let inbound = find(kind, FlowDirection::In)?;
        // Every frame is one RTP packet; after the 1 s drain the server's 1 s stats have counted them
        // all, and loopback loses none, so 80% leaves room for a late stats tick only.
        assert!(inbound.packets > 0, "{report}");
        assert!(
            inbound.packets * 10 >= probe.sent * 8,
            "{kind:?} in:\n{report}"
        );
        assert!(
            inbound.bytes > inbound.packets * 20,
            "{kind:?} in:\n{report}"
        );
        assert_eq!(inbound.codec.to_lowercase(), codec, "{report}");
        assert_eq!(report.probe_count(inbound), Some(probe.sent));
        let outbound = find(kind, FlowDirection::Out)?;
        assert!(
            outbound.packets * 10 >= probe.echoed * 8,
            "{kind:?} out:\n{report}"
        );
        assert_eq!(outbound.codec.to_lowercase(), codec, "{report}");
    }
    let json = report.to_json();
    assert_eq!(
        json["server_stats"]["streams"].as_array().map(Vec::len),
        Some(streams.len())
    );
    assert!(report.released, "{report}");
    gw.assert_released().await?;
    gw.stop().await
}
