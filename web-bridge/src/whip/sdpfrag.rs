//! The `application/trickle-ice-sdpfrag` body of a WHIP PATCH (RFC 8840, as RFC 9725 uses it): session-level
//! `a=ice-ufrag`/`a=ice-pwd`, then one `m=` section per media with its `a=mid`, `a=candidate` lines and
//! perhaps `a=end-of-candidates`. Pure parsing: no I/O, and nothing here panics on any input.

/// One parsed fragment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// The ICE username fragment the candidates belong to, when given.
    pub(crate) ufrag: Option<String>,
    /// The ICE password, when given (a new one alongside a new ufrag means an ICE restart).
    pub(crate) pwd: Option<String>,
    /// The media sections in order.
    pub(crate) sections: Vec<Section>,
}

/// One `m=` section of a fragment (or the lines before any `m=`, which clients that omit it send).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Section {
    /// The section's `a=mid`, when given.
    pub(crate) mid: Option<String>,
    /// Each candidate attribute value without the `a=` prefix (`candidate:1 1 udp …`), in order.
    pub(crate) candidates: Vec<String>,
    /// The section carries `a=end-of-candidates`.
    pub(crate) end_of_candidates: bool,
}

impl Fragment {
    /// Every candidate in the fragment (and end-of-candidates as `None`), in order, with its section's mid.
    pub(crate) fn items(&self) -> impl Iterator<Item = (Option<&str>, Option<&str>)> {
        self.sections.iter().flat_map(|s| {
            let mid = s.mid.as_deref();
            s.candidates
                .iter()
                .map(move |c| (mid, Some(c.as_str())))
                .chain(s.end_of_candidates.then_some((mid, None)))
        })
    }
}

/// Why a fragment was refused; the text is safe to show the client (it quotes nothing it sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FragmentError {
    /// A line is not `x=value` with a lowercase letter as type.
    #[error("line {0} of the fragment is not an SDP line (type=value)")]
    NotSdp(usize),
    /// More candidates than one request may carry.
    #[error("the fragment carries more than {0} candidates")]
    TooManyCandidates(usize),
    /// A `candidate` attribute that cannot be one (no foundation, component, transport, priority, address, port, typ).
    #[error("line {0} is not an ICE candidate")]
    BadCandidate(usize),
    /// Neither a candidate nor end-of-candidates.
    #[error("the fragment carries no candidates and no end-of-candidates")]
    Empty,
}

/// Parses a fragment, refusing more than `max_candidates` candidates. Unknown attributes and line types are
/// skipped, as SDP wants; lines may end in CRLF or LF.
pub(crate) fn parse(text: &str, max_candidates: usize) -> Result<Fragment, FragmentError> {
    let fragment = parse_restart(text, max_candidates)?;
    if fragment.items().next().is_none() {
        return Err(FragmentError::Empty);
    }
    Ok(fragment)
}

