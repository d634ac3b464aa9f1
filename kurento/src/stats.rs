//! What `MediaElement.getStats` returns: a map of stats id → `kurento.Stats` object (an "RTC stats
//! report"), typed for the two RTP entries the hello world reads, `RTCInboundRTPStreamStats`
//! (`type: "inboundrtp"`) and `RTCOutboundRTPStreamStats` (`"outboundrtp"`). Other entries (element,
//! endpoint, transport, candidate-pair stats) are skipped when read.
//!
//! Reading is tolerant, as for every answer a server gives: KMS fills fields from GStreamer and leaves
//! some out or zero, so a missing field reads as its default and an entry whose fields have the wrong
//! type is skipped rather than failing the whole report.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ErrorCode, RpcError};
use crate::types::{MODULE, MediaType};

/// The most RTP entries read from one report. A WebRtcEndpoint has one per SSRC and direction (a few);
/// the bound keeps a hostile or broken server from making the reader allocate without limit.
pub const MAX_RTP_ENTRIES: usize = 64;

/// Which way an RTP stream flows, as the media server sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RtpDirection {
    /// `inboundrtp`: media the server receives from its WebRTC peer.
    Inbound,
    /// `outboundrtp`: media the server sends to its WebRTC peer.
    Outbound,
}

impl RtpDirection {
    /// The `type` value (`kurento.StatsType`).
    pub fn stats_type(self) -> &'static str {
        match self {
            RtpDirection::Inbound => "inboundrtp",
            RtpDirection::Outbound => "outboundrtp",
        }
    }

    /// The `__type__` tag of the complex type.
    pub fn type_name(self) -> &'static str {
        match self {
            RtpDirection::Inbound => "RTCInboundRTPStreamStats",
            RtpDirection::Outbound => "RTCOutboundRTPStreamStats",
        }
    }

    fn from_stats_type(t: &str) -> Option<Self> {
        match t {
            "inboundrtp" => Some(RtpDirection::Inbound),
            "outboundrtp" => Some(RtpDirection::Outbound),
            _ => None,
        }
    }
}

/// The fields both RTP entries have, by their IDL names (`RTCRTPStreamStats` and its `Stats` parents),
/// plus `kind`, which the IDL lacks but WebRTC stats have: a server may write it, and a reader that
/// asked with `mediaType` knows the kind anyway.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Common {
    id: String,
    timestamp_millis: i64,
    /// A string in the IDL; a number is accepted too, as WebRTC's own stats write one.
    ssrc: Value,
    codec_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    packets_lost: i64,
    fraction_lost: f64,
    fir_count: i64,
    pli_count: i64,
    nack_count: i64,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Counts {
    packets_received: i64,
    bytes_received: i64,
    packets_sent: i64,
    bytes_sent: i64,
    jitter: f64,
    round_trip_time: f64,
    target_bitrate: f64,
}

/// One `inboundrtp` or `outboundrtp` entry of a stats report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RtpStreamStats {
    /// `id`: the stats object's id (the report's key).
    pub id: String,
    /// From `type`.
    pub direction: Option<RtpDirection>,
    /// `timestampMillis`: when the server took the sample, milliseconds since the Unix epoch.
    pub timestamp_millis: i64,
    /// `ssrc`: the stream's synchronization source, as a decimal string (KMS's type is String).
    pub ssrc: String,
    /// `codecId`: the codec, as the server names it (the embedded server: a MIME type, `video/VP8`).
    pub codec_id: String,
    /// `kind` (`audio`/`video`) when the server writes one, or the `mediaType` the report was asked for.
    pub kind: Option<MediaType>,
    /// `packetsReceived` (inbound) or `packetsSent` (outbound).
    pub packets: u64,
    /// `bytesReceived` (inbound) or `bytesSent` (outbound): RTP payload and header bytes.
    pub bytes: u64,
    /// `packetsLost`: inbound, lost on the way to the server; outbound, as the peer's receiver
    /// reports tell. Signed, as RTCP's cumulative loss is (duplicates can make it negative).
    pub packets_lost: i64,
    /// `fractionLost`: the fraction lost in the last report interval, 0..=1.
    pub fraction_lost: f64,
    /// `jitter` (inbound), in seconds.
    pub jitter_seconds: f64,
    /// `roundTripTime` (outbound), in seconds.
    pub round_trip_time_seconds: f64,
    /// `targetBitrate`, bits per second. KMS writes it on outbound entries only; the embedded server
    /// writes the rate it measured over its last stats interval on both.
    pub bitrate_bps: f64,
    /// `firCount`: Full Intra Requests (inbound: sent by the server; outbound: received).
    pub fir_count: u64,
    /// `pliCount`: Picture Loss Indications, same directions as `fir_count`.
    pub pli_count: u64,
    /// `nackCount`: negative acknowledgements, same directions as `fir_count`.
    pub nack_count: u64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn media_kind(s: &str) -> Option<MediaType> {
    MediaType::parse(&s.to_ascii_uppercase())
}

