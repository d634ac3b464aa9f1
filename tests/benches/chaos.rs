//! The chaos benchmark: the fault suite's scenarios at the sizes, on the real (release) binaries,
//! printing one table row per scenario: sessions tried, pipelines the media server held when the fault hit,
//! pipelines left, and the time until it held none. It asserts nothing; `scripts/chaos.sh` builds the
//! binaries and runs it. `CHAOS_SCALE` (default 1.0) scales every size, for a quick look.

use e2e_tests::faults;
use std::time::Instant;

fn scaled(n: usize) -> usize {
    let scale: f64 = std::env::var("CHAOS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale).round() as usize).max(1)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let began = Instant::now();
    println!("| scenario | sessions | pipelines held | pipelines left | time to none |");
    println!("|---|---:|---:|---:|---:|");
    let runs: Vec<anyhow::Result<faults::Outcome>> = vec![
        faults::mass_disconnect(scaled(4000)).await,
        faults::churn(scaled(3000), 50).await,
        faults::link_cuts(scaled(400)).await,
        faults::late_answers(scaled(200)).await,
        faults::gateway_killed(scaled(1000), 30).await,
        faults::bridge_killed(scaled(1000), 10).await,
        faults::silent_watchers(scaled(200), 5).await,
    ];
    for r in runs {
        match r {
            Ok(o) => println!("{}", o.row()),
            Err(e) => println!("| failed to run: {e:#} | | | | |"),
        }
    }
    println!(
        "\n(all scenarios in {:.0} s; settle limit {} s)",
        began.elapsed().as_secs_f64(),
        faults::SETTLE_LIMIT.as_secs()
    );
    Ok(())
}
