//! The WebSocket opening handshake on /helloworld (RFC 6455 section 4.2), checked here rather than by
//! axum's extractor so that the socket is tokio-tungstenite's own stream. The bridge can then write a
//! long message as fragments (see `link.rs`): tungstenite's write buffer keeps the capacity of the
//! largest frame it ever held for the socket's life, and the page's `startResponse` (the SDP answer) is
//! several KiB, held by every socket from then on.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Why a request on /helloworld is not a WebSocket handshake this bridge takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAHandshake {
    /// No `Connection: upgrade` and `Upgrade: websocket`: a plain HTTP request.
    NotUpgrade,
    /// A WebSocket version other than 13 (the only one browsers speak).
    Version,
    /// No `Sec-WebSocket-Key`.
    NoKey,
}

impl IntoResponse for NotAHandshake {
    fn into_response(self) -> Response {
        match self {
            Self::NotUpgrade => (
                StatusCode::UPGRADE_REQUIRED,
                [(header::UPGRADE, HeaderValue::from_static("websocket"))],
                "/helloworld is a WebSocket: connect with `Upgrade: websocket`",
            )
                .into_response(),
            Self::Version => (
                StatusCode::BAD_REQUEST,
                [(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                )],
                "unsupported WebSocket version: this server speaks version 13",
            )
                .into_response(),
            Self::NoKey => (
                StatusCode::BAD_REQUEST,
                "the WebSocket handshake has no Sec-WebSocket-Key header",
            )
                .into_response(),
        }
    }
}

/// Checks a GET's handshake headers; the `Sec-WebSocket-Accept` value that answers them.
pub(crate) fn accept(headers: &HeaderMap) -> Result<HeaderValue, NotAHandshake> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(NotAHandshake::NotUpgrade);
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(NotAHandshake::Version);
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or(NotAHandshake::NoKey)?;
    // The accept value is base64, always a valid header value.
    HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(|_| NotAHandshake::NoKey)
}

/// The 101 that completes the handshake (no subprotocol: the page asks for none).
pub(crate) fn switching_protocols(accept: HeaderValue) -> Response {
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::SEC_WEBSOCKET_ACCEPT, accept),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        // RFC 6455 section 1.3's example key and its accept value.
        h.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        h
    }

    #[test]
    fn answers_the_rfc_example() {
        assert_eq!(
            accept(&handshake()).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn refuses_what_is_not_a_version_13_handshake() {
        let mut plain = handshake();
        plain.remove(header::UPGRADE);
        assert_eq!(accept(&plain), Err(NotAHandshake::NotUpgrade));
        let mut old = handshake();
        old.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(accept(&old), Err(NotAHandshake::Version));
        let mut keyless = handshake();
        keyless.remove(header::SEC_WEBSOCKET_KEY);
        assert_eq!(accept(&keyless), Err(NotAHandshake::NoKey));
    }
}
