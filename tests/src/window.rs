//! The benchmarks' steady window: CPU and memory are compared only while every peer sends and none has
//! stopped, so set-up and tear-down do not blur the per-packet cost.

use std::time::Duration;

/// The `samples` (`(time since the start, cpu, rss)`) inside the window that opens `margin` after the last
/// peer began sending and closes `margin` before the first one stopped (its start plus `window`); empty
/// without peers.
pub fn steady<'s, C, R>(
    samples: &'s [(Duration, C, R)],
    began: &[Duration],
    window: Duration,
    margin: Duration,
) -> Vec<&'s (Duration, C, R)> {
    let (Some(last), Some(first)) = (began.iter().max(), began.iter().min()) else {
        return Vec::new();
    };
    let from = *last + margin;
    let to = (*first + window).saturating_sub(margin);
    samples
        .iter()
        .filter(|(t, _, _)| *t >= from && *t <= to)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_samples_while_every_peer_sends() {
        let s = |ms: u64| (Duration::from_millis(ms), ms, ());
        let samples: Vec<_> = [0, 400, 900, 1500, 2100, 2600].into_iter().map(s).collect();
        let began = [Duration::from_millis(100), Duration::from_millis(300)];
        let inside = steady(
            &samples,
            &began,
            Duration::from_secs(3),
            Duration::from_millis(500),
        );
        let times: Vec<u64> = inside.iter().map(|s| s.1).collect();
        assert_eq!(times, [900, 1500, 2100, 2600]);
        assert!(
            steady(
                &samples,
                &began,
                Duration::from_millis(900),
                Duration::from_millis(500)
            )
            .is_empty()
        );
        assert!(steady(&samples, &[], Duration::from_secs(3), Duration::ZERO).is_empty());
    }
}
