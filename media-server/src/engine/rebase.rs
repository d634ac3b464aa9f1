//! Sequence numbers and RTP times of an outgoing stream whose packets come from another stream.
//!
//! Media is forwarded packet by packet (str0m's RTP mode), so the numbering on the wire is ours to
//! keep right: an outgoing stream starts with a rollover counter of 0 (the receiver cannot learn any
//! other, RFC 3711 section 3.3.1), so a source that has been sending for a while is renumbered from
//! its low 16 bits; and when a stream's source changes (a `connect` to another element), the new
//! source continues where the old one stopped, in sequence and in time, instead of jumping back or
//! repeating numbers the receiver has already seen. No sockets, no str0m state: plain arithmetic.

use std::time::Instant;

/// What an outgoing stream has put on the wire so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct OutStream {
    /// One past the highest extended sequence number written.
    next_seq: Option<u64>,
    /// RTP time of that packet and when it was written.
    last: Option<(u32, Instant)>,
}

/// How one source's packets are renumbered onto an outgoing stream, fixed at its first packet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rebase {
    /// Added to the source's extended sequence number.
    seq_offset: i64,
    /// The first outgoing sequence number of this source: anything that maps before it arrived
    /// late, from before the switch, and would reuse a number of the previous source.
    first: u64,
    /// Added (wrapping) to the source's RTP time.
    time_offset: u32,
}

/// A packet's place on the outgoing stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placed {
    pub seq: u64,
    pub time: u32,
}

impl Rebase {
    /// The renumbering for a source whose first packet here is `seq` at RTP time `time` (clock
    /// `clock_rate`), written at `now` onto `out`.
    pub(crate) fn start(
        out: &OutStream,
        seq: u64,
        time: u32,
        clock_rate: u32,
        now: Instant,
    ) -> Self {
        let first = match out.next_seq {
            // A fresh stream: the source's own numbers, with the rollover counter the receiver assumes.
            None => seq & 0xFFFF,
            Some(next) => next,
        };
        let time_offset = match out.last {
            None => 0,
            Some((last, at)) => {
                // Continue the old source's clock by the wall-clock time since its last packet (at
                // least one tick, so the new first packet never shares the old last one's time).
                let elapsed = now.saturating_duration_since(at).as_secs_f64();
                let ticks = ((elapsed * f64::from(clock_rate)) as u32).max(1);
                last.wrapping_add(ticks).wrapping_sub(time)
            }
        };
        Rebase {
            seq_offset: first as i64 - seq as i64,
            first,
            time_offset,
        }
    }

    /// Where a source packet goes on `out`, or `None` if it came too late to be sent (see `first`).
    /// Records it as written.
    pub(crate) fn place(
        &self,
        out: &mut OutStream,
        seq: u64,
        time: u32,
        now: Instant,
    ) -> Option<Placed> {
        let mapped = u64::try_from(seq as i64 + self.seq_offset).ok()?;
        if mapped < self.first {
            return None;
        }
        let placed = Placed {
            seq: mapped,
            time: time.wrapping_add(self.time_offset),
        };
        if out.next_seq.is_none_or(|next| mapped >= next) {
            out.next_seq = Some(mapped + 1);
            out.last = Some((placed.time, now));
        }
        Some(placed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_fresh_stream_passes_a_young_source_through() {
        let now = Instant::now();
        let mut out = OutStream::default();
        let rebase = Rebase::start(&out, 1234, 90_000, 90_000, now);
        for (seq, time) in [(1234, 90_000), (1236, 93_000), (1235, 90_000)] {
            let placed = rebase.place(&mut out, seq, time, now).expect("placed");
            assert_eq!(placed, Placed { seq, time });
        }
        assert_eq!(out.next_seq, Some(1237));
    }

    #[test]
    fn a_source_past_a_rollover_starts_the_stream_with_a_zero_rollover_counter() {
        let now = Instant::now();
        let mut out = OutStream::default();
        let seq = 3 * 65_536 + 17;
        let rebase = Rebase::start(&out, seq, 5, 48_000, now);
        assert_eq!(rebase.place(&mut out, seq, 5, now).map(|p| p.seq), Some(17));
        assert_eq!(
            rebase.place(&mut out, seq + 65_536, 5, now).map(|p| p.seq),
            Some(17 + 65_536),
            "its own rollovers carry on",
        );
    }

    #[test]
    fn a_new_source_continues_the_old_one_in_sequence_and_time() {
        let start = Instant::now();
        let mut out = OutStream::default();
        let old = Rebase::start(&out, 100, 1_000, 90_000, start);
        old.place(&mut out, 100, 1_000, start);
        old.place(&mut out, 101, 4_000, start);

        let later = start + Duration::from_millis(100);
        let new = Rebase::start(&out, 50_000, 777_777, 90_000, later);
        let first = new.place(&mut out, 50_000, 777_777, later).expect("placed");
        assert_eq!(first.seq, 102, "right after the old source's last packet");
        assert_eq!(first.time, 4_000 + 9_000, "100 ms of a 90 kHz clock later");
        let next = new.place(&mut out, 50_001, 780_777, later).expect("placed");
        assert_eq!((next.seq, next.time), (103, 16_000));
    }

    #[test]
    fn a_packet_from_before_the_switch_is_not_sent_over_the_old_sources_numbers() {
        let now = Instant::now();
        let mut out = OutStream::default();
        let old = Rebase::start(&out, 10, 0, 90_000, now);
        old.place(&mut out, 10, 0, now);
        let new = Rebase::start(&out, 500, 0, 90_000, now);
        new.place(&mut out, 500, 0, now);
        assert_eq!(new.place(&mut out, 499, 0, now), None, "would reuse 10");
        assert_eq!(new.place(&mut out, 0, 0, now), None, "would be negative");
        assert_eq!(out.next_seq, Some(12));
    }

    #[test]
    fn times_wrap_like_rtp_times() {
        let now = Instant::now();
        let mut out = OutStream::default();
        let rebase = Rebase::start(&out, 1, u32::MAX - 10, 90_000, now);
        let placed = rebase.place(&mut out, 2, 5, now).expect("placed");
        assert_eq!(placed.time, 5);
        let at_start = Rebase::start(&out, 9, 0, 90_000, now);
        assert_eq!(at_start.place(&mut out, 9, 0, now).map(|p| p.time), Some(6));
    }
}
