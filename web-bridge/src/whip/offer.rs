//! What the bridge reads from a WHIP offer before handing it to the gateway: that it is SDP at all (else 400,
//! while an SDP the media server will not negotiate is its 422), the mids of its m-lines in order (a PATCH's
//! candidates name their m-line by mid, AddIceCandidate wants its index too) and its ICE ufrag (a PATCH with
//! another one is an ICE restart), and that it publishes something: at least one audio or video m-line that
//! sends (sendrecv or sendonly). A sendrecv client gets its media echoed back (MediaSession is a loopback);
//! a sendonly publisher (OBS, GStreamer's `whipsink`) gets a recvonly answer and the media server receives
//! its media and sends nothing back. An offer with no audio or video, or only recvonly or inactive ones,
//! would make a session with nothing to publish, so it gets a clear 422.
//! Pure parsing: no I/O, no panics.

/// The parts of an offer the WHIP resource keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Offer {
    /// Each m-line's `a=mid`, in m-line order (`None` for an m-line without one).
    pub(crate) mids: Vec<Option<String>>,
    /// The offer's ICE username fragment (session level, else the first m-line's).
    pub(crate) ufrag: Option<String>,
}

/// Why the offer is not SDP; safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OfferError {
    #[error("the offer is empty")]
    Empty,
    #[error("the offer does not start with v=0")]
    NoVersion,
    #[error("line {0} of the offer is not an SDP line (type=value)")]
    NotSdp(usize),
    #[error("the offer has no m= line")]
    NoMedia,
    /// No audio or video m-line (only data channels, say): nothing to publish.
    #[error("the offer has no audio or video m-line: there is nothing to publish")]
    NoAudioVideo,
    /// Audio or video m-lines, but none that sends: WHIP publishes, it does not play.
    #[error(
        "no audio or video m-line of the offer sends media (they are recvonly or inactive): \
         WHIP publishes media, offer sendonly or sendrecv"
    )]
    NothingSent,
}

/// The SDP direction attributes (RFC 8866 §6.7).
const DIRECTIONS: [&str; 4] = ["sendrecv", "sendonly", "recvonly", "inactive"];

