//! One running echo check inside the peer's driver task: waits for the connection, writes probe frames on
//! schedule through str0m's frame API, feeds what comes back to the tracker, and decides when it is over.

use std::time::Instant;

use str0m::Rtc;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};

use crate::echo::EchoTracker;
use crate::echo_config::EchoCheckConfig;
use crate::echo_report::EchoReport;
use crate::error::PeerError;
use crate::payload::MediaKind;

enum Phase {
    Connecting { deadline: Instant },
    Sending { until: Instant },
    Draining { until: Instant },
}

/// A check in progress. The driver calls [`Check::poll`] whenever it wakes and stops when it returns
/// `Some`.
pub(crate) struct Check {
    cfg: EchoCheckConfig,
    kinds: Vec<(MediaKind, Mid)>,
    tracker: EchoTracker,
    phase: Phase,
    started: Instant,
    connected_at: Option<Instant>,
    next_seq: u32,
    next_send: Instant,
}

impl Check {
    /// A check over `kinds` that starts at `now`.
    pub(crate) fn new(cfg: EchoCheckConfig, kinds: Vec<(MediaKind, Mid)>, now: Instant) -> Self {
        let deadline = now + cfg.connect_timeout;
        Check {
            tracker: EchoTracker::new(now),
            cfg,
            kinds,
            phase: Phase::Connecting { deadline },
            started: now,
            connected_at: None,
            next_seq: 0,
            next_send: now,
        }
    }

    /// When the check next needs to run; a moment already past when it can move on right away (the peer
    /// just connected, or every frame came back).
    pub(crate) fn wake_at(&self, connected: bool) -> Instant {
        match self.phase {
            Phase::Connecting { .. } if connected => self.started,
            Phase::Connecting { deadline } => deadline,
            Phase::Sending { until } => self.next_send.min(until),
            Phase::Draining { .. } if self.tracker.all_echoed() => self.started,
            Phase::Draining { until } => until,
        }
    }

    /// Advances the check to `now`: notices the connection (`connected_at` is when the driver saw str0m
    /// connect), writes every frame that is due, and ends the check when its time is up.
    pub(crate) fn poll(
        &mut self,
        now: Instant,
        connected_at: Option<Instant>,
        rtc: &mut Rtc,
    ) -> Option<Result<EchoReport, PeerError>> {
        if let Phase::Connecting { deadline } = self.phase {
            match connected_at {
                Some(at) => {
                    // Counted from when the check began if the peer was already connected before it.
                    let at = at.max(self.started);
                    self.connected_at = Some(at);
                    self.next_send = now;
                    self.phase = Phase::Sending {
                        until: now + self.cfg.duration,
                    };
                }
                None if now >= deadline => {
                    return Some(Err(PeerError::ConnectTimeout(self.cfg.connect_timeout)));
                }
                None => return None,
            }
        }
        if let Phase::Sending { until } = self.phase {
            while self.next_send <= now && self.next_send < until {
                self.send_frames(now, rtc);
                self.next_send += self.cfg.interval();
            }
            if now >= until {
                self.phase = Phase::Draining {
                    until: now + self.cfg.drain,
                };
            }
        }
        if let Phase::Draining { until } = self.phase {
            // Stop early when everything came back: a healthy check should not pay the whole drain time.
            if now >= until || self.tracker.all_echoed() {
                let connected_at = self.connected_at.unwrap_or(now);
                return Some(Ok(self.tracker.report(connected_at)));
            }
        }
        None
    }

    /// A frame arrived on the m-line of `kind`.
    pub(crate) fn on_media(&mut self, kind: MediaKind, data: &[u8], now: Instant) {
        self.tracker.on_echo(kind, data, now);
    }

    /// The remote side asked for a keyframe.
    pub(crate) fn on_keyframe_request(&mut self) {
        self.tracker.on_keyframe_request();
    }

    /// Writes frame `next_seq` on every kind. A kind whose m-line the answer rejected, or whose codec was
    /// not accepted, has no writer or payload type and is skipped: the report then shows 0 sent for it.
    fn send_frames(&mut self, now: Instant, rtc: &mut Rtc) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let elapsed_us = now.saturating_duration_since(self.started).as_micros() as u64;
        for &(kind, mid) in &self.kinds {
            let (codec, rate) = match kind {
                MediaKind::Audio => (Codec::Opus, Frequency::FORTY_EIGHT_KHZ),
                MediaKind::Video => (Codec::Vp8, Frequency::NINETY_KHZ),
            };
            let Some(writer) = rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer
                .payload_params()
                .find(|p| p.spec().codec == codec)
                .map(str0m::format::PayloadParams::pt)
            else {
                continue;
            };
            let rtp_time = MediaTime::new(elapsed_us * u64::from(rate.get()) / 1_000_000, rate);
            let frame = self.tracker.frame(&self.cfg, kind, seq, now);
            match writer.write(pt, now, rtp_time, frame.clone()) {
                Ok(()) => self.tracker.record_sent(kind, seq, frame, now),
                Err(e) => tracing::warn!(%kind, seq, error = %e, "str0m refused a probe frame"),
            }
        }
    }
}
