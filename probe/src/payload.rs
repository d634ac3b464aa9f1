//! The bytes of one probe frame: a codec-plausible prefix, a header naming the frame, and a deterministic
//! pattern, so an echoed frame can be matched to the one sent and checked byte for byte.
//!
//! A media server may echo at the RTP level or depacketize and repacketize the frames, and a real one may
//! peek at the codec bitstream. So each frame starts like a real one: an Opus frame opens with a TOC byte
//! (one 20 ms CELT fullband frame, code 0, so any length is a valid packet), and a VP8 frame opens with a
//! keyframe header (frame tag with the keyframe bit clear, start code, 16x16 dimensions). Every VP8 frame is
//! a keyframe, so a receiver that waits for a keyframe after loss never discards ours.

use std::fmt;

/// Which media a probe frame travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Opus on the audio m-line.
    Audio,
    /// VP8 on the video m-line.
    Video,
}

impl MediaKind {
    fn tag(self) -> u8 {
        match self {
            MediaKind::Audio => 0,
            MediaKind::Video => 1,
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        })
    }
}

/// Opus TOC byte: config 31 (CELT-only, fullband, 20 ms), mono, code 0 (one frame).
const OPUS_TOC: u8 = 0xF8;
/// VP8 keyframe start code (RFC 6386 section 9.1).
const VP8_START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];
/// Width and height announced in the VP8 keyframe header: small and valid.
const VP8_DIMENSION: u16 = 16;
const VP8_PREFIX_LEN: usize = 10;
const MAGIC: [u8; 4] = *b"MPRB";
/// magic + stream + kind + seq + sent_us + pattern length.
const HEADER_LEN: usize = 4 + 4 + 1 + 4 + 8 + 2;

/// What the header of a probe frame says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameId {
    /// Random per echo check: a frame of another peer (a crossed stream) carries another value.
    pub stream: u32,
    /// The media the frame claims to belong to.
    pub kind: MediaKind,
    /// Per-kind sequence number, from 0.
    pub seq: u32,
    /// Microseconds from the start of the echo check to the moment the frame was written.
    pub sent_us: u64,
}

/// Why bytes are not a probe frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("frame of {0} bytes is too short for a probe frame")]
    TooShort(usize),
    #[error("frame does not start with the {0} codec prefix the probe sent")]
    BadPrefix(MediaKind),
    #[error("frame carries no probe header")]
    BadMagic,
    #[error("frame header names media kind {0}")]
    BadKind(u8),
    #[error("frame header announces {announced} pattern bytes but {actual} follow")]
    BadLength { announced: usize, actual: usize },
    #[error("pattern byte {0} differs from what was sent")]
    BadPattern(usize),
}

/// Builds the frame for `kind`/`seq` of `stream`, written `sent_us` after the check started, with
/// `pattern_len` deterministic bytes after the header.
pub(crate) fn encode(
    stream: u32,
    kind: MediaKind,
    seq: u32,
    sent_us: u64,
    pattern_len: u16,
) -> Vec<u8> {
    let body_len = HEADER_LEN + usize::from(pattern_len);
    let mut out = Vec::with_capacity(VP8_PREFIX_LEN + body_len);
    match kind {
        MediaKind::Audio => out.push(OPUS_TOC),
        MediaKind::Video => push_vp8_keyframe_header(&mut out, body_len),
    }
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&stream.to_be_bytes());
    out.push(kind.tag());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&sent_us.to_be_bytes());
    out.extend_from_slice(&pattern_len.to_be_bytes());
    let mut rng = Pattern::new(stream, kind, seq);
    out.extend((0..pattern_len).map(|_| rng.next_byte()));
    out
}