impl RtpStreamStats {
    /// Written as KMS writes it: tagged, with the IDL's field names.
    pub fn to_value(&self) -> Value {
        let direction = self.direction.unwrap_or(RtpDirection::Inbound);
        let common = Common {
            id: self.id.clone(),
            timestamp_millis: self.timestamp_millis,
            ssrc: self.ssrc.clone().into(),
            codec_id: self.codec_id.clone(),
            kind: self.kind.map(|k| k.as_str().to_ascii_lowercase()),
            packets_lost: self.packets_lost,
            fraction_lost: self.fraction_lost,
            fir_count: i64::try_from(self.fir_count).unwrap_or(i64::MAX),
            pli_count: i64::try_from(self.pli_count).unwrap_or(i64::MAX),
            nack_count: i64::try_from(self.nack_count).unwrap_or(i64::MAX),
        };
        let mut m = match serde_json::to_value(common) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let packets = i64::try_from(self.packets).unwrap_or(i64::MAX);
        let bytes = i64::try_from(self.bytes).unwrap_or(i64::MAX);
        let mut put = |k: &str, v: Value| {
            m.insert(k.into(), v);
        };
        put("type", direction.stats_type().into());
        put("isRemote", false.into());
        put("targetBitrate", self.bitrate_bps.into());
        match direction {
            RtpDirection::Inbound => {
                put("packetsReceived", packets.into());
                put("bytesReceived", bytes.into());
                put("jitter", self.jitter_seconds.into());
            }
            RtpDirection::Outbound => {
                put("packetsSent", packets.into());
                put("bytesSent", bytes.into());
                put("roundTripTime", self.round_trip_time_seconds.into());
            }
        }
        m.insert("__module__".into(), MODULE.into());
        m.insert("__type__".into(), direction.type_name().into());
        Value::Object(m)
    }

    /// One report entry; `None` for entries that are not RTP streams or do not read.
    fn from_value(key: &str, v: &Value) -> Option<Self> {
        let o = v.as_object()?;
        let direction = RtpDirection::from_stats_type(o.get("type")?.as_str()?)?;
        let common: Common = serde_json::from_value(v.clone()).ok()?;
        let counts: Counts = serde_json::from_value(v.clone()).ok()?;
        let (packets, bytes) = match direction {
            RtpDirection::Inbound => (counts.packets_received, counts.bytes_received),
            RtpDirection::Outbound => (counts.packets_sent, counts.bytes_sent),
        };
        Some(Self {
            id: if common.id.is_empty() {
                key.to_owned()
            } else {
                common.id
            },
            direction: Some(direction),
            timestamp_millis: common.timestamp_millis,
            ssrc: match common.ssrc {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            },
            codec_id: common.codec_id,
            kind: common.kind.as_deref().and_then(media_kind),
            packets: count(packets),
            bytes: count(bytes),
            packets_lost: common.packets_lost,
            fraction_lost: common.fraction_lost,
            jitter_seconds: counts.jitter,
            round_trip_time_seconds: counts.round_trip_time,
            bitrate_bps: counts.target_bitrate,
            fir_count: count(common.fir_count),
            pli_count: count(common.pli_count),
            nack_count: count(common.nack_count),
        })
    }
}

/// The RTP part of a `getStats` answer, in the order the server listed it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsReport {
    /// The inbound and outbound RTP entries (at most [`MAX_RTP_ENTRIES`]).
    pub rtp: Vec<RtpStreamStats>,
}

impl StatsReport {
    /// Written as KMS writes it: an object keyed by each entry's id.
    pub fn to_value(&self) -> Value {
        let m: Map<String, Value> = self
            .rtp
            .iter()
            .map(|s| (s.id.clone(), s.to_value()))
            .collect();
        Value::Object(m)
    }

