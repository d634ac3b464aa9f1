//! Small SDP text helpers: which m-lines of our answer are active, putting candidates into it, and
//! giving an offer's media sections the direction RFC 3264 implies when they name none.
//!
//! str0m owns real SDP parsing; these read the text str0m itself wrote, or only look for whole
//! attribute lines in an offer, so a line scan suffices.

/// One m-line of a local description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MLine {
    /// `a=mid` value (empty if the m-line has none).
    pub mid: String,
    /// Position of the m-line in the description, from 0.
    pub index: u32,
    /// False when the m-line was rejected (port 0); KMS sends no candidates for those.
    pub active: bool,
}

/// The m-lines of `sdp`, in order.
pub(crate) fn mlines(sdp: &str) -> Vec<MLine> {
    let mut out: Vec<MLine> = Vec::new();
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            let port = rest.split_whitespace().nth(1).unwrap_or("0");
            out.push(MLine {
                mid: String::new(),
                index: u32::try_from(out.len()).unwrap_or(u32::MAX),
                active: port != "0",
            });
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && let Some(last) = out.last_mut()
        {
            last.mid = mid.trim().to_string();
        }
    }
    out
}

/// `sdp` with `a=candidate:` lines for `candidates` added to every active m-section that lacks them,
/// the way KMS's local description holds the gathered candidates.
pub(crate) fn with_candidates(sdp: &str, candidates: &[String]) -> String {
    if candidates.is_empty() {
        return sdp.to_string();
    }
    let mut out = String::with_capacity(sdp.len() + candidates.len() * 256);
    let mut section = Section::Session;
    let flush = |out: &mut String, section: &Section| {
        if let Section::Media {
            active: true,
            has_candidates: false,
        } = section
        {
            for c in candidates {
                out.push_str("a=");
                out.push_str(c);
                out.push_str("\r\n");
            }
        }
    };
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            flush(&mut out, &section);
            let port = rest.split_whitespace().nth(1).unwrap_or("0");
            section = Section::Media {
                active: port != "0",
                has_candidates: false,
            };
        } else if line.starts_with("a=candidate:")
            && let Section::Media { has_candidates, .. } = &mut section
        {
            *has_candidates = true;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    flush(&mut out, &section);
    out
}

enum Section {
    Session,
    Media { active: bool, has_candidates: bool },
}

/// The media direction attributes (RFC 8866 section 6.7).
const DIRECTIONS: [&str; 4] = ["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"];

/// `offer` with `a=sendrecv` added to each media section that has no direction attribute.
///
/// RFC 3264 (and KMS, which reads only the media level) take such a section as sendrecv; str0m refuses the
/// whole offer ("Expected exactly one of a=sendrecv, …"). Browsers always write one; other offerers may not.
pub(crate) fn with_default_direction(offer: &str) -> String {
    let eol = if offer.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(offer.len() + 64);
    let mut section_lacks_direction = false;
    let close = |out: &mut String, lacks: bool| {
        if lacks {
            out.push_str("a=sendrecv");
            out.push_str(eol);
        }
    };
    for line in offer.lines() {
        if line.starts_with("m=") {
            close(&mut out, section_lacks_direction);
            section_lacks_direction = true;
        } else if DIRECTIONS.contains(&line.trim_end()) {
            section_lacks_direction = false;
        }
        out.push_str(line);
        out.push_str(eol);
    }
    close(&mut out, section_lacks_direction);
    out
}

/// The `candidate:` attribute values found in `sdp` (to recognise the remote end of the selected pair).
pub(crate) fn candidates(sdp: &str) -> impl Iterator<Item = &str> {
    sdp.lines()
        .filter_map(|l| l.strip_prefix("a="))
        .filter(|l| is_candidate(l))
}

/// Whether an attribute value (after `a=`) is a candidate, as str0m's parser reads it.
pub(crate) fn is_candidate(attribute: &str) -> bool {
    attribute.starts_with("candidate:")
}

/// The first `a=ice-ufrag` and `a=ice-pwd` of `sdp` (session or media level; with BUNDLE every
/// section carries the same pair). `None` if either is missing or empty.
pub(crate) fn ice_credentials(sdp: &str) -> Option<(&str, &str)> {
    let first = |prefix: &str| {
        sdp.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    Some((first("a=ice-ufrag:")?, first("a=ice-pwd:")?))
}

/// What an ICE restart must leave as it was: each m-line's media type and mid, in order, and the
/// DTLS fingerprint (a new one would be a new DTLS session, which is a new negotiation).
pub(crate) fn renegotiation_shape(sdp: &str) -> (Vec<(&str, &str)>, Option<&str>) {
    let mut media: Vec<(&str, &str)> = Vec::new();
    let mut fingerprint = None;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            media.push((rest.split_whitespace().next().unwrap_or(""), ""));
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && let Some(last) = media.last_mut()
        {
            last.1 = mid.trim();
        } else if let Some(f) = line.strip_prefix("a=fingerprint:")
            && fingerprint.is_none()
        {
            fingerprint = Some(f.trim());
        }
    }
    (media, fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ice_credentials_and_the_renegotiation_shape() {
        let offer = "v=0\r\na=fingerprint:sha-256 AB\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
            a=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecretsecret\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
        assert_eq!(
            ice_credentials(offer),
            Some(("abcd", "secretsecretsecretsecret"))
        );
        assert_eq!(ice_credentials("v=0\r\na=ice-ufrag:x\r\n"), None, "no pwd");
        assert_eq!(
            ice_credentials("v=0\r\na=ice-ufrag:\r\na=ice-pwd:y\r\n"),
            None
        );
        let (media, fingerprint) = renegotiation_shape(offer);
        assert_eq!(media, vec![("audio", "0"), ("video", "1")]);
        assert_eq!(fingerprint, Some("sha-256 AB"));
    }

    const SDP: &str = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n\
        a=mid:1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\n";

    #[test]
    fn lists_mlines_with_mid_and_rejection() {
        let m = mlines(SDP);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].mid.as_str(), m[0].index, m[0].active), ("0", 0, true));
        assert_eq!(
            (m[1].mid.as_str(), m[1].index, m[1].active),
            ("1", 1, false)
        );
        assert_eq!((m[2].mid.as_str(), m[2].index, m[2].active), ("v", 2, true));
    }

    #[test]
    fn media_sections_without_a_direction_become_sendrecv() {
        let offer = "v=0\r\na=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
        let fixed = with_default_direction(offer);
        assert_eq!(
            fixed,
            "v=0\r\na=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
            a=sendrecv\r\n",
            "the session-level attribute is ignored, as KMS does"
        );
        assert_eq!(with_default_direction(&fixed), fixed, "idempotent");
        assert_eq!(
            with_default_direction("v=0\n"),
            "v=0\n",
            "no media, nothing added"
        );
    }

    #[test]
    fn adds_candidates_to_active_sections_only() {
        let c = vec!["candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host".to_string()];
        let sdp = with_candidates(SDP, &c);
        assert_eq!(sdp.matches("a=candidate:").count(), 2);
        let again = with_candidates(&sdp, &c);
        assert_eq!(again.matches("a=candidate:").count(), 2, "no duplicates");
        assert_eq!(candidates(&sdp).count(), 2);
    }
}
