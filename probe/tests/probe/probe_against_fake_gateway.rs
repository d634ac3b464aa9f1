//! `media_probe::run` over real gRPC on 127.0.0.1 against a stand-in gateway whose sessions are str0m
//! echo answerers: it passes a healthy deployment with and without trickle (asking for the session's
//! stats before Stop), fails one that damages media, and names the address of a gateway it cannot
//! reach.

use std::time::Duration;

use media_probe::{EchoCheckConfig, ProbeConfig, ProbeError};
use media_proto::v1::EndReason;
use test_support::echo_peer::Echo;
use test_support::fake_gateway::{Call, FakeGateway, Options};

/// A fake gateway whose sessions are echo answerers treating media as `echo` says.
async fn echoing_gateway(echo: Echo) -> anyhow::Result<FakeGateway> {
    FakeGateway::start_with(Options {
        media: Some(echo),
        ..Options::default()
    })
    .await
}

fn quick(trickle: bool) -> ProbeConfig {
    ProbeConfig {
        trickle,
        echo: EchoCheckConfig {
            duration: Duration::from_millis(800),
            ..EchoCheckConfig::default()
        },
        ..ProbeConfig::default()
    }
}

#[tokio::test]
async fn trickle_probe_passes_a_healthy_gateway() -> anyhow::Result<()> {
    let gateway = echoing_gateway(Echo::Faithful).await?;
    let report = media_probe::run(&gateway.uri(), quick(true)).await?;
    // The table a person would see, for `cargo test -- --nocapture`.
    println!("{report}");
    assert!(report.passed(), "{report}");
    assert_eq!(report.local_candidates_sent, 1);
    assert_eq!(report.server_candidates, 1);
    assert_eq!(report.start.answer_candidates, 0);
    assert!(report.gathering_done);
    assert!(matches!(report.ended, Some((EndReason::Stopped, _))));
    assert!(report.released);
    assert_eq!(report.echo.mismatches, 0);
    assert!(report.echo.audio.echoed > 0 && report.echo.video.echoed > 0);
    assert!(report.first_echo_since_start().is_some());
    let table = report.to_string();
    assert!(table.contains("verdict                  PASS"), "{table}");
    // The fake gateway answers GetSessionStats with one fixed stream; it is asked once, before Stop.
    let streams = match &report.server_stats {
        Some(Ok(streams)) => streams.clone(),
        other => anyhow::bail!("no server stats: {other:?}\n{table}"),
    };
    assert_eq!(streams.len(), 1, "{table}");
    assert_eq!(streams[0].packets, 1200, "{table}");
    assert_eq!(streams[0].codec, "video/VP8", "{table}");
    assert!(
        table.contains("video in               packets 1200"),
        "{table}"
    );
    let calls = gateway.calls();
    let at = |wanted: fn(&Call) -> bool| calls.iter().position(wanted);
    let stats = at(|c| matches!(c, Call::GetSessionStats { .. }));
    let stop = at(|c| matches!(c, Call::Stop { .. }));
    assert!(stats.is_some() && stats < stop, "{calls:?}");
    Ok(())
}

#[tokio::test]
async fn probe_without_trickle_uses_the_candidates_in_offer_and_answer() -> anyhow::Result<()> {
    let gateway = echoing_gateway(Echo::Faithful).await?;
    let report = media_probe::run(&gateway.uri(), quick(false)).await?;
    assert!(report.passed(), "{report}");
    assert_eq!(report.local_candidates_sent, 0);
    assert_eq!(report.server_candidates, 0);
    assert_eq!(report.start.answer_candidates, 1);
    Ok(())
}

#[tokio::test]
async fn probe_fails_a_gateway_that_damages_video() -> anyhow::Result<()> {
    let gateway = echoing_gateway(Echo::CorruptVideo).await?;
    let report = media_probe::run(&gateway.uri(), quick(true)).await?;
    assert!(!report.passed());
    assert_eq!(report.echo.mismatches, report.echo.video.sent);
    let failures = report.failures();
    assert!(
        failures
            .iter()
            .any(|f| f.contains("differ from what was sent")),
        "{failures:?}"
    );
    assert!(
        failures.iter().any(|f| f.starts_with("video:")),
        "{failures:?}"
    );
    assert!(report.to_string().contains("verdict                  FAIL"));
    Ok(())
}

#[tokio::test]
async fn unreachable_gateway_is_named_in_the_error() -> anyhow::Result<()> {
    // Bind then release a port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let gateway = format!("http://127.0.0.1:{port}");
    let err = match media_probe::run(&gateway, quick(true)).await {
        Ok(report) => anyhow::bail!("probe passed against nothing:\n{report}"),
        Err(e) => e,
    };
    assert!(matches!(err, ProbeError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&gateway), "{err}");

    let bad = media_probe::run("not a uri", quick(true)).await;
    assert!(matches!(bad, Err(ProbeError::BadAddress { .. })), "{bad:?}");
    Ok(())
}
