//! Matches echoed frames against the frames sent during one check. Pure: every function takes the time it
//! should use, so the matching logic is tested without sockets.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::echo_config::EchoCheckConfig;
use crate::echo_report::{EchoReport, KindCounts, rtt_stats};
use crate::payload::{self, MediaKind};

struct Sent {
    bytes: Vec<u8>,
    at: Instant,
    echoed: bool,
}

/// Matches echoed frames against the frames sent during one check.
pub(crate) struct EchoTracker {
    started: Instant,
    /// Random per check, carried in every frame: frames of another peer are counted as mismatches.
    stream: u32,
    sent: HashMap<(MediaKind, u32), Sent>,
    audio: KindCounts,
    video: KindCounts,
    mismatches: u64,
    mismatch_examples: Vec<String>,
    rtts: Vec<Duration>,
    first_echo: Option<Instant>,
    keyframe_requests: u64,
}

impl EchoTracker {
    /// A tracker for a check that started at `started`.
    pub(crate) fn new(started: Instant) -> Self {
        EchoTracker {
            started,
            stream: rand::random(),
            sent: HashMap::new(),
            audio: KindCounts::default(),
            video: KindCounts::default(),
            mismatches: 0,
            mismatch_examples: Vec::new(),
            rtts: Vec::new(),
            first_echo: None,
            keyframe_requests: 0,
        }
    }

    /// The bytes of frame `seq` of `kind` when sent at `now`.
    pub(crate) fn frame(
        &self,
        cfg: &EchoCheckConfig,
        kind: MediaKind,
        seq: u32,
        now: Instant,
    ) -> Vec<u8> {
        let sent_us = now.saturating_duration_since(self.started).as_micros() as u64;
        payload::encode(self.stream, kind, seq, sent_us, cfg.pattern_len(kind, seq))
    }

    /// Remembers that `bytes`, frame `seq` of `kind`, went out at `now`.
    pub(crate) fn record_sent(&mut self, kind: MediaKind, seq: u32, bytes: Vec<u8>, now: Instant) {
        self.counts(kind).sent += 1;
        self.sent.insert(
            (kind, seq),
            Sent {
                bytes,
                at: now,
                echoed: false,
            },
        );
    }

    /// Accounts for a frame received on `kind`'s m-line at `now`.
    pub(crate) fn on_echo(&mut self, kind: MediaKind, frame: &[u8], now: Instant) {
        let id = match payload::decode(kind, frame) {
            Ok(id) => id,
            Err(e) => return self.mismatch(format!("{kind} frame of {} bytes: {e}", frame.len())),
        };
        if id.stream != self.stream {
            return self.mismatch(format!(
                "{kind} frame #{} belongs to another peer's stream",
                id.seq
            ));
        }
        let Some(sent) = self.sent.get_mut(&(kind, id.seq)) else {
            return self.mismatch(format!("{kind} frame #{} was never sent", id.seq));
        };
        if sent.bytes != frame {
            return self.mismatch(format!(
                "{kind} frame #{} differs from the frame sent",
                id.seq
            ));
        }
        if sent.echoed {
            self.counts(kind).duplicates += 1;
            return;
        }
        sent.echoed = true;
        let rtt = now.saturating_duration_since(sent.at);
        self.rtts.push(rtt);
        self.first_echo.get_or_insert(now);
        self.counts(kind).echoed += 1;
    }

    /// Counts a keyframe request from the remote side.
    pub(crate) fn on_keyframe_request(&mut self) {
        self.keyframe_requests += 1;
    }

    /// True when every frame sent so far came back.
    pub(crate) fn all_echoed(&self) -> bool {
        self.sent.values().all(|s| s.echoed)
    }

    /// The report, with `connected_at` the moment the peer was connected.
    pub(crate) fn report(&self, connected_at: Instant) -> EchoReport {
        EchoReport {
            connected_after: connected_at.saturating_duration_since(self.started),
            first_echo_after: self
                .first_echo
                .map(|t| t.saturating_duration_since(self.started)),
            audio: self.audio,
            video: self.video,
            mismatches: self.mismatches,
            mismatch_examples: self.mismatch_examples.clone(),
            rtt: rtt_stats(&self.rtts),
            keyframe_requests: self.keyframe_requests,
        }
    }

    fn counts(&mut self, kind: MediaKind) -> &mut KindCounts {
        match kind {
            MediaKind::Audio => &mut self.audio,
            MediaKind::Video => &mut self.video,
        }
    }

