//! A budget for the warnings a media server can provoke: a hostile or broken server sending bad frames
//! without end must not flood the gateway's log (nor its disk). Up to `per_window` warnings a window are
//! written; the rest are counted and reported in one line when the next window opens. Sans-IO: the caller
//! passes the time.

use std::time::{Duration, Instant};

/// Warnings allowed per window, and the window.
#[derive(Debug)]
pub(super) struct LogBudget {
    per_window: u32,
    window: Duration,
    opened: Option<Instant>,
    spent: u32,
    suppressed: u64,
}

/// What the caller should do with one warning.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Write it; first say that `suppressed` earlier ones were dropped, if any were.
    Log { suppressed: u64 },
    /// Drop it (counted).
    Suppress,
}

impl LogBudget {
    pub(super) fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window: per_window.max(1),
            window,
            opened: None,
            spent: 0,
            suppressed: 0,
        }
    }

    pub(super) fn spend(&mut self, now: Instant) -> Verdict {
        let expired = self
            .opened
            .is_none_or(|t| now.duration_since(t) >= self.window);
        if expired {
            self.opened = Some(now);
            self.spent = 0;
        }
        if self.spent >= self.per_window {
            self.suppressed += 1;
            return Verdict::Suppress;
        }
        self.spent += 1;
        Verdict::Log {
            suppressed: std::mem::take(&mut self.suppressed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_costs_a_few_lines_a_window() {
        let t0 = Instant::now();
        let mut b = LogBudget::new(2, Duration::from_secs(10));
        assert_eq!(b.spend(t0), Verdict::Log { suppressed: 0 });
        assert_eq!(b.spend(t0), Verdict::Log { suppressed: 0 });
        for _ in 0..1000 {
            assert_eq!(b.spend(t0 + Duration::from_secs(1)), Verdict::Suppress);
        }
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.spend(later), Verdict::Log { suppressed: 1000 });
        assert_eq!(b.spend(later), Verdict::Log { suppressed: 0 });
        assert_eq!(b.spend(later), Verdict::Suppress);
    }
}
