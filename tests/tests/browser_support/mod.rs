//! Shared by the browser tests: the whole stack in-process on 127.0.0.1 (gateway with its embedded media
//! server, web-bridge over HTTPS with a self-signed certificate) and a run of tests/browser/loopback.mjs,
//! which drives Debian's headless Chromium through the page and prints one JSON line.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The gateway and the bridge, both serving until `stop`.
pub struct Stack {
    pub url: String,
    pub bridge_counters: web_bridge::Counters,
    pub gateway: media_gateway::Gateway,
    shutdown: CancellationToken,
    bridge: tokio::task::JoinHandle<Result<(), web_bridge::Error>>,
}

impl Stack {
    pub async fn start() -> anyhow::Result<Self> {
        let shutdown = CancellationToken::new();
        let grpc = TcpListener::bind("127.0.0.1:0").await?;
        let gateway_addr = grpc.local_addr()?;
        let gateway =
            media_gateway::spawn(grpc, media_gateway::Config::default(), shutdown.clone()).await?;

        let web = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("https://127.0.0.1:{}/", web.local_addr()?.port());
        let config = web_bridge::Config {
            gateway: format!("http://{gateway_addr}"),
            ..Default::default()
        };
        let bridge_counters = config.counters.clone();
        let bridge = tokio::spawn(web_bridge::run(web, config, shutdown.clone()));
        Ok(Self {
            url,
            bridge_counters,
            gateway,
            shutdown,
            bridge,
        })
    }

    /// Waits until neither the bridge nor the gateway holds a session or socket.
    pub async fn assert_nothing_left(&self) -> anyhow::Result<()> {
        for _ in 0..250 {
            if self.bridge_counters.open_sockets() == 0
                && self.bridge_counters.live_sessions() == 0
                && self.gateway.sessions() == 0
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "left open after the browser went: {} sockets, {} bridge sessions, {} gateway sessions",
            self.bridge_counters.open_sockets(),
            self.bridge_counters.live_sessions(),
            self.gateway.sessions()
        )
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.bridge.await??;
        self.gateway.join().await?;
        Ok(())
    }
}

/// Runs the browser driver in `mode` against `url`; returns its JSON result (whatever `ok` says).
pub async fn run_driver(url: &str, mode: &str, screenshot: &str) -> anyhow::Result<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    let script = dir.join("loopback.mjs");
    if !dir.join("node_modules/playwright-core").is_dir() {
        bail!(
            "playwright-core is not installed: run `npm ci --prefix {}`",
            dir.display()
        );
    }
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        bail!("/usr/bin/chromium is missing: run `apt-get install -y chromium`");
    }
    let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(screenshot);
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(&script)
            .args(["--url", url, "--mode", mode, "--screenshot"])
            .arg(&screenshot)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("the browser driver ran for more than 120 s")??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| {
            format!(
                "the driver printed no JSON; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    println!("{line}");
    Ok(serde_json::from_str(line)?)
}