    fn mismatch(&mut self, what: String) {
        self.mismatches += 1;
        if self.mismatch_examples.len() < 5 {
            self.mismatch_examples.push(what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo_report::RttStats;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    trait SendFrame {
        fn make_frame(
            &mut self,
            cfg: &EchoCheckConfig,
            kind: MediaKind,
            seq: u32,
            now: Instant,
        ) -> Vec<u8>;
    }

    impl SendFrame for EchoTracker {
        fn make_frame(
            &mut self,
            cfg: &EchoCheckConfig,
            kind: MediaKind,
            seq: u32,
            now: Instant,
        ) -> Vec<u8> {
            let bytes = self.frame(cfg, kind, seq, now);
            self.record_sent(kind, seq, bytes.clone(), now);
            bytes
        }
    }

    #[test]
    fn intact_echoes_are_counted_with_their_round_trip() {
        let cfg = EchoCheckConfig::default();
        let t0 = Instant::now();
        let mut tr = EchoTracker::new(t0);
        let a = tr.make_frame(&cfg, MediaKind::Audio, 0, t0 + ms(100));
        let v = tr.make_frame(&cfg, MediaKind::Video, 0, t0 + ms(100));
        tr.on_echo(MediaKind::Video, &v, t0 + ms(104));
        tr.on_echo(MediaKind::Audio, &a, t0 + ms(110));
        let r = tr.report(t0 + ms(90));
        assert_eq!(r.connected_after, ms(90));
        assert_eq!(r.first_echo_after, Some(ms(104)));
        assert_eq!(
            r.audio,
            KindCounts {
                sent: 1,
                echoed: 1,
                duplicates: 0
            }
        );
        assert_eq!(
            r.video,
            KindCounts {
                sent: 1,
                echoed: 1,
                duplicates: 0
            }
        );
        assert_eq!(
            r.rtt,
            Some(RttStats {
                min: ms(4),
                median: ms(4),
                p95: ms(10),
                max: ms(10)
            })
        );
        assert_eq!(r.mismatches, 0);
        assert!(tr.all_echoed());
        assert!(r.is_intact(1.0));
    }

    #[test]
    fn corrupted_foreign_and_wrong_kind_frames_are_mismatches() {
        let cfg = EchoCheckConfig::default();
        let t0 = Instant::now();
        let mut tr = EchoTracker::new(t0);
        let mut v = tr.make_frame(&cfg, MediaKind::Video, 3, t0);
        let a = tr.make_frame(&cfg, MediaKind::Audio, 3, t0);
        // Same header, other send time: decodes, but is not what was sent.
        let forged = payload::encode(tr.stream, MediaKind::Audio, 3, 1, cfg.audio_payload_bytes);
        tr.on_echo(MediaKind::Audio, &forged, t0);
        // Never sent.
        tr.on_echo(
            MediaKind::Audio,
            &payload::encode(tr.stream, MediaKind::Audio, 9, 0, 4),
            t0,
        );
        // Audio frame arriving on the video m-line.
        tr.on_echo(MediaKind::Video, &a, t0);
        let last = v.len() - 1;
        v[last] ^= 1;
        tr.on_echo(MediaKind::Video, &v, t0);
        let r = tr.report(t0);
        assert_eq!(r.mismatches, 4);
        assert_eq!(r.mismatch_examples.len(), 4);
        assert_eq!(r.audio.echoed + r.video.echoed, 0);
        assert_eq!(r.rtt, None);
        assert!(!r.is_intact(0.0));
        assert!(!tr.all_echoed());

        // Another peer's frame with the same kind and number (a crossed stream) is not ours either.
        let mut other = EchoTracker::new(t0);
        other.stream = tr.stream.wrapping_add(1);
        let theirs = other.make_frame(&cfg, MediaKind::Audio, 3, t0);
        tr.record_sent(MediaKind::Audio, 3, a.clone(), t0);
        tr.on_echo(MediaKind::Audio, &theirs, t0);
        assert_eq!(tr.report(t0).mismatches, 5);
        assert_eq!(tr.report(t0).audio.echoed, 0);
    }

    #[test]
    fn duplicates_are_counted_once() {
        let cfg = EchoCheckConfig::default();
        let t0 = Instant::now();
        let mut tr = EchoTracker::new(t0);
        let a = tr.make_frame(&cfg, MediaKind::Audio, 0, t0);
        tr.on_echo(MediaKind::Audio, &a, t0 + ms(1));
        tr.on_echo(MediaKind::Audio, &a, t0 + ms(2));
        let r = tr.report(t0);
        assert_eq!(
            r.audio,
            KindCounts {
                sent: 1,
                echoed: 1,
                duplicates: 1
            }
        );
        assert_eq!(r.rtt.map(|s| s.max), Some(ms(1)));
    }

    #[test]
    fn loss_below_the_ratio_fails_the_verdict() {
        let cfg = EchoCheckConfig::default();
        let t0 = Instant::now();
        let mut tr = EchoTracker::new(t0);
        let frames: Vec<_> = (0..10)
            .map(|s| tr.make_frame(&cfg, MediaKind::Audio, s, t0))
            .collect();
        for f in &frames[..8] {
            tr.on_echo(MediaKind::Audio, f, t0 + ms(5));
        }
        let r = tr.report(t0);
        assert!(r.is_intact(0.8));
        assert!(!r.is_intact(0.9));
    }
}
