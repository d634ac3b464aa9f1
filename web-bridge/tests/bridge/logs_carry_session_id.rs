//! Log lines about a browser socket carry its gateway session id (span field `session_id`) once Start has
//! returned, so one session can be followed through the bridge's and the gateway's logs.
use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::{recv_json, send};

/// Collects every formatted log line.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON lines whose message is `message`.
fn lines_with(logs: &Lines, message: &str) -> Vec<serde_json::Value> {
    let bytes = logs.0.lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == message)
        .collect()
}

// The default single-threaded runtime runs every task on this thread, where the subscriber is installed.
#[tokio::test]
async fn logs_carry_session_id() -> anyhow::Result<()> {
    let logs = Lines::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_span_list(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let (_gateway, bridge, mut ws) = support::bridge_with_socket(false).await?;
    support::send_start(&mut ws).await?;
    assert_eq!(recv_json(&mut ws).await?["id"], "startResponse");
    send(&mut ws, r#"{"id":"stop"}"#).await?;
    support::eventually("the session to be stopped", || {
        bridge.counters.live_sessions() == 0
    })
    .await?;

    for message in ["session started", "session stopped"] {
        let found = lines_with(&logs, message);
        assert_eq!(found.len(), 1, "one {message:?} line expected");
        let spans = found[0]["spans"].as_array().cloned().unwrap_or_default();
        assert!(
            spans
                .iter()
                .any(|s| s["name"] == "socket" && s["session_id"] == "session-1"),
            "{message:?} carries no session_id: {}",
            found[0]
        );
    }
    // Before Start returned, the socket's lines have no id to carry.
    let opened = lines_with(&logs, "WebSocket opened");
    assert_eq!(opened.len(), 1);
    assert!(opened[0]["spans"][0]["session_id"].is_null());
    bridge.stop().await
}
