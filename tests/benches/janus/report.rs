//! What one stack measured at one peer count, and the side-by-side tables.

use std::time::Duration;

use media_probe::ProbeReport;

/// One stack at one peer count.
pub(crate) struct Measured {
    peers: usize,
    passed: usize,
    failed: usize,
    echoed: u64,
    sent: u64,
    /// Offer sent → answer in hand.
    signaling: Vec<Duration>,
    /// Offer sent → first intact echo.
    first_echo: Vec<Duration>,
    /// Offer sent → ICE + DTLS connected (the probe starts sending then).
    connected: Vec<Duration>,
    /// Janus: create + attach; ours: the gRPC channel's connect.
    setup: Vec<Duration>,
    cpu_per_packet: f64,
    steady_secs: f64,
    rss_idle: u64,
    rss_peak: u64,
    /// Our gateway: CPU over the whole run and RSS at its end.
    gateway: Option<(Duration, u64)>,
}

impl Measured {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        peers: usize,
        reports: &[ProbeReport],
        failed: usize,
        echoed: u64,
        sent: u64,
        cpu_per_packet: f64,
        steady_secs: f64,
        rss_idle: u64,
        rss_peak: u64,
        gateway: Option<(Duration, u64)>,
    ) -> Self {
        let sorted = |f: &dyn Fn(&ProbeReport) -> Duration| {
            let mut v: Vec<Duration> = reports.iter().map(f).collect();
            v.sort_unstable();
            v
        };
        Measured {
            peers,
            passed: reports.len(),
            failed,
            echoed,
            sent,
            signaling: sorted(&|r| r.start.latency),
            first_echo: sorted(&|r| r.first_echo_since_start().unwrap_or_default()),
            connected: sorted(&|r| r.echo_started_after + r.echo.connected_after),
            setup: sorted(&|r| r.start.setup),
            cpu_per_packet,
            steady_secs,
            rss_idle,
            rss_peak,
            gateway,
        }
    }
}

/// Nearest rank: the smallest sample with at least p% of the samples at or below it.
fn pct(sorted: &[Duration], p: usize) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n => sorted[(n * p).div_ceil(100).max(1) - 1],
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// "ours / Janus unit (ratio×)".
fn cell(ours: f64, janus: f64, unit: &str, digits: usize) -> String {
    let ratio = if janus > 0.0 {
        format!("{:.2}×", ours / janus)
    } else {
        "n/a".to_owned()
    };
    format!("{ours:.digits$} / {janus:.digits$} {unit} ({ratio})")
}

pub(crate) fn print_tables(rows: &[(Measured, Measured)]) {
    println!();
    println!(
        "Each cell: ours / Janus (ratio ours/Janus). Signaling: ours = Start call until its answer; Janus = \
         message POST until the answer event on the long poll. First echo: from sending the offer (Start / \
         message) to the first frame that came back intact. CPU: utime+stime of the media process \
         (ours: media-server; Janus: janus) over the steady window, per echoed packet (/proc counts in 10 ms \
         ticks: at 1 peer one tick is about 11 µs per packet). RSS: peak of the media process. With one peer and \
         one round, each percentile is that peer's one sample."
    );
    println!();
    println!(
        "| peers | signaling p50 | signaling p99 | first echo p50 | first echo p95 | CPU per echoed packet | RSS (peak) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (o, j) in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            o.peers,
            cell(
                ms(pct(&o.signaling, 50)),
                ms(pct(&j.signaling, 50)),
                "ms",
                1
            ),
            cell(
                ms(pct(&o.signaling, 99)),
                ms(pct(&j.signaling, 99)),
                "ms",
                1
            ),
            cell(
                ms(pct(&o.first_echo, 50)),
                ms(pct(&j.first_echo, 50)),
                "ms",
                0
            ),
            cell(
                ms(pct(&o.first_echo, 95)),
                ms(pct(&j.first_echo, 95)),
                "ms",
                0
            ),
            cell(o.cpu_per_packet * 1e6, j.cpu_per_packet * 1e6, "µs", 1),
            cell(mib(o.rss_peak), mib(j.rss_peak), "MiB", 1),
        );
    }
    println!();
    println!("Details (p50 of each phase, ms from the offer being sent; ours / Janus):");
    println!();
    println!(
        "| peers | passed | echoed / sent | setup before the offer | answer | ICE + DTLS connected | first echo | steady window | RSS idle | our gateway: CPU per session, RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (o, j) in rows {
        let gateway = o.gateway.map_or_else(
            || "n/a".to_owned(),
            |(cpu, rss)| {
                format!(
                    "{:.1} ms, {:.1} MiB",
                    ms(cpu) / o.passed.max(1) as f64,
                    mib(rss)
                )
            },
        );
        println!(
            "| {} | {}+{} fail / {}+{} fail | {} / {} , {} / {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} s | {:.1} / {:.1} MiB | {gateway} |",
            o.peers,
            o.passed,
            o.failed,
            j.passed,
            j.failed,
            o.echoed,
            o.sent,
            j.echoed,
            j.sent,
            ms(pct(&o.setup, 50)),
            ms(pct(&j.setup, 50)),
            ms(pct(&o.signaling, 50)),
            ms(pct(&j.signaling, 50)),
            ms(pct(&o.connected, 50)),
            ms(pct(&j.connected, 50)),
            ms(pct(&o.first_echo, 50)),
            ms(pct(&j.first_echo, 50)),
            o.steady_secs,
            j.steady_secs,
            mib(o.rss_idle),
            mib(j.rss_idle),
        );
    }
}
