//! Loopback benchmark: N concurrent WebRTC peers echo audio and video through the gateway and the embedded
//! media server for a fixed window. Prints, for N = 1, 10, 50: server CPU time per echoed packet (SRTP in
//! and out included), server memory per peer, and time from Start to the first echoed packet.
//!
//! The media server runs in a child process (this same binary, re-executed with `--serve`), so its CPU time
//! and memory are read from /proc for it alone; the gateway and the peers run in this process.
//!
//! Run: `cargo bench -p e2e-tests --bench loopback` (optionally `-- 1 10 50`, `--window-secs 10`, and
//! `--one-port` for the media server's one-port mode: every endpoint on one UDP socket).

use anyhow::{Context as _, bail};
use media_probe::{EchoCheckConfig, ProbeConfig, ProbeReport};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Packets per second per media kind per peer (about a 50 fps audio + 50 fps video call).
const RATE: u32 = 50;
const AUDIO_BYTES: u16 = 160;
const VIDEO_BYTES: u16 = 1000;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let one_port = args.iter().any(|a| a == "--one-port");
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(one_port);
    }
    let window = flag(&args, "--window-secs").unwrap_or(8);
    // Peer counts are the bare numbers, not the value that follows a flag.
    let mut counts: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !args[i - 1].starts_with("--"))
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    counts.retain(|n| *n > 0);
    if counts.is_empty() {
        counts = vec![1, 10, 50];
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(counts, Duration::from_secs(window), one_port))
}

