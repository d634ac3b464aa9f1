//! Side-by-side benchmark: our gateway + media server against Janus's echotest, both driven by the
//! project's own client (`media-probe`, str0m peers) through the one probe flow (`media_probe::run` for
//! ours, `media_probe::run_janus` for Janus). For each peer count, ours and then Janus each get a fresh
//! server and N concurrent peers sending Opus + VP8 frames that must come back byte for byte.
//!
//! Printed, each as ours / Janus and their ratio: signaling p50/p99 (ours: the Start call until its
//! answer; Janus: the message POST until the answer event on the long poll), first echoed frame p50/p95
//! (from the offer being sent), server CPU per echoed packet (utime + stime of the media process from
//! /proc/PID/stat over the steady window: every peer connected, none stopped sending), and the media
//! process's peak RSS. Our gateway's share is printed separately.
//!
//! The servers run in a network namespace behind a veth pair, because Janus does not gather on loopback
//! interfaces; `scripts/janus-bench.sh` sets that up, writes Janus's config, and runs this with
//! `--netns kbench --client-ip 10.77.0.1 --server-ip 10.77.0.2 --janus-config DIR --bin-dir DIR`, then
//! any of: peer counts (default 1 25 50), `--window-secs S` (default 10), `--rounds R` (each peer count
//! R times on the same server, samples pooled; default 1), `--eager-checks` (the probe checks ICE pairs
//! as soon as they form, as browsers do).

mod procs;
mod report;
mod stacks;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use media_probe::{EchoCheckConfig, ProbeConfig, ProbeReport};

use crate::report::{Measured, print_tables};
use crate::stacks::{Setup, Stack, Which};

/// Packets per second per media kind per peer (about a 50 fps audio + 50 fps video call).
const RATE: u32 = 50;
const AUDIO_BYTES: u16 = 160;
const VIDEO_BYTES: u16 = 1000;
/// How often the server's CPU and memory are sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Kept off each end of the steady window: peers start and stop sending within it.
const MARGIN: Duration = Duration::from_millis(500);

/// The flags followed by a value (every other bare number is a peer count).
const VALUE_FLAGS: [&str; 7] = [
    "--netns",
    "--client-ip",
    "--server-ip",
    "--janus-config",
    "--bin-dir",
    "--window-secs",
    "--rounds",
];

struct Options {
    setup: Setup,
    client_ip: IpAddr,
    window: Duration,
    counts: Vec<usize>,
    /// `--eager-checks`: the probe checks ICE pairs as soon as they form, as browsers do.
    eager_checks: bool,
    /// `--rounds R`: each peer count runs R times on the same server, samples pooled (default 1).
    rounds: usize,
}

fn main() -> anyhow::Result<()> {
    let options = parse(std::env::args().skip(1).collect())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(options))
}

