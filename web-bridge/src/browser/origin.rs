//! The WebSocket upgrade's Origin check, so another site's page cannot drive a visitor's camera session.

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// Allows a request whose Origin is the page's own origin (its host:port equals the Host header) or is listed
/// in `allowed`. Requests without Origin come from non-browser clients (browsers always send it on WebSocket
/// upgrades), which cross-site attacks cannot use, so they pass.
pub(crate) fn check(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| "the Origin header is not valid text".to_owned())?;
    let origin_trimmed = origin.trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin_trimmed))
    {
        return Ok(());
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let authority = url::Url::parse(origin).ok().and_then(|u| {
        let host = u.host_str()?.to_owned();
        Some(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    match authority {
        Some(a) if !host.is_empty() && a.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(format!(
            "origin {origin} may not open this WebSocket (allow it with --allowed-origin)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_passes_and_others_need_listing() {
        assert!(
            check(
                &headers(Some("https://localhost:8443"), "localhost:8443"),
                &[]
            )
            .is_ok()
        );
        assert!(check(&headers(None, "localhost:8443"), &[]).is_ok());
        assert!(
            check(
                &headers(Some("https://evil.example"), "localhost:8443"),
                &[]
            )
            .is_err()
        );
        let allowed = vec!["https://evil.example".to_owned()];
        assert!(
            check(
                &headers(Some("https://evil.example"), "localhost:8443"),
                &allowed
            )
            .is_ok()
        );
        assert!(
            check(
                &headers(Some("https://localhost:9999"), "localhost:8443"),
                &[]
            )
            .is_err()
        );
    }
}
