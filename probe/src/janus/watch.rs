//! What the probe does with a Janus session's events while media flows: trickled candidates go to the
//! peer, the rest becomes the report's timeline, and a failed long poll its stream error.

use std::collections::VecDeque;
use std::time::Instant;

use tokio::sync::mpsc;

use super::messages::Event;
use super::poll::Polled;
use crate::events::EventLog;
use crate::peer::Peer;
use crate::signaling::ServerEvents;

/// The session's events: those that came before the answer, then the long poll's queue.
pub(crate) struct JanusEvents {
    early: VecDeque<Polled>,
    queue: mpsc::Receiver<Polled>,
}

impl JanusEvents {
    pub(crate) fn new(early: VecDeque<Polled>, queue: mpsc::Receiver<Polled>) -> Self {
        JanusEvents { early, queue }
    }

    async fn next(&mut self) -> Option<Polled> {
        match self.early.pop_front() {
            Some(polled) => Some(polled),
            None => self.queue.recv().await,
        }
    }
}

impl ServerEvents for JanusEvents {
    async fn watch(
        mut self,
        peer: &Peer,
        apply_candidates: bool,
        since: Instant,
        log: &mut EventLog,
    ) {
        // The queue ends when the session is destroyed (its tasks are aborted) or the poll failed.
        while let Some(polled) = self.next().await {
            let at = since.elapsed();
            let event = match polled {
                Ok(event) => event,
                Err(e) => {
                    log.stream_error = Some(e);
                    return;
                }
            };
            let line = match event {
                Event::Trickle(Some(c)) => {
                    log.candidates += 1;
                    if apply_candidates
                        && let Err(e) = peer
                            .add_remote_candidate(&c.candidate, &c.sdp_mid, c.sdp_m_line_index)
                            .await
                    {
                        log.bad_candidates.push(e.to_string());
                    }
                    None
                }
                Event::Trickle(None) => {
                    log.gathering_done = true;
                    Some("end of candidates".to_owned())
                }
                Event::WebrtcUp => Some("webrtcup".to_owned()),
                Event::Media { kind, receiving } => Some(format!(
                    "media {kind} {}",
                    if receiving {
                        "receiving"
                    } else {
                        "not receiving"
                    }
                )),
                Event::SlowLink { media, uplink } => Some(format!(
                    "slowlink {media} {}",
                    if uplink { "uplink" } else { "downlink" }
                )),
                Event::Hangup { reason } => Some(format!("hangup: {reason}")),
                Event::Detached => Some("detached".to_owned()),
                Event::Plugin { error, .. } => Some(error.map_or_else(
                    || "echotest event".to_owned(),
                    |e| format!("echotest error: {e}"),
                )),
                Event::Error { code, reason } => {
                    log.stream_error = Some(format!("error {code}: {reason}"));
                    Some(format!("error {code}: {reason}"))
                }
                Event::Other(kind) => Some(kind),
                Event::Keepalive => None,
            };
            if let Some(line) = line {
                tracing::info!(?at, "Janus event: {line}");
                log.states
                    .push(format!("{:>7.3}s  {line}", at.as_secs_f64()));
            }
        }
    }
}
