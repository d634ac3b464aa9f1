//! Test support for the KMS link: a small scripted Kurento WebSocket peer on 127.0.0.1.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod http;
pub mod peer;

use std::time::Duration;

/// Polls `cond` every 10 ms until it holds or `limit` passes; says whether it held.
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}