impl Offer {
    /// Checks the SDP's shape and collects the mids and the ufrag.
    pub(crate) fn parse(text: &str) -> Result<Self, OfferError> {
        if text.trim().is_empty() {
            return Err(OfferError::Empty);
        }
        let mut offer = Self::default();
        let mut session_ufrag = None;
        let mut media_ufrag = None;
        let mut session_direction = "sendrecv";
        // For each m-line: whether it carries media (audio, video) and its own direction, if any.
        let mut media: Vec<(bool, Option<&'static str>)> = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if index == 0 && line != "v=0" {
                return Err(OfferError::NoVersion);
            }
            if line.is_empty() {
                continue;
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || !bytes[0].is_ascii_lowercase() || bytes[1] != b'=' {
                return Err(OfferError::NotSdp(index + 1));
            }
            let value = &line[2..];
            match bytes[0] {
                b'm' => {
                    offer.mids.push(None);
                    let kind = value.split(' ').next().unwrap_or_default();
                    media.push((matches!(kind, "audio" | "video"), None));
                }
                b'a' => {
                    if let Some(direction) = DIRECTIONS.into_iter().find(|d| *d == value) {
                        match media.last_mut() {
                            Some(last) => last.1 = Some(direction),
                            None => session_direction = direction,
                        }
                    }
                    if let Some(mid) = value.strip_prefix("mid:") {
                        if let Some(last) = offer.mids.last_mut() {
                            *last = Some(mid.to_owned());
                        }
                    } else if let Some(ufrag) = value.strip_prefix("ice-ufrag:") {
                        if offer.mids.is_empty() {
                            session_ufrag.get_or_insert_with(|| ufrag.to_owned());
                        } else {
                            media_ufrag.get_or_insert_with(|| ufrag.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        if offer.mids.is_empty() {
            return Err(OfferError::NoMedia);
        }
        // A media-level direction wins over the session's (RFC 8866 §6.7).
        let mut directions = media
            .iter()
            .filter(|(is_media, _)| *is_media)
            .map(|(_, direction)| direction.unwrap_or(session_direction))
            .peekable();
        if directions.peek().is_none() {
            return Err(OfferError::NoAudioVideo);
        }
        if !directions.any(|d| matches!(d, "sendrecv" | "sendonly")) {
            return Err(OfferError::NothingSent);
        }
        offer.ufrag = session_ufrag.or(media_ufrag);
        Ok(offer)
    }

    /// The m-line index of `mid`; a candidate without a mid belongs to the first m-line (BUNDLE's transport).
    pub(crate) fn m_line_index(&self, mid: Option<&str>) -> Option<u32> {
        let index = match mid {
            None => 0,
            Some(mid) => self.mids.iter().position(|m| m.as_deref() == Some(mid))?,
        };
        u32::try_from(index).ok()
    }

    /// The mid AddIceCandidate names: the given one, or the first m-line's.
    pub(crate) fn mid_or_first(&self, mid: Option<&str>) -> String {
        mid.map(str::to_owned)
            .or_else(|| self.mids.first().cloned().flatten())
            .unwrap_or_default()
    }
}

/// `sdp` (the client's first offer) as the offer of an ICE restart: every `a=ice-ufrag`/`a=ice-pwd`
/// names the new credentials, and the old ICE session's candidates are gone (the fragment's new ones
/// follow as AddIceCandidate). Everything else, the m-lines and the DTLS fingerprint, stays, as
/// RestartIce requires.
pub(crate) fn restarted(sdp: &str, ufrag: &str, pwd: &str) -> String {
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with("a=candidate:") || line == "a=end-of-candidates" {
            continue;
        }
        if line.starts_with("a=ice-ufrag:") {
            out.push_str("a=ice-ufrag:");
            out.push_str(ufrag);
        } else if line.starts_with("a=ice-pwd:") {
            out.push_str("a=ice-pwd:");
            out.push_str(pwd);
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_offer_has_the_new_credentials_and_no_old_candidates() {
        let sdp = "v=0\r\na=ice-ufrag:old\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
            a=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\na=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n\
            a=end-of-candidates\r\n";
        let new = restarted(sdp, "new", "newpwd");
        assert_eq!(
            new,
            "v=0\r\na=ice-ufrag:new\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
             a=ice-ufrag:new\r\na=ice-pwd:newpwd\r\n"
        );
        assert_eq!(Offer::parse(&new).map(|o| o.ufrag), Ok(Some("new".into())));
    }

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:EsAw\r\na=mid:0\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ice-ufrag:EsAw\r\na=mid:1\r\n";

    #[test]
    fn mids_and_ufrag_are_collected() {
        let offer = Offer::parse(OFFER).unwrap();
        assert_eq!(offer.mids, [Some("0".to_owned()), Some("1".to_owned())]);
        assert_eq!(offer.ufrag.as_deref(), Some("EsAw"));
        assert_eq!(offer.m_line_index(Some("1")), Some(1));
        assert_eq!(offer.m_line_index(None), Some(0));
        assert_eq!(offer.m_line_index(Some("9")), None);
        assert_eq!(offer.mid_or_first(None), "0");
    }

    #[test]
    fn an_offer_must_send_audio_or_video() {
        let sendonly = OFFER.replace("a=mid:1\r\n", "a=mid:1\r\na=sendonly\r\n");
        assert!(Offer::parse(&sendonly).is_ok(), "sendonly publishing");
        let all_sendonly = OFFER.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
        assert!(
            Offer::parse(&all_sendonly).is_ok(),
            "session-level sendonly"
        );
        let explicit = OFFER.replace("a=mid:0\r\n", "a=mid:0\r\na=sendrecv\r\n");
        assert!(Offer::parse(&explicit).is_ok());
        let one_sends = OFFER
            .replace("a=mid:0\r\n", "a=mid:0\r\na=recvonly\r\n")
            .replace("a=mid:1\r\n", "a=mid:1\r\na=sendonly\r\n");
        assert!(Offer::parse(&one_sends).is_ok(), "one m-line publishes");

        let viewer = OFFER.replace("t=0 0\r\n", "t=0 0\r\na=recvonly\r\n");
        assert_eq!(Offer::parse(&viewer), Err(OfferError::NothingSent));
        let silent = OFFER
            .replace("a=mid:0\r\n", "a=mid:0\r\na=inactive\r\n")
            .replace("a=mid:1\r\n", "a=mid:1\r\na=recvonly\r\n");
        assert_eq!(Offer::parse(&silent), Err(OfferError::NothingSent));
        let media_wins = viewer.replace("a=mid:1\r\n", "a=mid:1\r\na=sendonly\r\n");
        assert!(
            Offer::parse(&media_wins).is_ok(),
            "the m-line's own direction wins"
        );

        let data_only =
            "v=0\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
        assert_eq!(Offer::parse(data_only), Err(OfferError::NoAudioVideo));
        let data =
            format!("{OFFER}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n");
        assert!(Offer::parse(&data).is_ok(), "a data m-line beside media");
    }

    #[test]
    fn what_is_not_sdp_is_refused() {
        assert_eq!(Offer::parse(""), Err(OfferError::Empty));
        assert_eq!(Offer::parse("hello"), Err(OfferError::NoVersion));
        assert_eq!(
            Offer::parse("v=0\r\nnonsense\r\n"),
            Err(OfferError::NotSdp(2))
        );
        assert_eq!(Offer::parse("v=0\r\ns=-\r\n"), Err(OfferError::NoMedia));
        for text in ["v=0\r\n\u{e9}", "v=0\n=", "v=0\na", "\r\n"] {
            assert!(Offer::parse(text).is_err(), "{text:?}");
        }
    }
}
