//! The WebSocket upgrade's Origin check, so another site's page cannot drive a visitor's camera session.
//!
//! The allow list is fixed at start-up: the configured origins plus the listen address's own. The Host header
//! is never consulted: under DNS rebinding an attacker's page at `http://evil.example:PORT` reaches the bridge
//! with a matching `Host: evil.example:PORT`, so "Origin equals Host" would let it in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::HeaderMap;
use http::header::ORIGIN;
use url::{Origin, Url};

use crate::error::Error;

/// The origins that may open `/helloworld`.
#[derive(Debug, Clone)]
pub(crate) struct Allowed {
    origins: Vec<Origin>,
    /// `*` was configured: any origin (an explicit opt-out, for development).
    any: bool,
}

impl Allowed {
    /// `configured` (each `scheme://host[:port]`, or `*`) plus the origins a browser shows for the literal
    /// listen address: its IP, and `localhost` too when that IP is loopback or unspecified (then also both
    /// loopback IPs). Nobody else can serve a page at those, so they are always the page's own.
    pub(crate) fn new(configured: &[String], listen: SocketAddr, tls: bool) -> Result<Self, Error> {
        let mut any = false;
        let mut origins = Vec::new();
        for entry in configured {
            let entry = entry.trim();
            if entry == "*" {
                any = true;
                continue;
            }
            let origin = Url::parse(entry)
                .ok()
                .map(|u| u.origin())
                .filter(Origin::is_tuple)
                .ok_or_else(|| Error::AllowedOrigin(entry.to_owned()))?;
            origins.push(origin);
        }
        let scheme = if tls { "https" } else { "http" };
        let port = listen.port();
        let mut hosts: Vec<String> = Vec::new();
        let ip = listen.ip();
        if ip.is_unspecified() || ip.is_loopback() {
            hosts.push("localhost".to_owned());
            hosts.push(Ipv4Addr::LOCALHOST.to_string());
            hosts.push(format!("[{}]", Ipv6Addr::LOCALHOST));
        }
        if !ip.is_unspecified() {
            hosts.push(match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        for host in hosts {
            if let Ok(url) = Url::parse(&format!("{scheme}://{host}:{port}")) {
                let origin = url.origin();
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        Ok(Self { origins, any })
    }

    /// The origins in the list, as browsers send them (for the start-up log).
    pub(crate) fn shown(&self) -> Vec<String> {
        self.origins
            .iter()
            .map(Origin::ascii_serialization)
            .collect()
    }

    /// Allows a request whose Origin is in the list. Requests without Origin come from non-browser clients
    /// (browsers always send it on WebSocket upgrades), which cross-site attacks cannot use, so they pass.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(origin) = headers.get(ORIGIN) else {
            return Ok(());
        };
        if self.any {
            return Ok(());
        }
        let origin = origin
            .to_str()
            .map_err(|_| "the Origin header is not valid text".to_owned())?;
        let parsed = Url::parse(origin).ok().map(|u| u.origin());
        match parsed {
            Some(o) if o.is_tuple() && self.origins.contains(&o) => Ok(()),
            _ => Err(format!(
                "origin {} may not open this WebSocket (allow it with --allowed-origin)",
                origin.chars().take(200).collect::<String>()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HOST;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn listen_address_and_listed_origins_pass_and_host_is_not_trusted() {
        let listen: SocketAddr = "0.0.0.0:8443".parse().unwrap();
        let allowed = Allowed::new(&[], listen, true).unwrap();
        for own in [
            "https://localhost:8443",
            "https://127.0.0.1:8443",
            "https://[::1]:8443",
            "https://LOCALHOST:8443/",
        ] {
            assert!(allowed.check(&headers(Some(own), "x")).is_ok(), "{own}");
        }
        assert!(allowed.check(&headers(None, "localhost:8443")).is_ok());
        // DNS rebinding: the Host matches the Origin, which proves nothing.
        assert!(
            allowed
                .check(&headers(
                    Some("https://evil.example:8443"),
                    "evil.example:8443"
                ))
                .is_err()
        );
        assert!(
            allowed
                .check(&headers(Some("http://localhost:8443"), "localhost:8443"))
                .is_err(),
            "the scheme is part of the origin"
        );
        assert!(allowed.check(&headers(Some("null"), "x")).is_err());
        let listed = Allowed::new(&["https://demo.example".to_owned()], listen, true).unwrap();
        assert!(
            listed
                .check(&headers(Some("https://demo.example:443"), "x"))
                .is_ok()
        );
        assert!(
            listed
                .check(&headers(Some("https://localhost:9999"), "localhost:9999"))
                .is_err()
        );
    }

    #[test]
    fn loopback_listen_lists_each_origin_once() {
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let shown = Allowed::new(&[], listen, false).unwrap().shown();
        assert_eq!(
            shown,
            [
                "http://localhost:8080",
                "http://127.0.0.1:8080",
                "http://[::1]:8080"
            ]
        );
    }

    #[test]
    fn a_specific_address_is_its_own_origin_only() {
        let listen: SocketAddr = "192.0.2.7:8080".parse().unwrap();
        let allowed = Allowed::new(&[], listen, false).unwrap();
        assert!(
            allowed
                .check(&headers(Some("http://192.0.2.7:8080"), "x"))
                .is_ok()
        );
        assert!(
            allowed
                .check(&headers(Some("http://localhost:8080"), "x"))
                .is_err()
        );
    }

    #[test]
    fn configured_entries_must_be_origins() {
        let listen: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(Allowed::new(&["demo.example".to_owned()], listen, true).is_err());
        let any = Allowed::new(&["*".to_owned()], listen, true).unwrap();
        assert!(any.check(&headers(Some("https://x.example"), "x")).is_ok());
    }
}
