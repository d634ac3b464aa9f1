//! The binary and `run` refuse 0 for every limit where zero would be silent harm, naming the flag or limit
//! at fault: a zero ping interval cannot be timed; a zero pong, send, header, handshake or idle timeout
//! would cut every connection (or WHIP resource) at once; a zero cap would refuse everyone.

use std::time::Duration;
use test_support::process::Binary;

#[tokio::test]
async fn zero_flags_are_refused() -> anyhow::Result<()> {
    for flag in [
        "--ping-interval-secs",
        "--pong-timeout-secs",
        "--send-timeout-secs",
        "--header-read-timeout-secs",
        "--tls-handshake-timeout-secs",
        "--idle-socket-timeout-secs",
        "--max-connections",
        "--max-connections-per-ip",
        "--max-sockets",
        "--whip-max-resources",
        "--whip-idle-timeout-secs",
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
async fn run_refuses_zero_limits() -> anyhow::Result<()> {
    type Set = fn(&mut web_bridge::Limits);
    let zeroes: [(&str, Set); 11] = [
        ("ping_interval", |l| l.ping_interval = Duration::ZERO),
        ("pong_timeout", |l| l.pong_timeout = Duration::ZERO),
        ("send_timeout", |l| l.send_timeout = Duration::ZERO),
        ("header_read_timeout", |l| {
            l.header_read_timeout = Duration::ZERO;
        }),
        ("tls_handshake_timeout", |l| {
            l.tls_handshake_timeout = Duration::ZERO;
        }),
        ("idle_socket_timeout", |l| {
            l.idle_socket_timeout = Duration::ZERO;
        }),
        ("max_sockets", |l| l.max_sockets = 0),
        ("max_connections", |l| l.max_connections = 0),
        ("max_connections_per_ip", |l| l.max_connections_per_ip = 0),
        ("whip_max_resources", |l| l.whip_max_resources = 0),
        ("whip_idle_timeout", |l| {
            l.whip_idle_timeout = Duration::ZERO;
        }),
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
