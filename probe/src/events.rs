//! Watches a session's StreamCandidates stream for the probe: hands server candidates to the peer, logs
//! state changes, and remembers how the session ended.

use std::time::Instant;

use media_proto::v1::session_event::Event;
use media_proto::v1::{EndReason, SessionEvent, connection_changed::Layer};
use tonic::Streaming;

use crate::peer::Peer;

/// What the stream told the probe.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventLog {
    /// Server candidates received (end-of-candidates markers excluded).
    pub candidates: usize,
    /// Server candidates the peer rejected, with the reason.
    pub bad_candidates: Vec<String>,
    pub gathering_done: bool,
    /// State changes, each with the time since Start was sent, for a person to read.
    pub states: Vec<String>,
    /// The SessionEnded event, if it came.
    pub ended: Option<(EndReason, String)>,
    /// Set when the stream failed instead of ending after SessionEnded.
    pub stream_error: Option<String>,
}

/// Reads `stream` until it ends, recording into `log` as it goes so a caller that stops waiting keeps
/// what was seen. With `apply_candidates` each server candidate goes to `peer`; without (a caller that
/// cannot trickle) they are only counted, since the answer already held them.
pub(crate) async fn watch(
    mut stream: Streaming<SessionEvent>,
    peer: &Peer,
    apply_candidates: bool,
    since: Instant,
    log: &mut EventLog,
) {
    loop {
        let event = match stream.message().await {
            Ok(Some(SessionEvent { event: Some(event) })) => event,
            Ok(Some(SessionEvent { event: None })) => {
                tracing::debug!("empty session event (newer gateway?), ignored");
                continue;
            }
            Ok(None) => return,
            Err(status) => {
                log.stream_error = Some(status.to_string());
                return;
            }
        };
        let at = since.elapsed();
        let line = match event {
            Event::Candidate(c) if c.candidate.is_empty() => {
                tracing::debug!(?at, "server end-of-candidates");
                None
            }
            Event::Candidate(c) => {
                log.candidates += 1;
                tracing::debug!(?at, candidate = %c.candidate, "server candidate");
                if apply_candidates
                    && let Err(e) = peer
                        .add_remote_candidate(&c.candidate, &c.sdp_mid, c.sdp_m_line_index)
                        .await
                {
                    log.bad_candidates.push(e.to_string());
                }
                None
            }
            Event::GatheringDone(_) => {
                log.gathering_done = true;
                Some("gathering done".to_owned())
            }
            Event::IceState(s) => Some(format!(
                "ice {} (stream {}, component {})",
                s.state().as_str_name(),
                s.stream_id,
                s.component_id
            )),
            Event::CandidatePair(p) => Some(format!(
                "pair selected: {} <-> {}",
                p.local_candidate, p.remote_candidate
            )),
            Event::MediaFlow(f) => Some(format!(
                "media {} {} {}",
                f.kind().as_str_name(),
                f.direction().as_str_name(),
                if f.flowing { "flowing" } else { "not flowing" }
            )),
            Event::Connection(c) => Some(format!(
                "{} {}",
                match c.layer() {
                    Layer::Transport => "transport",
                    Layer::Media => "media",
                    Layer::Unspecified => "connection",
                },
                if c.connected {
                    "connected"
                } else {
                    "disconnected"
                }
            )),
            Event::Ended(e) => {
                let line = format!("ended: {} {}", e.reason().as_str_name(), e.message);
                log.ended = Some((e.reason(), e.message));
                Some(line)
            }
        };
        if let Some(line) = line {
            tracing::info!(?at, "session event: {line}");
            log.states
                .push(format!("{:>7.3}s  {line}", at.as_secs_f64()));
        }
    }
}
