//! The three services as real child processes on 127.0.0.1, for the fault suite and the chaos benchmark:
//! what an operator runs, killed and restarted as an operator (or a crash) would. Each start reads the
//! line the binary prints with its address; dropping a handle kills the process.
//!
//! The binaries are the workspace's own, found next to the running test (`target/<profile>/`). The README's
//! test command (`cargo test --workspace`) builds them; a lone `cargo test -p e2e-tests` may not, and then
//! the start fails saying so rather than running a stale binary it cannot see.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Duration;
use test_support::process::Binary;

/// How long a binary may take to print its address (a cold start under load included).
const STARTUP: Duration = Duration::from_secs(30);

/// The path of workspace binary `name`, beside the test or bench executable that is running.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test>-<hash>: the binaries are in target/<profile>/.
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test executable has no target directory")?;
    let path = profile_dir.join(name);
    if !path.exists() {
        bail!(
            "{} is not built: run the README's test command (`cargo test --workspace` builds every binary), \
             or `cargo build -p {name}` first",
            path.display()
        );
    }
    Ok(path)
}

/// `defaults` (flag, value pairs) that `extra` does not give, then `extra`: the binaries refuse a flag
/// given twice, so a caller's flag replaces the default instead of repeating it.
fn with_defaults<'a>(defaults: &[(&'a str, &'a str)], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = defaults
        .iter()
        .filter(|(flag, _)| !extra.contains(flag))
        .flat_map(|(flag, value)| [*flag, *value])
        .collect();
    args.extend_from_slice(extra);
    args
}

fn start(name: &str, args: &[&str], rust_log: &str) -> anyhow::Result<(Binary, String)> {
    let path = binary(name)?;
    let bin = Binary::start(&path.to_string_lossy(), args, rust_log)?;
    let line = bin
        .stdout_line(STARTUP)
        .with_context(|| format!("{name} printed no address"))?;
    Ok((bin, line))
}

/// The `media-server` binary.
pub struct MediaServerProc {
    /// Kept for its Drop, which kills the process.
    pub process: Binary,
    /// Its Kurento JSON-RPC WebSocket URI.
    pub uri: String,
}

impl MediaServerProc {
    /// Starts it on 127.0.0.1:0.
    pub fn start() -> anyhow::Result<Self> {
        let (process, uri) = start(
            "media-server",
            &["--listen", "127.0.0.1:0", "--max-objects", "100000"],
            "warn",
        )?;
        anyhow::ensure!(uri.starts_with("ws://127.0.0.1:"), "{uri}");
        Ok(Self { process, uri })
    }

    /// The `host:port` it listens on (for a proxy in front of it).
    pub fn addr(&self) -> anyhow::Result<std::net::SocketAddr> {
        let host = self
            .uri
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default();
        Ok(host.parse()?)
    }

    /// Its Kurento WebSocket (no secret: the binary runs without one here).
    pub fn kms(&self) -> crate::Kms {
        crate::Kms {
            uri: self.uri.clone(),
            secret: None,
        }
    }

    /// Pipelines it holds right now, as its own ServerManager lists them.
    pub async fn pipelines(&self) -> anyhow::Result<usize> {
        crate::pipelines(&self.kms()).await
    }
}

/// The `media-gateway` binary.
pub struct GatewayProc {
    /// Kept for its Drop, which kills the process.
    pub process: Binary,
    /// Its gRPC address, `127.0.0.1:P`.
    pub grpc: String,
    /// Its metrics address.
    pub metrics: std::net::SocketAddr,
}

impl GatewayProc {
    /// Starts it on 127.0.0.1:0 against `kms_uri`, as `instance`, with `extra` flags after the defaults
    /// (a later flag wins).
    pub fn start(kms_uri: &str, instance: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let args = with_defaults(
            &[
                ("--listen", "127.0.0.1:0"),
                ("--metrics-listen", "127.0.0.1:0"),
                ("--kms-uri", kms_uri),
                ("--instance-id", instance),
                ("--max-sessions", "20000"),
            ],
            extra,
        );
        let (process, line) = start("media-gateway", &args, "warn")?;
        // "media-gateway listening on 127.0.0.1:P (gRPC), 127.0.0.1:Q (metrics), using ..."
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(grpc), Some(metrics)) = (words.get(3), words.get(5)) else {
            bail!("unexpected start line {line:?}");
        };
        Ok(Self {
            process,
            grpc: (*grpc).to_owned(),
            metrics: metrics.trim_end_matches(',').parse()?,
        })
    }

    /// Waits until its link to the media server is up (its /metrics says so).
    pub async fn link_up(&self) -> anyhow::Result<()> {
        let metrics = self.metrics;
        let up = test_support::wait::eventually_async(STARTUP, || async move {
            let Ok(reply) = test_support::http::get(metrics, "/metrics").await else {
                return false;
            };
            let text = reply.text();
            text.lines().any(|l| {
                l.starts_with("media_gateway_media_server_link_state{")
                    && l.contains("state=\"up\"")
                    && l.ends_with(" 1")
            })
        })
        .await;
        anyhow::ensure!(up, "the gateway's media server link never came up");
        Ok(())
    }

    /// Kills it with SIGKILL: no drain, no release, as a crash or an OOM kill.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        kill(&mut self.process).await
    }

    /// A MediaSession client.
    pub async fn client(&self) -> anyhow::Result<crate::SessionClient> {
        crate::session_client(format!("http://{}", self.grpc)).await
    }
}

/// The `web-bridge` binary, plain HTTP.
pub struct BridgeProc {
    /// Kept for its Drop, which kills the process.
    pub process: Binary,
    /// Where it serves the page and the WebSocket.
    pub addr: std::net::SocketAddr,
}

impl BridgeProc {
    /// Starts it on 127.0.0.1:0 in front of the gateway at `grpc` (`host:port`).
    pub fn start(grpc: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let gateway = format!("http://{grpc}");
        let mut args = vec!["--plain-http"];
        args.extend(with_defaults(
            &[
                ("--listen", "127.0.0.1:0"),
                ("--gateway", &gateway),
                ("--max-sockets", "20000"),
                // Every browser here comes from 127.0.0.1: the per-address cap would refuse the crowd.
                ("--max-connections", "20000"),
                ("--max-connections-per-ip", "20000"),
            ],
            extra,
        ));
        let (process, line) = start("web-bridge", &args, "warn")?;
        // "web-bridge: open http://127.0.0.1:PORT/ (media gateway ...)"
        let page = line
            .split_whitespace()
            .nth(2)
            .filter(|u| u.starts_with("http://127.0.0.1:"))
            .with_context(|| format!("no page address in {line:?}"))?;
        let addr = page
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()?;
        Ok(Self { process, addr })
    }

    /// Kills it with SIGKILL.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        kill(&mut self.process).await
    }
}

async fn kill(process: &mut Binary) -> anyhow::Result<()> {
    process.kill()?;
    process
        .exit_within(Duration::from_secs(5))
        .await
        .context("still running 5 s after SIGKILL")?;
    Ok(())
}

/// Resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`); 0 if it cannot be read.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