/// Reads a frame received on `kind`'s m-line, checking everything that can be checked without knowing
/// what was sent: prefix, header, length and pattern.
pub(crate) fn decode(kind: MediaKind, frame: &[u8]) -> Result<FrameId, DecodeError> {
    let prefix_len = match kind {
        MediaKind::Audio => 1,
        MediaKind::Video => VP8_PREFIX_LEN,
    };
    if frame.len() < prefix_len + HEADER_LEN {
        return Err(DecodeError::TooShort(frame.len()));
    }
    let (prefix, body) = frame.split_at(prefix_len);
    let mut expected_prefix = Vec::with_capacity(prefix_len);
    match kind {
        MediaKind::Audio => expected_prefix.push(OPUS_TOC),
        MediaKind::Video => push_vp8_keyframe_header(&mut expected_prefix, body.len()),
    }
    if prefix != expected_prefix.as_slice() {
        return Err(DecodeError::BadPrefix(kind));
    }
    let (header, pattern) = body.split_at(HEADER_LEN);
    if header[0..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let stream = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if header[8] != kind.tag() {
        return Err(DecodeError::BadKind(header[8]));
    }
    let seq = u32::from_be_bytes([header[9], header[10], header[11], header[12]]);
    let mut sent = [0u8; 8];
    sent.copy_from_slice(&header[13..21]);
    let sent_us = u64::from_be_bytes(sent);
    let announced = usize::from(u16::from_be_bytes([header[21], header[22]]));
    if announced != pattern.len() {
        return Err(DecodeError::BadLength {
            announced,
            actual: pattern.len(),
        });
    }
    let mut rng = Pattern::new(stream, kind, seq);
    if let Some(pos) = pattern.iter().position(|b| *b != rng.next_byte()) {
        return Err(DecodeError::BadPattern(pos));
    }
    Ok(FrameId {
        stream,
        kind,
        seq,
        sent_us,
    })
}

/// The 10-byte VP8 keyframe header (RFC 6386 section 9.1): a 3-byte frame tag (keyframe, version 0,
/// shown, first partition size), the start code, then width and height with no scaling.
fn push_vp8_keyframe_header(out: &mut Vec<u8>, first_partition_len: usize) {
    // The size field has 19 bits; probe frames are far below that, the mask only keeps the tag well formed.
    let size = (first_partition_len as u32) & 0x7_FFFF;
    let show_frame = 1u32 << 4;
    let tag = (size << 5) | show_frame;
    out.extend_from_slice(&tag.to_le_bytes()[..3]);
    out.extend_from_slice(&VP8_START_CODE);
    out.extend_from_slice(&VP8_DIMENSION.to_le_bytes());
    out.extend_from_slice(&VP8_DIMENSION.to_le_bytes());
}

/// xorshift32 seeded by stream, kind and sequence number: cheap, deterministic, and different for every
/// frame, so a frame echoed under another frame's header is caught.
struct Pattern(u32);

impl Pattern {
    fn new(stream: u32, kind: MediaKind, seq: u32) -> Self {
        let seed = seq.wrapping_mul(0x9E37_79B9)
            ^ (u32::from(kind.tag()) + 1).wrapping_mul(0x85EB_CA6B)
            ^ stream.wrapping_mul(0xC2B2_AE35);
        // xorshift never leaves zero; any other seed works.
        Pattern(if seed == 0 { 0x1234_5678 } else { seed })
    }

    fn next_byte(&mut self) -> u8 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x >> 24) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_for_both_kinds() {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            for seq in [0, 1, 77, u32::MAX] {
                let frame = encode(7, kind, seq, 123_456, 40);
                assert_eq!(
                    decode(kind, &frame),
                    Ok(FrameId {
                        stream: 7,
                        kind,
                        seq,
                        sent_us: 123_456
                    })
                );
            }
        }
    }

    #[test]
    fn opus_frame_starts_with_the_toc_byte() {
        let frame = encode(7, MediaKind::Audio, 3, 0, 10);
        assert_eq!(frame[0], 0xF8);
        assert_eq!(frame.len(), 1 + HEADER_LEN + 10);
    }

    #[test]
    fn vp8_frame_is_a_keyframe_with_a_consistent_header() {
        let frame = encode(7, MediaKind::Video, 9, 0, 100);
        // Bit 0 of the frame tag clear = keyframe; version 0; show_frame set.
        assert_eq!(frame[0] & 0x01, 0);
        assert_eq!((frame[0] >> 1) & 0x07, 0);
        assert_eq!(frame[0] & 0x10, 0x10);
        assert_eq!(&frame[3..6], &[0x9d, 0x01, 0x2a]);
        let tag = u32::from(frame[0]) | u32::from(frame[1]) << 8 | u32::from(frame[2]) << 16;
        assert_eq!((tag >> 5) as usize, frame.len() - VP8_PREFIX_LEN);
        assert_eq!(u16::from_le_bytes([frame[6], frame[7]]), 16);
        assert_eq!(u16::from_le_bytes([frame[8], frame[9]]), 16);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let frame = encode(7, MediaKind::Video, 5, 99, 32);
        for i in 0..frame.len() {
            let mut bad = frame.clone();
            bad[i] ^= 0x40;
            // A flip in seq or sent_us still decodes, but to another id, which the tracker catches by
            // comparing with what it sent; everything else must fail to decode.
            match decode(MediaKind::Video, &bad) {
                Err(_) => {}
                Ok(id) => assert_ne!(
                    (id.seq, id.sent_us),
                    (5, 99),
                    "flip at byte {i} went unnoticed"
                ),
            }
        }
    }

    #[test]
    fn truncated_and_foreign_frames_are_rejected() {
        let frame = encode(7, MediaKind::Audio, 1, 1, 20);
        assert_eq!(
            decode(MediaKind::Audio, &frame[..frame.len() - 1]),
            Err(DecodeError::BadLength {
                announced: 20,
                actual: 19
            })
        );
        assert_eq!(
            decode(MediaKind::Audio, &frame[..5]),
            Err(DecodeError::TooShort(5))
        );
        assert_eq!(
            decode(MediaKind::Video, &frame),
            Err(DecodeError::BadPrefix(MediaKind::Video))
        );
        let video = encode(7, MediaKind::Video, 1, 1, 20);
        assert_eq!(
            decode(MediaKind::Audio, &video),
            Err(DecodeError::BadPrefix(MediaKind::Audio))
        );
    }

    #[test]
    fn patterns_differ_between_frames() {
        let a = encode(7, MediaKind::Audio, 1, 0, 32);
        let b = encode(7, MediaKind::Audio, 2, 0, 32);
        let v = encode(7, MediaKind::Video, 1, 0, 32);
        assert_ne!(a[HEADER_LEN + 1..], b[HEADER_LEN + 1..]);
        assert_ne!(a[HEADER_LEN + 1..], v[HEADER_LEN + VP8_PREFIX_LEN..]);
    }
}
