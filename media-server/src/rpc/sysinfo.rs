//! Process and host resource readings for the ServerManager (Linux `/proc`; zero elsewhere).

use std::time::Duration;

/// Resident memory of this process in KiB (`VmRSS`).
pub(super) fn used_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// (busy, total) jiffies of all CPUs from `/proc/stat`.
fn cpu_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let n: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = n.iter().sum();
    // idle + iowait are not busy.
    let idle = n.get(3).copied().unwrap_or(0) + n.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// Average host CPU use over `interval`, in percent (as KMS's `getUsedCpu`).
pub(super) async fn used_cpu_percent(interval: Duration) -> f64 {
    let Some((b0, t0)) = cpu_times() else {
        return 0.0;
    };
    tokio::time::sleep(interval).await;
    let Some((b1, t1)) = cpu_times() else {
        return 0.0;
    };
    let total = t1.saturating_sub(t0);
    if total == 0 {
        return 0.0;
    }
    100.0 * b1.saturating_sub(b0) as f64 / total as f64
}
