//! Per-stream RTP statistics of one endpoint: the latest str0m stats event per m-line and direction
//! (str0m emits them every [`STATS_INTERVAL`]), kept in the peer, and the plain snapshot the `Stats`
//! command answers with. No JSON here: `rpc/convert.rs` makes it Kurento's `getStats` shape.

use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::media::{MediaKind, Mid};
use str0m::stats::{MediaEgressStats, MediaIngressStats};

use super::event::MediaType;

/// How often str0m reports stats, and so the window each bitrate is measured over. KMS samples its
/// GStreamer stats on demand; once a second is what WebRTC stats dashboards poll at, and str0m's cost
/// per report is a walk over the streams.
pub(crate) const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// Streams remembered per endpoint. There is one per m-line and direction (a handful); str0m's mids
/// come from the negotiated offer, so the bound only guards against an offer with very many m-lines.
const MAX_STREAMS: usize = 64;

/// Which way a stream flows, seen from the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamDirection {
    /// Media the endpoint receives from its peer.
    Inbound,
    /// Media the endpoint sends to its peer.
    Outbound,
}

/// One stream's counters at the last stats report.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// The m-line's mid.
    pub mid: String,
    /// Audio or video, as negotiated for the m-line.
    pub kind: MediaType,
    /// Inbound or outbound.
    pub direction: StreamDirection,
    /// RTP packets, retransmissions included, since the stream started.
    pub packets: u64,
    /// RTP bytes, retransmissions included, since the stream started.
    pub bytes: u64,
    /// Outbound: the cumulative loss the peer's last receiver report gave. Inbound: `None`, as str0m
    /// keeps its own count private.
    pub packets_lost: Option<u64>,
    /// The fraction lost over the last report interval (0..=1), when a report said.
    pub fraction_lost: Option<f32>,
    /// Interarrival jitter in seconds: inbound as measured here, outbound as the peer reported it.
    pub jitter_seconds: Option<f64>,
    /// Round-trip time from RTCP (outbound: receiver reports; inbound: XR DLRR, rarely sent).
    pub round_trip_time: Option<Duration>,
    /// Bits per second over the last stats interval (0 until two reports were seen).
    pub bitrate_bps: u64,
    /// The negotiated codec's MIME type (`audio/opus`, `video/VP8`): the peer's preferred payload
    /// type for the m-line.
    pub codec: Option<String>,
    /// Full Intra Requests: inbound, sent to the peer; outbound, received from it.
    pub firs: u64,
    /// Picture Loss Indications, counted like `firs`.
    pub plis: u64,
    /// NACKs, counted like `firs`.
    pub nacks: u64,
}

/// What one str0m event said, plus the bitrate worked out against the event before it.
#[derive(Debug, Clone)]
struct Sample {
    mid: Mid,
    direction: StreamDirection,
    at: Instant,
    packets: u64,
    bytes: u64,
    packets_lost: Option<u64>,
    fraction_lost: Option<f32>,
    /// In RTP timestamp units; seconds need the codec's clock rate.
    jitter: Option<u32>,
    rtt: Option<Duration>,
    bitrate_bps: u64,
    firs: u64,
    plis: u64,
    nacks: u64,
}

/// The latest sample per (mid, direction).
#[derive(Debug, Default)]
pub(crate) struct MediaStats {
    samples: Vec<Sample>,
}

impl MediaStats {
    pub(super) fn on_ingress(&mut self, s: &MediaIngressStats) {
        // Simulcast layers (`rid`) are not negotiated by this server, so one sample per mid suffices.
        self.record(Sample {
            mid: s.mid,
            direction: StreamDirection::Inbound,
            at: s.timestamp,
            packets: s.packets,
            bytes: s.bytes,
            packets_lost: None,
            fraction_lost: s.loss,
            jitter: Some(s.jitter),
            rtt: s.rtt,
            bitrate_bps: 0,
            firs: s.firs,
            plis: s.plis,
            nacks: s.nacks,
        });
    }