    /// Reads a `getStats` result. `asked` is the `mediaType` the request named: entries without a
    /// `kind` of their own are of that kind. Anything but an object is 40001; entries that are not RTP
    /// streams, or whose fields have the wrong types, are skipped.
    pub fn from_value(v: &Value, asked: Option<MediaType>) -> Result<Self, RpcError> {
        let o = v.as_object().ok_or_else(|| {
            RpcError::new(
                ErrorCode::MarshallError,
                "a stats report should be an object",
            )
        })?;
        let rtp = o
            .iter()
            .filter_map(|(k, v)| RtpStreamStats::from_value(k, v))
            .map(|mut s| {
                s.kind = s.kind.or(asked);
                s
            })
            .take(MAX_RTP_ENTRIES)
            .collect();
        Ok(Self { rtp })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Shaped like KMS 7.2's answer to `getStats {mediaType: VIDEO}` on a WebRtcEndpoint in loopback:
    /// element stats and both RTP entries, with GStreamer's zeros and a float where an int64 may be.
    fn kms_video_report() -> Value {
        json!({
            "kurento-element-stats": {
                "__module__": "kurento", "__type__": "EndpointStats", "id": "kurento-element-stats",
                "type": "endpoint", "timestampMillis": 1700000000123_i64, "inputLatency": [],
                "E2ELatency": []
            },
            "kurento-inbound-rtp-1876544321": {
                "__module__": "kurento", "__type__": "RTCInboundRTPStreamStats",
                "id": "kurento-inbound-rtp-1876544321", "type": "inboundrtp",
                "timestampMillis": 1700000000123_i64, "ssrc": "1876544321", "associateStatsId": "",
                "isRemote": false, "mediaTrackId": "", "transportId": "", "codecId": "",
                "firCount": 0, "pliCount": 2, "nackCount": 1, "sliCount": 0, "remb": 0,
                "packetsLost": 3, "fractionLost": 0.0, "packetsReceived": 4211,
                "bytesReceived": 4123456, "jitter": 0.0021
            },
            "kurento-outbound-rtp-998877": {
                "__module__": "kurento", "__type__": "RTCOutboundRTPStreamStats",
                "id": "kurento-outbound-rtp-998877", "type": "outboundrtp",
                "timestampMillis": 1700000000123_i64, "ssrc": "998877", "firCount": 0,
                "pliCount": 4, "nackCount": 0, "packetsLost": -1, "fractionLost": 0.0,
                "packetsSent": 4190, "bytesSent": 4100001, "targetBitrate": 487000.0,
                "roundTripTime": 0.012
            }
        })
    }

    #[test]
    fn reads_a_kms_report() {
        let r = StatsReport::from_value(&kms_video_report(), Some(MediaType::Video)).unwrap();
        assert_eq!(r.rtp.len(), 2);
        let inbound = r
            .rtp
            .iter()
            .find(|s| s.direction == Some(RtpDirection::Inbound))
            .unwrap();
        assert_eq!(
            (inbound.packets, inbound.bytes, inbound.packets_lost),
            (4211, 4123456, 3)
        );
        assert_eq!(inbound.jitter_seconds, 0.0021);
        assert_eq!(inbound.kind, Some(MediaType::Video));
        assert_eq!((inbound.pli_count, inbound.nack_count), (2, 1));
        let outbound = r
            .rtp
            .iter()
            .find(|s| s.direction == Some(RtpDirection::Outbound))
            .unwrap();
        assert_eq!((outbound.packets, outbound.bytes), (4190, 4100001));
        assert_eq!(outbound.round_trip_time_seconds, 0.012);
        assert_eq!(outbound.bitrate_bps, 487000.0);
        assert_eq!(outbound.packets_lost, -1);
        assert_eq!(outbound.ssrc, "998877");
    }

    #[test]
    fn tolerates_missing_and_broken_fields() {
        let v = json!({
            "a": {"type": "inboundrtp"},
            "b": {"type": "outboundrtp", "packetsSent": "many"},
            "c": {"type": "transport", "bytesSent": 5},
            "d": 7,
            "e": {"type": "outboundrtp", "kind": "audio", "packetsSent": -4}
        });
        let r = StatsReport::from_value(&v, None).unwrap();
        assert_eq!(r.rtp.len(), 2);
        assert_eq!(r.rtp[0].id, "a");
        assert_eq!(r.rtp[0].kind, None);
        assert_eq!(r.rtp[1].kind, Some(MediaType::Audio));
        assert_eq!(r.rtp[1].packets, 0);
        assert_eq!(
            StatsReport::from_value(&json!([]), None).unwrap_err().code,
            40001
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let s = RtpStreamStats {
            id: "o1".into(),
            direction: Some(RtpDirection::Outbound),
            timestamp_millis: 5,
            ssrc: "42".into(),
            codec_id: "audio/opus".into(),
            kind: Some(MediaType::Audio),
            packets: 10,
            bytes: 1000,
            packets_lost: 1,
            fraction_lost: 0.5,
            jitter_seconds: 0.0,
            round_trip_time_seconds: 0.25,
            bitrate_bps: 64000.0,
            fir_count: 0,
            pli_count: 1,
            nack_count: 2,
        };
        let report = StatsReport { rtp: vec![s] };
        let v = report.to_value();
        assert_eq!(v["o1"]["__type__"], "RTCOutboundRTPStreamStats");
        assert_eq!(v["o1"]["type"], "outboundrtp");
        assert_eq!(v["o1"]["kind"], "audio");
        assert_eq!(StatsReport::from_value(&v, None).unwrap(), report);
    }
}