fn flag(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

/// The child: the embedded media server alone, printing its URL when ready, until stdin closes.
fn serve(one_port: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("ws://{}/kurento", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        // The parent closes our stdin when it is done (or dies): that is our signal to stop.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            stop.cancel();
        });
        let mut config = media_server::Config::default();
        config.engine.udp_port = one_port.then_some(0);
        media_server::run(listener, config, shutdown).await?;
        Ok(())
    })
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(one_port: bool) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .args(one_port.then_some("--one-port"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the media server child")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut url = String::new();
        BufReader::new(stdout).read_line(&mut url)?;
        if !url.starts_with("ws://") {
            bail!("media server child printed {url:?}");
        }
        Ok(Self {
            url: url.trim().to_owned(),
            child,
        })
    }

    /// CPU time of the child, summed over its threads from /proc schedstat (nanosecond resolution, unlike
    /// the 10 ms ticks of /proc stat; the server's threads live as long as it does).
    fn cpu(&self) -> anyhow::Result<Duration> {
        let mut ns = 0u64;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.child.id()))? {
            let path = task?.path().join("schedstat");
            // A thread may exit between listing and reading; it then no longer counts.
            if let Ok(text) = std::fs::read_to_string(path) {
                ns += text
                    .split_whitespace()
                    .next()
                    .and_then(|f| f.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        Ok(Duration::from_nanos(ns))
    }

    /// Resident memory of the child.
    fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .context("no VmRSS")?;
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .context("VmRSS value")?
            .parse()?;
        Ok(kb * 1024)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

struct Row {
    peers: usize,
    echoed: u64,
    sent: u64,
    mismatches: u64,
    steady_us_per_packet: f64,
    total_us_per_packet: f64,
    mem_per_peer: f64,
    first_echo_median: Duration,
    first_echo_max: Duration,
}

async fn bench(counts: Vec<usize>, window: Duration, one_port: bool) -> anyhow::Result<()> {
    let server = Server::start(one_port)?;
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let grpc = format!("http://{}", listener.local_addr()?);
    let config = media_gateway::Config {
        kms_uris: vec![server.url.clone()],
        ..Default::default()
    };
    let gateway = media_gateway::spawn(listener, config, shutdown.clone()).await?;
    println!(
        "loopback benchmark: media server {} (child pid {}, {}), {RATE} audio + {RATE} video packets/s per peer ({AUDIO_BYTES} / {VIDEO_BYTES} byte payloads), {} s window",
        server.url,
        server.child.id(),
        if one_port {
            "one-port mode"
        } else {
            "a socket per endpoint"
        },
        window.as_secs()
    );
    let mut rows = Vec::new();
    for n in counts {
        rows.push(run(&server, &grpc, n, window).await?);
    }
    println!();
    println!(
        "| peers | packets echoed / sent | mismatches | server CPU per echoed packet (steady) | (incl. setup) | server memory per peer | Start to first echo (median / max) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} / {} | {} | {:.1} µs | {:.1} µs | {:.0} KiB | {:.0} / {:.0} ms |",
            r.peers,
            r.echoed,
            r.sent,
            r.mismatches,
            r.steady_us_per_packet,
            r.total_us_per_packet,
            r.mem_per_peer / 1024.0,
            r.first_echo_median.as_secs_f64() * 1e3,
            r.first_echo_max.as_secs_f64() * 1e3
        );
    }
    shutdown.cancel();
    gateway.join().await?;
    Ok(())
}

async fn run(server: &Server, grpc: &str, n: usize, window: Duration) -> anyhow::Result<Row> {
    let rss_before = server.rss_bytes()?;
    let cpu_before = server.cpu()?;
    let echo = EchoCheckConfig {
        duration: window,
        packets_per_second: RATE,
        audio_payload_bytes: AUDIO_BYTES,
        video_payload_bytes: VIDEO_BYTES,
        connect_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let config = ProbeConfig {
        echo,
        rpc_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let started = Instant::now();
    // Sample CPU and memory while the peers run; the steady rate comes from the middle of the window,
    // after every peer has connected and before any has stopped sending.
    let mut samples = Vec::new();
    let peers =
        futures_util::future::join_all((0..n).map(|_| media_probe::run(grpc, config.clone())));
    tokio::pin!(peers);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let reports = loop {
        tokio::select! {
            r = &mut peers => break r,
            _ = tick.tick() => samples.push((started.elapsed(), server.cpu()?, server.rss_bytes()?)),
        }
    };
    let cpu_total = server.cpu()?.saturating_sub(cpu_before);
    let reports: Vec<ProbeReport> = reports.into_iter().collect::<Result<_, _>>()?;
    let mut echoed = 0;
    let mut sent = 0;
    let mut mismatches = 0;
    let mut first = Vec::new();
    let mut began = Vec::new();
    for r in &reports {
        if !r.passed() {
            bail!("a peer failed with {n} peers:\n{r}\n{:?}", r.failures());
        }
        echoed += r.echo.audio.echoed + r.echo.video.echoed;
        sent += r.echo.audio.sent + r.echo.video.sent;
        mismatches += r.echo.mismatches;
        first.push(r.first_echo_since_start().unwrap_or_default());
        began.push(r.echo_started_after + r.echo.connected_after);
    }
    first.sort();
    began.sort();
    let margin = Duration::from_millis(500);
    let inside = e2e_tests::window::steady(&samples, &began, window, margin);
    let (Some(a), Some(b)) = (inside.first(), inside.last()) else {
        bail!(
            "the window is too short for a steady measurement with {n} peers (use --window-secs)"
        );
    };
    let steady_secs = (b.0 - a.0).as_secs_f64();
    // Every peer sends RATE audio and RATE video packets a second and all come back (checked above).
    let echo_rate = (n as f64) * 2.0 * f64::from(RATE) * (echoed as f64 / sent.max(1) as f64);
    let steady_us_per_packet = (b.1 - a.1).as_secs_f64() * 1e6 / (steady_secs * echo_rate);
    let peak_rss = inside.iter().map(|s| s.2).max().unwrap_or(rss_before);
    let mem_per_peer = peak_rss.saturating_sub(rss_before) as f64 / n as f64;
    Ok(Row {
        peers: n,
        echoed,
        sent,
        mismatches,
        steady_us_per_packet,
        total_us_per_packet: cpu_total.as_secs_f64() * 1e6 / echoed.max(1) as f64,
        mem_per_peer,
        first_echo_median: first[first.len() / 2],
        first_echo_max: *first.last().unwrap_or(&Duration::ZERO),
    })
}