    pub(super) fn on_egress(&mut self, s: &MediaEgressStats) {
        self.record(Sample {
            mid: s.mid,
            direction: StreamDirection::Outbound,
            at: s.timestamp,
            packets: s.packets,
            bytes: s.bytes,
            packets_lost: s.remote.as_ref().map(|r| r.packets_lost),
            fraction_lost: s.loss,
            jitter: s.remote.as_ref().map(|r| r.jitter),
            rtt: s.rtt,
            bitrate_bps: 0,
            firs: s.firs,
            plis: s.plis,
            nacks: s.nacks,
        });
    }

    fn record(&mut self, mut sample: Sample) {
        let slot = self
            .samples
            .iter()
            .position(|s| s.mid == sample.mid && s.direction == sample.direction);
        if let Some(prev) = slot.and_then(|i| self.samples.get_mut(i)) {
            sample.bitrate_bps = bitrate(prev, &sample);
            *prev = sample;
        } else if self.samples.len() < MAX_STREAMS {
            self.samples.push(sample);
        }
    }

    /// Every stream's latest counters; kind and codec come from what `rtc` negotiated for its m-line.
    pub(super) fn snapshot(&self, rtc: &Rtc) -> Vec<StreamStats> {
        self.samples
            .iter()
            .filter_map(|s| {
                let media = rtc.media(s.mid)?;
                let kind = media.kind();
                let params = media
                    .remote_pts()
                    .first()
                    .and_then(|pt| rtc.codec_config().find(|p| p.pt() == *pt));
                let clock_rate = params.map(|p| p.spec().clock_rate.get());
                let codec = params.map(|p| {
                    let top = match kind {
                        MediaKind::Audio => "audio",
                        MediaKind::Video => "video",
                    };
                    format!("{top}/{}", p.spec().codec)
                });
                let jitter_seconds = match (s.jitter, clock_rate) {
                    (Some(units), Some(rate)) if rate > 0 => {
                        Some(f64::from(units) / f64::from(rate))
                    }
                    _ => None,
                };
                Some(StreamStats {
                    mid: s.mid.to_string(),
                    kind: MediaType::from_kind(kind),
                    direction: s.direction,
                    packets: s.packets,
                    bytes: s.bytes,
                    packets_lost: s.packets_lost,
                    fraction_lost: s.fraction_lost,
                    jitter_seconds,
                    round_trip_time: s.rtt,
                    bitrate_bps: s.bitrate_bps,
                    codec,
                    firs: s.firs,
                    plis: s.plis,
                    nacks: s.nacks,
                })
            })
            .collect()
    }
}

/// Bits per second between two samples of one stream; 0 when time did not move or counters went back.
fn bitrate(prev: &Sample, now: &Sample) -> u64 {
    let secs = now.at.saturating_duration_since(prev.at).as_secs_f64();
    let bytes = now.bytes.saturating_sub(prev.bytes);
    if secs <= 0.0 {
        return 0;
    }
    // Saturating float-to-int conversion: `as` clamps, which is what a rate display wants.
    (bytes as f64 * 8.0 / secs) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: Instant, bytes: u64) -> Sample {
        Sample {
            mid: Mid::from("0"),
            direction: StreamDirection::Inbound,
            at,
            packets: 0,
            bytes,
            packets_lost: None,
            fraction_lost: None,
            jitter: None,
            rtt: None,
            bitrate_bps: 0,
            firs: 0,
            plis: 0,
            nacks: 0,
        }
    }

    #[test]
    fn bitrate_is_bytes_over_the_interval() {
        let t = Instant::now();
        let mut stats = MediaStats::default();
        stats.record(sample(t, 1_000));
        assert_eq!(stats.samples[0].bitrate_bps, 0, "one sample is no rate");
        stats.record(sample(t + Duration::from_millis(500), 51_000));
        assert_eq!(stats.samples.len(), 1);
        assert_eq!(stats.samples[0].bitrate_bps, 800_000);
        // Time standing still or counters going back (a restarted stream) give 0, never a panic.
        stats.record(sample(t + Duration::from_millis(500), 10));
        assert_eq!(stats.samples[0].bitrate_bps, 0);
    }
}
