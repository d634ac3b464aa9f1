//! The server's own view of the probe's session: GetSessionStats' streams, parsed once into typed values
//! (durations, enums) that the report prints and compares with the probe's own counts.

use std::time::Duration;

use media_proto::v1::{FlowDirection, MediaKind, MediaStats};

/// One RTP stream as the media server reported it (GetSessionStats), taken once at the end of the echo
/// window, before Stop. Counters are totals since the stream started.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStream {
    /// Audio or video (`Unspecified` for a value this probe does not know).
    pub kind: MediaKind,
    /// `In`: what the server received from the probe. `Out`: what it sent back.
    pub direction: FlowDirection,
    /// RTP packets received (in) or sent (out), retransmissions included.
    pub packets: u64,
    /// RTP bytes received (in) or sent (out).
    pub bytes: u64,
    /// Packets lost as the server counts them (in) or as the probe's receiver reports said (out).
    pub packets_lost: i64,
    /// Interarrival jitter; `None` when the server gave 0 (not measured) or a value that is no duration.
    pub jitter: Option<Duration>,
    /// Round-trip time from RTCP; `None` until the server measured one.
    pub round_trip_time: Option<Duration>,
    /// Bits per second over the server's last stats interval (the embedded server: one second).
    pub bitrate_bps: u64,
    /// The codec as the server names it (`audio/opus`, `video/VP8`); may be empty.
    pub codec: String,
}

impl ServerStream {
    /// Reads one stream of a GetSessionStats answer. Nothing here trusts the numbers to be sane: a
    /// negative, infinite or NaN duration is `None`, an unknown enum value `Unspecified`.
    pub(crate) fn from_pb(s: &MediaStats) -> Self {
        ServerStream {
            kind: MediaKind::try_from(s.kind).unwrap_or(MediaKind::Unspecified),
            direction: FlowDirection::try_from(s.direction).unwrap_or(FlowDirection::Unspecified),
            packets: s.packets,
            bytes: s.bytes,
            packets_lost: s.packets_lost,
            jitter: seconds(s.jitter_seconds),
            round_trip_time: seconds(s.round_trip_time_seconds),
            bitrate_bps: s.bitrate_bps,
            codec: s.codec.clone(),
        }
    }

    /// `audio in`, `video out`, ...: how the report names the stream.
    pub fn label(&self) -> &'static str {
        match (self.kind, self.direction) {
            (MediaKind::Audio, FlowDirection::In) => "audio in",
            (MediaKind::Audio, FlowDirection::Out) => "audio out",
            (MediaKind::Video, FlowDirection::In) => "video in",
            (MediaKind::Video, FlowDirection::Out) => "video out",
            (MediaKind::Data, _) => "data",
            _ => "other",
        }
    }
}

/// A positive, finite number of seconds as a duration; the proto's 0 means "not measured".
fn seconds(v: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(v).ok().filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_nonsense_durations_are_not_measurements() {
        let pb = MediaStats {
            kind: MediaKind::Video as i32,
            direction: FlowDirection::Out as i32,
            packets: 10,
            bytes: 3000,
            packets_lost: -1,
            jitter_seconds: f64::NAN,
            round_trip_time_seconds: 0.0015,
            bitrate_bps: 24_000,
            codec: "video/VP8".into(),
        };
        let s = ServerStream::from_pb(&pb);
        assert_eq!(s.label(), "video out");
        assert_eq!(s.jitter, None);
        assert_eq!(s.round_trip_time, Some(Duration::from_micros(1500)));
        assert_eq!(s.packets_lost, -1);
        let odd = ServerStream::from_pb(&MediaStats {
            kind: 42,
            jitter_seconds: -1.0,
            ..MediaStats::default()
        });
        assert_eq!(odd.kind, MediaKind::Unspecified);
        assert_eq!((odd.jitter, odd.round_trip_time), (None, None));
        assert_eq!(odd.label(), "other");
    }
}
