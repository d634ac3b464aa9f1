//! The session's background tasks: the long poll, which turns Janus's pushed events into a bounded
//! queue, and the keepalive that keeps a session older than Janus's `session_timeout` alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::http::Endpoint;
use super::messages::{self, Event};

/// Janus holds a long poll 30 s before it answers with a keepalive; wait a little longer than that.
const LONG_POLL_TIMEOUT: Duration = Duration::from_secs(40);
/// Well inside Janus's default 60 s session timeout.
pub(crate) const KEEPALIVE_EVERY: Duration = Duration::from_secs(25);

/// What the long poll hands on: an event, or why the poll stopped.
pub(crate) type Polled = Result<Event, String>;

/// Polls `GET /janus/{session}?maxev=1` until the queue's receiver is gone, Janus answers something
/// unreadable, or a request fails. Once `closing` is set (the session is being destroyed), a failing
/// poll is the expected end and is not reported.
pub(crate) async fn long_poll(
    endpoint: Endpoint,
    session: u64,
    queue: mpsc::Sender<Polled>,
    closing: Arc<AtomicBool>,
) {
    let path = format!("/{session}?maxev=1");
    loop {
        let failure = match endpoint.get(&path, LONG_POLL_TIMEOUT).await {
            Ok(body) => match messages::parse_events(&body) {
                Ok(events) => {
                    for event in events {
                        if event == Event::Keepalive {
                            continue;
                        }
                        // A full queue waits for the watcher: backpressure, not loss.
                        if queue.send(Ok(event)).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                Err(e) => format!("unreadable long-poll reply: {e}"),
            },
            Err(e) => e,
        };
        if !closing.load(Ordering::Acquire) {
            let _ = queue.send(Err(failure)).await;
        }
        return;
    }
}

/// Sends a keepalive every [`KEEPALIVE_EVERY`], forever (the session aborts it). A failed one is only
/// logged: the long poll reports a session that is gone.
pub(crate) async fn keepalive(endpoint: Endpoint, session: u64, timeout: Duration) {
    let path = format!("/{session}");
    let mut tick = tokio::time::interval(KEEPALIVE_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let body = messages::keepalive(&super::session::transaction());
        if let Err(e) = endpoint.post(&path, body, timeout).await {
            tracing::debug!(session, error = %e, "Janus keepalive failed");
        }
    }
}