fn parse(args: Vec<String>) -> anyhow::Result<Options> {
    let value = |name: &str| -> Option<String> {
        let i = args.iter().position(|a| a == name)?;
        args.get(i + 1).cloned()
    };
    let required = |name: &str| {
        value(name).with_context(|| {
            format!("{name} is required: run ./scripts/janus-bench.sh, which sets up the namespace")
        })
    };
    // Peer counts are the bare numbers, not the value that follows a flag.
    let mut counts: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !VALUE_FLAGS.contains(&args[i - 1].as_str()))
        .filter_map(|(_, a)| a.parse().ok())
        .filter(|n| *n > 0)
        .collect();
    if counts.is_empty() {
        counts = vec![1, 25, 50];
    }
    let window = value("--window-secs").map_or(Ok(10), |s| s.parse())?;
    let log_dir = std::env::temp_dir().join(format!("janus-bench-logs-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir)?;
    Ok(Options {
        setup: Setup {
            netns: required("--netns")?,
            server_ip: required("--server-ip")?.parse()?,
            bin_dir: PathBuf::from(required("--bin-dir")?),
            janus_config: PathBuf::from(required("--janus-config")?),
            log_dir,
        },
        client_ip: required("--client-ip")?.parse()?,
        window: Duration::from_secs(window),
        counts,
        eager_checks: args.iter().any(|a| a == "--eager-checks"),
        rounds: value("--rounds").map_or(Ok(1), |s| s.parse())?.max(1),
    })
}

async fn bench(options: Options) -> anyhow::Result<()> {
    println!(
        "janus benchmark: {RATE} audio + {RATE} video frames/s per peer ({AUDIO_BYTES} / {VIDEO_BYTES} byte \
         payloads), {} s of media per peer, {} round(s) per peer count, peers on {} and servers on {} in netns \
         {}; server logs in {}",
        options.window.as_secs(),
        options.rounds,
        options.client_ip,
        options.setup.server_ip,
        options.setup.netns,
        options.setup.log_dir.display()
    );
    // This machine may be shared: the load says what else ran alongside.
    println!(
        "probe ICE checks: {}",
        if options.eager_checks {
            "as soon as a pair forms (--eager-checks, as browsers do)"
        } else {
            "at str0m's paced wake-ups (Ta = 50 ms; --eager-checks checks at once)"
        }
    );
    println!("load average at start: {}", load_average());
    let mut rows = Vec::new();
    for &n in &options.counts {
        let ours = measure(Which::Ours, n, &options).await?;
        let janus = measure(Which::Janus, n, &options).await?;
        println!("{n} peers measured; load average now: {}", load_average());
        rows.push((ours, janus));
    }
    print_tables(&rows);
    Ok(())
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// One stack, fresh, with `n` concurrent peers.
async fn measure(which: Which, n: usize, options: &Options) -> anyhow::Result<Measured> {
    let stack = Stack::start(which, &options.setup).await?;
    // Let start-up work (certificates, thread pools) finish before the baseline.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = stack.media.rss_bytes()?;
    let gateway_cpu_before = stack.gateway.as_ref().map(procs::Proc::cpu).transpose()?;

    let config = ProbeConfig {
        bind_ip: options.client_ip,
        eager_checks: options.eager_checks,
        echo: EchoCheckConfig {
            duration: options.window,
            packets_per_second: RATE,
            audio_payload_bytes: AUDIO_BYTES,
            video_payload_bytes: VIDEO_BYTES,
            connect_timeout: Duration::from_secs(30),
            ..EchoCheckConfig::default()
        },
        rpc_timeout: Duration::from_secs(30),
        ..ProbeConfig::default()
    };
    // Rounds run one after another on the same server; their samples are pooled.
    let mut pooled = Round::default();
    for _ in 0..options.rounds {
        let round = round(which, n, &stack, &config, options.window).await?;
        pooled.add(round);
    }
    let Round {
        reports,
        failures,
        echoed,
        sent,
        steady_cpu,
        steady_packets,
        steady_secs,
        rss_peak,
    } = pooled;
    for f in failures.iter().take(3) {
        eprintln!("{which:?} with {n} peers: a peer failed: {f}");
    }
    let cpu_per_packet = steady_cpu.as_secs_f64() / steady_packets.max(f64::MIN_POSITIVE);
    let rss_peak = rss_peak.max(rss_idle);

    let gateway = match (&stack.gateway, gateway_cpu_before) {
        (Some(g), Some(before)) => Some((g.cpu()?.saturating_sub(before), g.rss_bytes()?)),
        _ => None,
    };
    Ok(Measured::new(
        n,
        &reports,
        failures.len(),
        echoed,
        sent,
        cpu_per_packet,
        steady_secs,
        rss_idle,
        rss_peak,
        gateway,
    ))
}

/// What one or more rounds of `n` concurrent peers measured.
#[derive(Default)]
struct Round {
    reports: Vec<ProbeReport>,
    failures: Vec<String>,
    echoed: u64,
    sent: u64,
    /// Media-process CPU inside the steady windows.
    steady_cpu: Duration,
    /// Packets echoed inside the steady windows (estimated, see `round`).
    steady_packets: f64,
    steady_secs: f64,
    rss_peak: u64,
}

impl Round {
    fn add(&mut self, other: Round) {
        self.reports.extend(other.reports);
        self.failures.extend(other.failures);
        self.echoed += other.echoed;
        self.sent += other.sent;
        self.steady_cpu += other.steady_cpu;
        self.steady_packets += other.steady_packets;
        self.steady_secs += other.steady_secs;
        self.rss_peak = self.rss_peak.max(other.rss_peak);
    }
}

/// `n` concurrent peers against `stack`, sampling its media process as they run.
async fn round(
    which: Which,
    n: usize,
    stack: &Stack,
    config: &ProbeConfig,
    window: Duration,
) -> anyhow::Result<Round> {
    let started = Instant::now();
    let peers = futures_util::future::join_all((0..n).map(|_| {
        let config = config.clone();
        let url = stack.url.clone();
        async move {
            match which {
                Which::Ours => media_probe::run(&url, config).await,
                Which::Janus => media_probe::run_janus(&url, config).await,
            }
        }
    }));
    tokio::pin!(peers);
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    let results = loop {
        tokio::select! {
            r = &mut peers => break r,
            _ = tick.tick() => samples.push((
                started.elapsed(),
                stack.media.cpu()?,
                stack.media.rss_bytes()?,
            )),
        }
    };

    let mut reports: Vec<ProbeReport> = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(r) if r.passed() => reports.push(r),
            Ok(r) => failures.push(r.failures().join("; ")),
            Err(e) => failures.push(e.to_string()),
        }
    }
    if reports.is_empty() {
        bail!(
            "{which:?} with {n} peers: every peer failed, e.g. {:?}",
            failures.first()
        );
    }

    // The steady window: after the last peer began sending, before the first stopped.
    let began: Vec<Duration> = reports
        .iter()
        .map(|r| r.echo_started_after + r.echo.connected_after)
        .collect();
    let inside = e2e_tests::window::steady(&samples, &began, window, MARGIN);
    let (Some(a), Some(b)) = (inside.first(), inside.last()) else {
        bail!(
            "{which:?} with {n} peers: the window is too short for a steady measurement (use --window-secs)"
        );
    };
    let echoed: u64 = reports
        .iter()
        .map(|r| r.echo.audio.echoed + r.echo.video.echoed)
        .sum();
    let sent: u64 = reports
        .iter()
        .map(|r| r.echo.audio.sent + r.echo.video.sent)
        .sum();
    // Packets echoed in the window: every passing peer sends 2 × RATE a second, scaled by the share that
    // came back over its whole check.
    let steady_secs = (b.0 - a.0).as_secs_f64();
    let echo_rate =
        reports.len() as f64 * 2.0 * f64::from(RATE) * (echoed as f64 / sent.max(1) as f64);
    Ok(Round {
        reports,
        failures,
        echoed,
        sent,
        steady_cpu: b.1.saturating_sub(a.1),
        steady_packets: steady_secs * echo_rate,
        steady_secs,
        rss_peak: samples.iter().map(|s| s.2).max().unwrap_or(0),
    })
}
