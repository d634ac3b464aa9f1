//! What an echo check measured: counts per kind, round-trip statistics and the intact verdict.

use std::time::Duration;

/// Frames of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Frames handed to str0m for sending.
    pub sent: u64,
    /// Distinct sent frames that came back identical.
    pub echoed: u64,
    /// Frames that came back more than once (after the first copy).
    pub duplicates: u64,
}

/// Round-trip times of the echoed frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttStats {
    /// The fastest round trip.
    pub min: Duration,
    /// The nearest-rank 50th percentile round trip.
    pub median: Duration,
    /// The nearest-rank 95th percentile round trip.
    pub p95: Duration,
    /// The slowest round trip.
    pub max: Duration,
}

/// What one echo check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EchoReport {
    /// From the start of the check until ICE and DTLS were up (zero when already connected).
    pub connected_after: Duration,
    /// From the start of the check until the first intact echo, if any came back.
    pub first_echo_after: Option<Duration>,
    /// Opus frames sent, echoed and duplicated.
    pub audio: KindCounts,
    /// VP8 frames sent, echoed and duplicated.
    pub video: KindCounts,
    /// Received frames that did not match any sent frame byte for byte. Must be 0.
    pub mismatches: u64,
    /// Up to five descriptions of mismatches, for a person to read.
    pub mismatch_examples: Vec<String>,
    /// Over all intact echoes of both kinds; `None` when nothing came back.
    pub rtt: Option<RttStats>,
    /// PLI/FIR requests the remote side sent for our video.
    pub keyframe_requests: u64,
}

impl EchoReport {
    /// True when nothing came back corrupted and, for every kind that was sent, at least `min_ratio` of
    /// the frames came back (a server may drop the first frames while its pipeline is still connecting).
    pub fn is_intact(&self, min_ratio: f64) -> bool {
        let kind_ok = |c: &KindCounts| {
            c.sent == 0 || (c.echoed > 0 && c.echoed as f64 >= min_ratio * c.sent as f64)
        };
        self.mismatches == 0
            && (self.audio.sent + self.video.sent) > 0
            && kind_ok(&self.audio)
            && kind_ok(&self.video)
    }
}

/// Nearest-rank percentiles over the samples.
pub(crate) fn rtt_stats(samples: &[Duration]) -> Option<RttStats> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let last = sorted.len().checked_sub(1)?;
    // The smallest sample with at least p% of the samples at or below it.
    let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
    Some(RttStats {
        min: sorted[0],
        median: rank(50),
        p95: rank(95),
        max: sorted[last],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<_> = (1..=100).map(ms).collect();
        let s = rtt_stats(&samples).map(|s| (s.min, s.median, s.p95, s.max));
        assert_eq!(s, Some((ms(1), ms(50), ms(95), ms(100))));
        assert_eq!(rtt_stats(&[]), None);
    }
}