/// [`parse`] for an ICE restart's fragment, which may carry credentials only (RFC 9725 section
/// 4.3.2: the client's candidates may follow in later PATCHes).
pub(crate) fn parse_restart(text: &str, max_candidates: usize) -> Result<Fragment, FragmentError> {
    let mut fragment = Fragment::default();
    let mut count = 0usize;
    // Lines before any `m=` are session level; candidates there go to an implicit first section.
    let mut current: Option<Section> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let Some((kind, value)) = split_line(line) else {
            return Err(FragmentError::NotSdp(number));
        };
        match kind {
            'm' => {
                if let Some(done) = current.take() {
                    fragment.sections.push(done);
                }
                current = Some(Section::default());
            }
            'a' => {
                let (name, rest) = value.split_once(':').unwrap_or((value, ""));
                match name {
                    "ice-ufrag" if current.is_none() => fragment.ufrag = Some(rest.to_owned()),
                    "ice-pwd" if current.is_none() => fragment.pwd = Some(rest.to_owned()),
                    // Media-level credentials apply to that section; with BUNDLE there is one ICE session,
                    // so the first ones given are the ones that count.
                    "ice-ufrag" => {
                        fragment.ufrag.get_or_insert_with(|| rest.to_owned());
                    }
                    "ice-pwd" => {
                        fragment.pwd.get_or_insert_with(|| rest.to_owned());
                    }
                    "mid" => {
                        current.get_or_insert_with(Section::default).mid = Some(rest.to_owned());
                    }
                    "candidate" => {
                        if !looks_like_candidate(rest) {
                            return Err(FragmentError::BadCandidate(number));
                        }
                        count += 1;
                        if count > max_candidates {
                            return Err(FragmentError::TooManyCandidates(max_candidates));
                        }
                        current
                            .get_or_insert_with(Section::default)
                            .candidates
                            .push(value.to_owned());
                    }
                    "end-of-candidates" => {
                        current
                            .get_or_insert_with(Section::default)
                            .end_of_candidates = true;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if let Some(done) = current {
        fragment.sections.push(done);
    }
    Ok(fragment)
}

/// The fragment a 200 to an ICE restart carries (RFC 9725 section 4.3.2): the server's new
/// `a=ice-ufrag`/`a=ice-pwd` from its `answer`, then each m-section with its `a=mid`, the candidates
/// the answer holds and its `a=end-of-candidates`. `None` if the answer names no credentials.
pub(crate) fn from_answer(answer: &str) -> Option<String> {
    let first = |prefix: &str| {
        answer
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim_end_matches('\r').trim())
            .filter(|v| !v.is_empty())
    };
    let (ufrag, pwd) = (first("a=ice-ufrag:")?, first("a=ice-pwd:")?);
    let mut out = format!("a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n");
    // With BUNDLE one transport carries every m-line: each candidate once, where it first appears
    // (some clients, whip-whep among them, paste the candidates into every m-section themselves).
    let mut seen: Vec<&str> = Vec::new();
    for line in answer.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with("a=candidate:") {
            if seen.contains(&line) {
                continue;
            }
            seen.push(line);
        } else if !(line.starts_with("m=")
            || line.starts_with("a=mid:")
            || line == "a=end-of-candidates")
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    Some(out)
}

/// `x=value` where `x` is one lowercase ASCII letter.
fn split_line(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let kind = chars.next().filter(char::is_ascii_lowercase)?;
    let value = line.get(1..)?.strip_prefix('=')?;
    Some((kind, value))
}

/// RFC 8839's six fixed fields and `typ X`: enough to refuse garbage here, with a clear 400, rather than
/// forward it for the gateway to refuse one by one.
fn looks_like_candidate(rest: &str) -> bool {
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    fields.len() >= 8
        && fields[1].parse::<u16>().is_ok()
        && fields[3].parse::<u32>().is_ok()
        && fields[5].parse::<u16>().is_ok()
        && fields[6] == "typ"
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host";

    #[test]
    fn whip_js_fragment_parses_in_order() {
        let text = format!(
            "a=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecretsecret\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n\
             a=mid:0\r\na={HOST}\r\na=candidate:2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\r\n\
             a=end-of-candidates\r\n"
        );
        let f = parse(&text, 64).unwrap();
        assert_eq!(f.ufrag.as_deref(), Some("abcd"));
        assert_eq!(f.pwd.as_deref(), Some("secretsecretsecretsecret"));
        let items: Vec<_> = f.items().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], (Some("0"), Some(HOST)));
        assert_eq!(items[2], (Some("0"), None));
    }

    #[test]
    fn sections_keep_their_own_mid_and_lf_lines_work() {
        let text = format!(
            "m=audio 9 RTP/AVP 0\na=mid:a\na={HOST}\nm=video 9 RTP/AVP 0\na=mid:v\na={HOST}\n"
        );
        let f = parse(&text, 64).unwrap();
        let mids: Vec<_> = f.items().map(|(m, _)| m).collect();
        assert_eq!(mids, [Some("a"), Some("v")]);
        assert_eq!(f.ufrag, None);
    }

    #[test]
    fn candidates_without_m_line_form_one_section() {
        let f = parse(&format!("a={HOST}\r\n"), 64).unwrap();
        assert_eq!(f.items().collect::<Vec<_>>(), [(None, Some(HOST))]);
    }

    #[test]
    fn garbage_is_refused_with_its_line_number() {
        assert_eq!(parse("hello", 64), Err(FragmentError::NotSdp(1)));
        assert_eq!(
            parse("a=ice-ufrag:x\r\nA=b", 64),
            Err(FragmentError::NotSdp(2))
        );
        assert_eq!(
            parse("a=candidate:1 2 3", 64),
            Err(FragmentError::BadCandidate(1))
        );
        assert_eq!(parse("a=ice-ufrag:x\r\n", 64), Err(FragmentError::Empty));
        assert_eq!(parse("", 64), Err(FragmentError::Empty));
        let many = format!("a={HOST}\r\n").repeat(3);
        assert_eq!(parse(&many, 2), Err(FragmentError::TooManyCandidates(2)));
    }

    #[test]
    fn a_restart_answer_becomes_a_fragment() {
        let answer = format!(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
             a=mid:0\r\na=ice-ufrag:srv\r\na=ice-pwd:srvpwd\r\na=rtpmap:111 opus/48000/2\r\na={HOST}\r\n"
        );
        let fragment = from_answer(&answer).unwrap();
        assert_eq!(
            fragment,
            format!(
                "a=ice-ufrag:srv\r\na=ice-pwd:srvpwd\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na={HOST}\r\n"
            )
        );
        let parsed = parse(&fragment, 4).unwrap();
        assert_eq!(parsed.ufrag.as_deref(), Some("srv"));
        let bundled = format!("{answer}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na={HOST}\r\n");
        let fragment = from_answer(&bundled).unwrap();
        assert_eq!(fragment.matches("a=candidate:").count(), 1, "{fragment}");
        assert!(fragment.ends_with("a=mid:1\r\n"), "{fragment}");
        assert_eq!(from_answer("v=0\r\na=ice-ufrag:x\r\n"), None);
    }

    #[test]
    fn no_input_panics() {
        for text in [
            "=",
            "a",
            "a=",
            "\u{e9}=x",
            "m=",
            "a=:",
            "a=mid",
            "\r\n\r\n",
            "a=candidate:",
            "ä=ü",
        ] {
            let _ = parse(text, 4);
        }
    }
}
