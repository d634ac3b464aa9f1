//! The chaos benchmark: the fault suite's scenarios at the sizes, on the real (release) binaries,
//! printing one table row per scenario: sessions tried, pipelines the media server held when the fault hit,
//! pipelines left, and the time until it held none. It asserts nothing; `scripts/chaos.sh` builds the
//! binaries and runs it. `CHAOS_SCALE` (default 1.0) scales every size, for a quick look; `CHAOS_ONLY`
//! (mass, churn, cuts, late, gateway, bridge, silent) runs only the scenarios whose key contains it.

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
    // CHAOS_ONLY=<text>: only the scenarios whose key contains it.
    let only = std::env::var("CHAOS_ONLY").unwrap_or_default();
    let wanted = |key: &str| key.contains(only.as_str());
    let mut leftovers = Vec::new();
    for key in [
        "mass", "churn", "cuts", "late", "gateway", "bridge", "silent",
    ] {
        if !wanted(key) {
            continue;
        }
        let r = match key {
            "mass" => faults::mass_disconnect(scaled(4000)).await,
            "churn" => faults::churn(scaled(3000), 50).await,
            "cuts" => faults::link_cuts(scaled(400)).await,
            "late" => faults::late_answers(scaled(200)).await,
            "gateway" => faults::gateway_killed(scaled(1000), 30).await,
            "bridge" => faults::bridge_killed(scaled(1000), 10).await,
            _ => faults::silent_watchers(scaled(200), 5).await,
        };
        match r {
            Ok(o) => {
                println!("{}", o.row());
                leftovers.extend(o.leftovers.iter().map(|l| format!("{}: {l}", o.scenario)));
            }
            Err(e) => println!("| {key}: failed to run: {e:#} | | | | |"),
        }
    }
    for l in leftovers {
        println!("left: {l}");
    }
    println!(
        "\n(all scenarios in {:.0} s; settle limit {} s)",
        began.elapsed().as_secs_f64(),
        faults::SETTLE_LIMIT.as_secs()
    );
    Ok(())
}
