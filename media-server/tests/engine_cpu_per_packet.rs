//! The media loop's CPU cost per echoed packet (SRTP in and out included), measured on the thread that
//! runs only the engine while a probe peer on other threads streams through a loopback.

mod engine_support;

use std::time::Duration;

use engine_support::{engine, negotiate_probe};
use media_probe::EchoCheckConfig;
use tokio::sync::oneshot;

/// Loose enough for unoptimised test builds on a busy 2-core machine; the measured value is printed.
const MAX_MICROS_PER_PACKET: f64 = 200.0;

/// CPU time (user + system) of the calling thread, from /proc (10 ms ticks).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // After the parenthesised command name come: state (field 3), ..., utime (14), stime (15).
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((tick(11) + tick(12)) * 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_costs_little_cpu_per_packet() -> anyhow::Result<()> {
    let (handles_tx, handles_rx) = oneshot::channel();
    let (start_tx, start_rx) = oneshot::channel::<()>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let engine_thread = std::thread::spawn(move || -> anyhow::Result<(Duration, u64)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let engine = engine();
            let (tx, rx) = engine.event_channel();
            let endpoint = engine.create_endpoint(tx)?;
            let _ = handles_tx.send((endpoint, rx));
            start_rx.await?;
            let (cpu0, out0) = (thread_cpu(), engine.stats().packets_out);
            stop_rx.await?;
            Ok((thread_cpu() - cpu0, engine.stats().packets_out - out0))
        })
    });

    let (endpoint, mut rx) = handles_rx.await?;
    endpoint.connect(&endpoint).await?;
    let peer = negotiate_probe(&endpoint, &mut rx).await?;
    let warmup = EchoCheckConfig {
        duration: Duration::from_millis(300),
        ..EchoCheckConfig::default()
    };
    peer.echo_check(warmup).await?;

    let _ = start_tx.send(());
    let config = EchoCheckConfig {
        duration: Duration::from_secs(3),
        packets_per_second: 500,
        ..EchoCheckConfig::default()
    };
    let report = peer.echo_check(config).await?;
    let _ = stop_tx.send(());
    let (cpu, packets_out) = engine_thread
        .join()
        .map_err(|_| anyhow::anyhow!("engine thread panicked"))??;

    assert!(report.is_intact(0.9), "{report:?}");
    let echoed = report.audio.echoed + report.video.echoed;
    let per_packet = cpu.as_secs_f64() * 1e6 / echoed.max(1) as f64;
    println!(
        "engine CPU {cpu:?} for {echoed} echoed frames ({packets_out} datagrams out): {per_packet:.1} µs each"
    );
    assert!(
        per_packet <= MAX_MICROS_PER_PACKET,
        "{per_packet:.1} µs per echoed packet"
    );
    drop(peer);
    endpoint.release().await;
    Ok(())
}
