//! The binary refuses 0 for the ping interval and the pong and send timeouts (0 would ping in a loop, or close
//! every socket at its first ping or send), naming the flag at fault.

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
