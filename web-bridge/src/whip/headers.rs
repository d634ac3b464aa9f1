//! The WHIP headers, built and read without I/O: `If-Match` against the resource's ETag, the `Link`
//! ice-server entries, the bearer token, the body's media type, and the CORS answer for browsers.

use http::{HeaderMap, HeaderValue, header};

use crate::config::IceServer;

/// What a PATCH's `If-Match` asks for (RFC 9725 §4.3.1, RFC 9110 §13.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// No `If-Match`: refused with 428, since a trickle for an old ICE session must not be applied.
    Missing,
    /// `If-Match: *`: the client restarts ICE.
    Any,
    /// The resource's current ETag is listed.
    Matches,
    /// Only other ETags (or weak ones, which If-Match never matches).
    Mismatch,
}

/// Evaluates every `If-Match` field against `etag` (quoted, as the ETag header carries it).
pub(crate) fn if_match(headers: &HeaderMap, etag: &str) -> IfMatch {
    let mut seen = false;
    for value in headers.get_all(header::IF_MATCH) {
        seen = true;
        let Ok(text) = value.to_str() else {
            continue;
        };
        for tag in text.split(',').map(str::trim) {
            if tag == "*" {
                return IfMatch::Any;
            }
            if tag == etag {
                return IfMatch::Matches;
            }
        }
    }
    if seen {
        IfMatch::Mismatch
    } else {
        IfMatch::Missing
    }
}

/// One `Link` value per ICE server (RFC 9725 §4.6): `<url>; rel="ice-server"`, with the TURN username and
/// credential as `username`, `credential` and `credential-type="password"`. Entries whose text would need
/// escaping (a quote, a backslash, a control character) are skipped rather than sent half-quoted.
pub(crate) fn ice_server_links(servers: &[IceServer]) -> Vec<HeaderValue> {
    servers
        .iter()
        .filter_map(|s| {
            let mut link = format!("<{}>; rel=\"ice-server\"", s.urls);
            if let (Some(user), Some(credential)) = (&s.username, &s.credential) {
                link.push_str(&format!(
                    "; username=\"{user}\"; credential=\"{credential}\"; credential-type=\"password\""
                ));
            }
            let texts = [Some(&s.urls), s.username.as_ref(), s.credential.as_ref()];
            let plain = texts.iter().flatten().all(|t| t.chars().all(quotable));
            plain.then(|| HeaderValue::from_str(&link).ok()).flatten()
        })
        .collect()
}

/// A character that can stand inside `<…>` or `"…"` unescaped.
fn quotable(c: char) -> bool {
    !c.is_control() && c != '"' && c != '\\' && c != '>'
}

/// Whether `Authorization: Bearer <token>` carries `token`, compared in constant time (the scheme is
/// case-insensitive, RFC 9110 §11.1).
pub(crate) fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some((scheme, given)) = value.split_at_checked(7) else {
        return false;
    };
    scheme.eq_ignore_ascii_case(b"bearer ")
        && service_kit::secret::constant_time_eq(given, token.as_bytes())
}

/// Whether the request's `Content-Type` is `wanted` (parameters such as `charset` allowed, case ignored).
pub(crate) fn has_media_type(headers: &HeaderMap, wanted: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(wanted))
}

/// The methods the WHIP endpoint and its resources answer.
pub(crate) const ALLOW_ENDPOINT: &str = "POST, OPTIONS";
pub(crate) const ALLOW_RESOURCE: &str = "PATCH, DELETE, OPTIONS";

/// The request headers a browser client may send (its preflight asks for them).
const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-Match";
/// The response headers a browser client must be able to read.
const EXPOSE_HEADERS: &str = "Location, ETag, Link, Retry-After, Accept-Patch";

/// Adds the CORS answer for a request from `origin` (already checked against the allowed origins): the
/// origin echoed, not `*`, so the answer is for that page alone, and `Vary: Origin` for caches.
pub(crate) fn cors(headers: &mut HeaderMap, origin: &HeaderValue, allow: &'static str) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(allow),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    // Preflights are cheap but add a round trip before every PATCH; an hour of caching is the usual choice.
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name.clone(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn if_match_follows_rfc_9110() {
        let etag = "\"abc\"";
        assert_eq!(if_match(&HeaderMap::new(), etag), IfMatch::Missing);
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["*"]), etag),
            IfMatch::Any
        );
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["\"abc\""]), etag),
            IfMatch::Matches
        );
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["\"x\", \"abc\""]), etag),
            IfMatch::Matches
        );
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["\"x\"", "\"abc\""]), etag),
            IfMatch::Matches
        );
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["W/\"abc\""]), etag),
            IfMatch::Mismatch
        );
        assert_eq!(
            if_match(&with(header::IF_MATCH, &["abc"]), etag),
            IfMatch::Mismatch
        );
    }

    #[test]
    fn links_carry_turn_credentials_and_skip_unquotable_entries() {
        let stun: IceServer = "stun:stun.example.net:3478".parse().unwrap();
        let turn: IceServer = "turn:turn.example.net:3478,user,pa ss".parse().unwrap();
        let bad: IceServer = "turn:t.example:3478,us\"er,x".parse().unwrap();
        let links = ice_server_links(&[stun, turn, bad]);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0], "<stun:stun.example.net:3478>; rel=\"ice-server\"");
        assert_eq!(
            links[1],
            "<turn:turn.example.net:3478>; rel=\"ice-server\"; username=\"user\"; credential=\"pa ss\"; \
             credential-type=\"password\""
        );
    }

    #[test]
    fn bearer_token_is_checked_exactly() {
        let auth = |v: &str| with(header::AUTHORIZATION, &[v]);
        assert!(bearer_matches(&auth("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(&auth("bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(&auth("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(&auth("Bearer s3cret2"), "s3cret"));
        assert!(!bearer_matches(&auth("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(&auth("Bear"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn media_type_ignores_case_and_parameters() {
        let ct = |v: &str| with(header::CONTENT_TYPE, &[v]);
        assert!(has_media_type(&ct("application/sdp"), "application/sdp"));
        assert!(has_media_type(
            &ct("Application/SDP; charset=utf-8"),
            "application/sdp"
        ));
        assert!(!has_media_type(&ct("text/plain"), "application/sdp"));
        assert!(!has_media_type(&HeaderMap::new(), "application/sdp"));
    }
}
