//! How an echo check runs: its settings, their defaults and limits, and the schedule they imply.

use std::time::Duration;

use crate::payload::MediaKind;

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

#[cfg(test)]
mod tests {
    use super::*;

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
