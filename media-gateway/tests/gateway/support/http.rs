//! A GET on the metrics listener's plain-text endpoints, whose bodies must be sized (not chunked).

use std::net::SocketAddr;

/// GETs `path` with `Connection: close` and returns the status code and the body.
pub(crate) async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = test_support::http::get(addr, path)
        .await
        .unwrap_or_else(|e| panic!("GET {path} from the metrics listener: {e:#}"));
    assert!(
        !response
            .head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "expected a sized body: {}",
        response.head
    );
    (response.status, response.text())
}
