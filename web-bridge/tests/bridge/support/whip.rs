//! WHIP requests against a bridge over raw HTTP/1.1 (`test_support::http::request`), and an offer with
//! the parts the bridge reads (mids, ufrag, directions).

use std::net::SocketAddr;

pub(crate) use test_support::http::Response;

/// A BUNDLEd audio+video offer, sendrecv, ufrag `abcd`; the recording fake gateway does not parse it.
pub(crate) const WHIP_OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    a=group:BUNDLE 0 1\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n\
    m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n\
    m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendrecv\r\n";

/// One host candidate line (without `a=`) on `port`.
pub(crate) fn candidate(port: u16) -> String {
    format!("candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host")
}

/// A trickle fragment for mid `0` with ufrag `abcd`: the candidates, then end-of-candidates if `end`.
pub(crate) fn fragment(candidates: &[String], end: bool) -> String {
    let mut text = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
        .to_owned();
    for c in candidates {
        text.push_str(&format!("a={c}\r\n"));
    }
    if end {
        text.push_str("a=end-of-candidates\r\n");
    }
    text
}

/// `POST /whip` with `offer` as `application/sdp`, plus `headers`.
pub(crate) async fn post(
    addr: SocketAddr,
    offer: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Response> {
    let mut all = vec![("Content-Type", "application/sdp")];
    all.extend_from_slice(headers);
    test_support::http::request(addr, "POST", "/whip", &all, offer.as_bytes()).await
}

/// `PATCH location` with `fragment` as `application/trickle-ice-sdpfrag`, plus `headers`.
pub(crate) async fn patch(
    addr: SocketAddr,
    location: &str,
    fragment: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Response> {
    let mut all = vec![("Content-Type", "application/trickle-ice-sdpfrag")];
    all.extend_from_slice(headers);
    test_support::http::request(addr, "PATCH", location, &all, fragment.as_bytes()).await
}

/// `DELETE location` with `headers`.
pub(crate) async fn delete(
    addr: SocketAddr,
    location: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Response> {
    test_support::http::request(addr, "DELETE", location, headers, b"").await
}

/// A resource created on `addr`: its Location and ETag; fails unless the POST answered 201.
pub(crate) async fn created(addr: SocketAddr) -> anyhow::Result<(String, String)> {
    let r = post(addr, WHIP_OFFER, &[]).await?;
    anyhow::ensure!(r.status == 201, "POST answered {}: {}", r.status, r.text());
    let location = r.header("location").unwrap_or_default().to_owned();
    let etag = r.header("etag").unwrap_or_default().to_owned();
    Ok((location, etag))
}
