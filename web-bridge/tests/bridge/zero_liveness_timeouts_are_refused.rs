//! The binary and `run` refuse 0 for the ping interval and the pong and send timeouts (a zero interval
//! cannot be timed, a zero timeout would close every socket at its first ping or send), naming the flag or
//! limit at fault.

use std::time::Duration;
use test_support::process::Binary;

#[tokio::test]
async fn zero_liveness_timeouts_are_refused() -> anyhow::Result<()> {
    for flag in [
        "--ping-interval-secs",
        "--pong-timeout-secs",
        "--send-timeout-secs",
    ] {
        let mut bridge = Binary::start(
            env!("CARGO_BIN_EXE_web-bridge"),
            &["--listen", "127.0.0.1:0", "--plain-http", flag, "0"],
            "warn",
        )?;
        let status = bridge
            .exit_within(Duration::from_secs(10))
            .await
            .ok_or_else(|| anyhow::anyhow!("{flag} 0 was accepted: the bridge kept running"))?;
        assert!(!status.success(), "{flag} 0 exited with success");
        // The lines come through a reader thread, which may lag the exit a little.
        let mut stderr = String::new();
        let named = test_support::wait::eventually(Duration::from_secs(5), || {
            stderr.extend(bridge.stderr_lines().into_iter().map(|l| l + "\n"));
            stderr.contains(flag)
        })
        .await;
        assert!(named, "{flag} 0: stderr does not name it: {stderr}");
    }
    Ok(())
}

#[tokio::test]
async fn run_refuses_zero_liveness_limits() -> anyhow::Result<()> {
    type Set = fn(&mut web_bridge::Limits);
    let zeroes: [(&str, Set); 3] = [
        ("ping_interval", |l| l.ping_interval = Duration::ZERO),
        ("pong_timeout", |l| l.pong_timeout = Duration::ZERO),
        ("send_timeout", |l| l.send_timeout = Duration::ZERO),
    ];
    for (name, zero) in zeroes {
        let mut config = web_bridge::Config {
            tls: web_bridge::TlsMode::Plain,
            ..web_bridge::Config::default()
        };
        zero(&mut config.limits);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let shutdown = tokio_util::sync::CancellationToken::new();
        match web_bridge::run(listener, config, shutdown).await {
            Err(web_bridge::Error::ZeroLimit(limit)) => assert_eq!(limit, name),
            other => anyhow::bail!("{name} = 0 was not refused: {other:?}"),
        }
    }
    Ok(())
}
