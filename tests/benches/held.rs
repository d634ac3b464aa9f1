//! The held-sessions benchmark: how much memory a signaling session costs while it is held open through
//! the whole stack, on the real (release) binaries. It opens `HELD_SESSIONS` (default 10,000) browser
//! WebSockets on web-bridge, each of which starts a session (a pipeline and an endpoint on the media server)
//! and then stays open, answering pings as a browser would; then it reads each process's resident memory
//! and prints KiB per held session for web-bridge, the gateway, both together, and the media server.
//! Every socket is closed at the end and the time until the media server holds no pipeline is printed,
//! then whatever the services logged (at `warn`) meanwhile.
//! First it times `start` → `startResponse` through the bridge for 100 browsers one after another.
//! It asserts nothing; `scripts/held.sh` builds the binaries and runs it.

use e2e_tests::procs::{BridgeProc, GatewayProc, MediaServerProc, rss_kib};
use futures_util::{StreamExt as _, stream};
use std::time::{Duration, Instant};
use test_support::CHROMIUM_OFFER;

/// One browser: opens the socket, starts, waits for `startResponse`, then hands the socket to a task that
/// keeps reading (tungstenite answers the bridge's pings while it reads) until `stop` is cancelled.
async fn hold(
    addr: std::net::SocketAddr,
    stop: tokio_util::sync::CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut ws = e2e_tests::open_and_start(addr, CHROMIUM_OFFER).await?;
    loop {
        let m = test_support::ws::recv_json(&mut ws, Duration::from_secs(60)).await?;
        match m["id"].as_str() {
            Some("startResponse") => break,
            Some("error") => anyhow::bail!("refused: {m}"),
            _ => {}
        }
    }
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = async { while let Some(Ok(_)) = ws.next().await {} } => {}
        }
        let _ = ws.close(None).await;
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("HELD_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let server = MediaServerProc::start()?;
    let gateway = GatewayProc::start(&server.uri, "held", &[])?;
    gateway.link_up().await?;
    let bridge = BridgeProc::start(&gateway.grpc, &[])?;
    let pids = [
        ("web-bridge", bridge.process.pid()),
        ("media-gateway", gateway.process.pid()),
        ("media-server", server.process.pid()),
    ];
    // Signaling through the bridge, one browser at a time, each closing as the next opens (so every Start
    // overlaps the previous session's Stop, as on a busy server).
    let mut starts = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let mut ws = e2e_tests::open_and_start(bridge.addr, CHROMIUM_OFFER).await?;
        loop {
            let m = test_support::ws::recv_json(&mut ws, Duration::from_secs(20)).await?;
            if m["id"] == "startResponse" {
                break;
            }
            anyhow::ensure!(m["id"] != "error", "refused: {m}");
        }
        starts.push(t.elapsed());
    }
    starts.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "start → startResponse through web-bridge, one at a time (100): p50 {:.1} ms, p99 {:.1} ms",
        ms(starts[49]),
        ms(starts[98])
    );
    // Warm up (lazy statics, the gRPC channel, allocator arenas), then take the baseline.
    let warm_stop = tokio_util::sync::CancellationToken::new();
    let warm: Vec<_> = stream::iter(0..32)
        .map(|_| hold(bridge.addr, warm_stop.clone()))
        .buffer_unordered(32)
        .collect()
        .await;
    warm_stop.cancel();
    for h in warm.into_iter().flatten() {
        let _ = h.await;
    }
    let settled = Instant::now();
    while server.pipelines().await? > 0 && settled.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before: Vec<u64> = pids.iter().map(|(_, pid)| rss_kib(*pid)).collect();

    let stop = tokio_util::sync::CancellationToken::new();
    let began = Instant::now();
    let opened: Vec<_> = stream::iter(0..n)
        .map(|_| hold(bridge.addr, stop.clone()))
        .buffer_unordered(64)
        .collect()
        .await;
    let open_time = began.elapsed();
    let (held, failed): (Vec<_>, Vec<_>) = opened.into_iter().partition(Result::is_ok);
    let held: Vec<_> = held.into_iter().flatten().collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after: Vec<u64> = pids.iter().map(|(_, pid)| rss_kib(*pid)).collect();
    let pipelines = server.pipelines().await?;

    println!(
        "held {} sessions ({} failed) through web-bridge in {:.1} s; the media server holds {pipelines} pipelines",
        held.len(),
        failed.len(),
        open_time.as_secs_f64()
    );
    if let Some(Err(e)) = failed.first() {
        println!("first failure: {e:#}");
    }
    println!();
    println!("| process | RSS before | RSS held | KiB per held session |");
    println!("|---|---:|---:|---:|");
    let per = |b: u64, a: u64| a.saturating_sub(b) as f64 / held.len().max(1) as f64;
    for (i, (name, _)) in pids.iter().enumerate() {
        println!(
            "| {name} | {} KiB | {} KiB | {:.1} |",
            before[i],
            after[i],
            per(before[i], after[i])
        );
    }
    println!(
        "| web-bridge + media-gateway | {} KiB | {} KiB | {:.1} |",
        before[0] + before[1],
        after[0] + after[1],
        per(before[0] + before[1], after[0] + after[1])
    );

    let closing = Instant::now();
    stop.cancel();
    for h in held {
        let _ = h.await;
    }
    while server.pipelines().await? > 0 && closing.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "\nclosed every socket: {} pipelines left after {:.1} s",
        server.pipelines().await?,
        closing.elapsed().as_secs_f64()
    );
    // What the services warned about meanwhile (they log at `warn`): a clean run prints nothing here.
    for (name, process) in [
        ("web-bridge", &bridge.process),
        ("media-gateway", &gateway.process),
        ("media-server", &server.process),
    ] {
        print_warnings(name, &process.stderr_lines());
    }
    Ok(())
}

/// How many lines `name` logged, and its most frequent messages (digits masked, so one message that
/// differs only in times and ids counts once).
fn print_warnings(name: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut kinds = std::collections::HashMap::<String, usize>::new();
    for line in lines {
        let masked: String = line
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        *kinds.entry(masked).or_default() += 1;
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!("{name} logged {} lines:", lines.len());
    for (kind, count) in kinds.iter().take(8) {
        println!("  {count} × {kind}");
    }
}
