//! A loopback endpoint's stats (what `getStats` is made from) count audio and video both ways while a
//! real str0m peer sends media, and the counters grow from one report to the next.

use std::time::Duration;

use crate::engine_support::{engine, negotiate_probe};
use media_probe::EchoCheckConfig;
use media_server::engine::{MediaType, StreamDirection, StreamStats};

fn find(all: &[StreamStats], kind: MediaType, direction: StreamDirection) -> Option<&StreamStats> {
    all.iter()
        .find(|s| s.kind == kind && s.direction == direction)
}

#[tokio::test]
async fn loopback_stats_count_audio_and_video_both_ways() -> anyhow::Result<()> {
    let engine = engine();
    let (tx, mut rx) = engine.event_channel();
    let endpoint = engine.create_endpoint(tx)?;
    endpoint.connect(&endpoint).await?;
    let peer = negotiate_probe(&endpoint, &mut rx).await?;
    // Nothing flowed yet, so there is nothing to report (and asking is no error).
    assert!(endpoint.stats().await?.is_empty());

    let config = EchoCheckConfig {
        duration: Duration::from_secs(4),
        ..EchoCheckConfig::default()
    };
    // Two samples while media flows, more than one stats interval (1 s) apart.
    let sample = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let first = endpoint.stats().await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let second = endpoint.stats().await?;
        anyhow::Ok((first, second))
    };
    let (report, samples) = tokio::join!(peer.echo_check(config), sample);
    let (report, (first, second)) = (report?, samples?);
    assert!(report.is_intact(0.9), "{report:?}");

    for kind in [MediaType::Audio, MediaType::Video] {
        for direction in [StreamDirection::Inbound, StreamDirection::Outbound] {
            let what = format!("{kind:?} {direction:?}");
            let a = find(&first, kind, direction)
                .ok_or_else(|| anyhow::anyhow!("{what}: {first:?}"))?;
            let b = find(&second, kind, direction)
                .ok_or_else(|| anyhow::anyhow!("{what}: {second:?}"))?;
            eprintln!("{what}: {b:?}");
            assert!(a.packets > 0 && a.bytes > 0, "{what}: {a:?}");
            assert!(
                b.packets > a.packets && b.bytes > a.bytes,
                "{what}: {a:?} then {b:?}"
            );
            assert!(b.bitrate_bps > 0, "{what}: {b:?}");
            let codec = b.codec.as_deref().unwrap_or_default();
            let top = if kind == MediaType::Audio {
                "audio/"
            } else {
                "video/"
            };
            assert!(codec.starts_with(top), "{what}: {b:?}");
        }
    }
    endpoint.release().await;
    Ok(())
}
