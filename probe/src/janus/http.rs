//! The few HTTP/1.1 calls the Janus API needs (a JSON POST, a long-poll GET), over hyper's client
//! connection, which the gRPC client already links. One TCP connection per request: the probe makes a
//! handful per session, and it keeps a stuck request from holding up the next one. Every request has a
//! deadline and every body a size cap, since the replies are network input.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Largest reply accepted; a Janus answer with its SDP is a few KiB.
const MAX_BODY: usize = 1 << 20;

/// Where the Janus API lives: `http://host:port/base` (e.g. `http://10.77.0.2:8088/janus`).
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `host:port`, for the TCP connection and the Host header.
    authority: String,
    /// The base path without a trailing '/'.
    base: String,
}

impl Endpoint {
    /// Parses `url`; only plain `http` is supported (Janus's HTTPS needs a certificate setup the
    /// benchmark does not use).
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err("only http:// URLs are supported".into());
        }
        let authority = uri.authority().ok_or("no host in the URL")?;
        let port = authority.port_u16().unwrap_or(80);
        Ok(Endpoint {
            authority: format!("{}:{port}", authority.host()),
            base: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// POSTs `body` (JSON) to `base` + `path` and returns the reply's body.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: String,
        timeout: Duration,
    ) -> Result<Bytes, String> {
        self.request(Method::POST, path, Bytes::from(body), timeout)
            .await
    }

    /// GETs `base` + `path` (a long poll: `timeout` must exceed Janus's 30 s hold).
    pub(crate) async fn get(&self, path: &str, timeout: Duration) -> Result<Bytes, String> {
        self.request(Method::GET, path, Bytes::new(), timeout).await
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, String> {
        match tokio::time::timeout(timeout, self.exchange(method, path, body)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no reply within {timeout:?}")),
        }
    }

    async fn exchange(&self, method: Method, path: &str, body: Bytes) -> Result<Bytes, String> {
        let stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| format!("connect to {}: {e}", self.authority))?;
        // Requests are small and answered at once: do not let Nagle hold the last segment back.
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        // The connection task ends with the request (or when this future is dropped on a timeout,
        // which drops the sender and so the connection).
        let conn = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "Janus HTTP connection ended with an error");
            }
        });
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| format!("building the request: {e}"))?;
        let result = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("HTTP request: {e}"))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("reading the reply: {e}"))?
                .to_bytes();
            if !status.is_success() {
                return Err(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ));
            }
            Ok(body)
        }
        .await;
        drop(sender);
        conn.abort();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_authority_and_base_path() {
        let e = Endpoint::parse("http://10.77.0.2:8088/janus/").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.base.as_str()),
            ("10.77.0.2:8088", "/janus")
        );
        let e = Endpoint::parse("http://janus.local").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.base.as_str()),
            ("janus.local:80", "")
        );
        assert!(Endpoint::parse("https://10.77.0.2:8089/janus").is_err());
        assert!(Endpoint::parse("not a url").is_err());
    }
}
