//! The echo check's bookkeeping: what was sent, what came back, and the report. Pure: every function takes
//! the time it should use, so the matching logic is tested without sockets.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::payload::{self, MediaKind};

/// How an echo check runs. `Default` gives a 3 s check at 50 frames per second per kind.
#[derive(Debug, Clone)]
pub struct EchoCheckConfig {
    /// How long frames are sent, counted from the moment the peer is connected.
    pub duration: Duration,
    /// Frames per second on each enabled media kind (1..=1000).
    pub packets_per_second: u32,
    /// How long to wait for ICE and DTLS to connect before giving up.
    pub connect_timeout: Duration,
    /// How long to keep listening for echoes after the last frame was sent.
    pub drain: Duration,
    /// Pattern bytes in each audio frame (the frame is 20 bytes longer).
    pub audio_payload_bytes: u16,
    /// Pattern bytes in each video frame, before the per-frame variation of up to 63 extra bytes that
    /// catches truncation. Kept well under one MTU so a server that echoes packet by packet and one that
    /// repacketizes frames see the same single packet.
    pub video_payload_bytes: u16,
}

impl Default for EchoCheckConfig {
    fn default() -> Self {
        EchoCheckConfig {
            duration: Duration::from_secs(3),
            packets_per_second: 50,
            connect_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(1),
            audio_payload_bytes: 60,
            video_payload_bytes: 300,
        }
    }
}

/// Largest pattern accepted, so every frame fits one RTP packet with room for headers and extensions.
pub const MAX_PAYLOAD_BYTES: u16 = 1000;

impl EchoCheckConfig {
    /// Rejects settings that cannot produce a meaningful check.
    pub fn validate(&self) -> Result<(), String> {
        if self.duration.is_zero() {
            return Err("duration must be more than zero".into());
        }
        if !(1..=1000).contains(&self.packets_per_second) {
            return Err(format!(
                "packets_per_second must be 1..=1000, not {}",
                self.packets_per_second
            ));
        }
        if self.audio_payload_bytes > MAX_PAYLOAD_BYTES
            || self.video_payload_bytes > MAX_PAYLOAD_BYTES
        {
            return Err(format!(
                "payload sizes must be at most {MAX_PAYLOAD_BYTES} bytes"
            ));
        }
        Ok(())
    }

    /// The gap between two frames of one kind.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(1) / self.packets_per_second.max(1)
    }

    /// The pattern length of frame `seq` of `kind`.
    pub fn pattern_len(&self, kind: MediaKind, seq: u32) -> u16 {
        match kind {
            MediaKind::Audio => self.audio_payload_bytes,
            MediaKind::Video => self.video_payload_bytes + (seq % 64) as u16,
        }
    }
}

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
    pub min: Duration,
    pub median: Duration,
    pub p95: Duration,
    pub max: Duration,
}

/// What one echo check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EchoReport {
    /// From the start of the check until ICE and DTLS were up (zero when already connected).
    pub connected_after: Duration,
    /// From the start of the check until the first intact echo, if any came back.
    pub first_echo_after: Option<Duration>,
    pub audio: KindCounts,
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

struct Sent {
    bytes: Vec<u8>,
    at: Instant,
    echoed: bool,
}

/// Matches echoed frames against the frames sent during one check.
pub struct EchoTracker {
    started: Instant,
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
    pub fn new(started: Instant) -> Self {
        EchoTracker {
            started,
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
    pub fn frame(&self, cfg: &EchoCheckConfig, kind: MediaKind, seq: u32, now: Instant) -> Vec<u8> {
        let sent_us = now.saturating_duration_since(self.started).as_micros() as u64;
        payload::encode(kind, seq, sent_us, cfg.pattern_len(kind, seq))
    }

    /// Remembers that `bytes`, frame `seq` of `kind`, went out at `now`.
    pub fn record_sent(&mut self, kind: MediaKind, seq: u32, bytes: Vec<u8>, now: Instant) {
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
    pub fn on_echo(&mut self, kind: MediaKind, frame: &[u8], now: Instant) {
        let id = match payload::decode(kind, frame) {
            Ok(id) => id,
            Err(e) => return self.mismatch(format!("{kind} frame of {} bytes: {e}", frame.len())),
        };
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
    pub fn on_keyframe_request(&mut self) {
        self.keyframe_requests += 1;
    }

    /// True when every frame sent so far came back.
    pub fn all_echoed(&self) -> bool {
        self.sent.values().all(|s| s.echoed)
    }

    /// The report, with `connected_at` the moment the peer was connected.
    pub fn report(&self, connected_at: Instant) -> EchoReport {
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

/// Nearest-rank percentiles over the samples.
fn rtt_stats(samples: &[Duration]) -> Option<RttStats> {
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
        let forged = payload::encode(MediaKind::Audio, 3, 1, cfg.audio_payload_bytes);
        tr.on_echo(MediaKind::Audio, &forged, t0);
        // Never sent.
        tr.on_echo(
            MediaKind::Audio,
            &payload::encode(MediaKind::Audio, 9, 0, 4),
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

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<_> = (1..=100).map(ms).collect();
        let s = rtt_stats(&samples).map(|s| (s.min, s.median, s.p95, s.max));
        assert_eq!(s, Some((ms(1), ms(50), ms(95), ms(100))));
        assert_eq!(rtt_stats(&[]), None);
    }

    #[test]
    fn bad_configs_are_rejected() {
        let ok = EchoCheckConfig::default();
        assert!(ok.validate().is_ok());
        assert!(
            EchoCheckConfig {
                packets_per_second: 0,
                ..ok.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            EchoCheckConfig {
                duration: Duration::ZERO,
                ..ok.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            EchoCheckConfig {
                video_payload_bytes: 5000,
                ..ok
            }
            .validate()
            .is_err()
        );
    }
}
