//! Live counts of what the bridge holds open, shared between the server, `/metrics` and whoever watches it
//! (tests). Backed by the Prometheus metrics, so the exported numbers and the ones tests see are the same.

use std::sync::Arc;

use service_kit::admission::{Observer, Refused};

use crate::ops::metrics::{KindLabel, Metrics, OutcomeLabel, ReasonLabel, TypeLabel};

/// A cloneable handle on the bridge's counters. Clone it out of [`crate::Config`] before calling `run`.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub(crate) metrics: Arc<Metrics>,
}

impl Counters {
    /// WebSockets on /helloworld that are open right now.
    pub fn open_sockets(&self) -> usize {
        usize::try_from(self.metrics.sockets_open.get()).unwrap_or(0)
    }

    /// Calls the bridge holds: MediaSession sessions it has started and not yet stopped (including Starts still
    /// in flight).
    pub fn live_sessions(&self) -> usize {
        usize::try_from(self.metrics.calls_open.get()).unwrap_or(0)
    }

    /// WHIP resources live right now (each holds one gateway session, also counted in `live_sessions`).
    pub fn whip_resources(&self) -> usize {
        usize::try_from(self.metrics.whip_resources_open.get()).unwrap_or(0)
    }

    /// Times media started flowing on a WHIP session in `direction` (`in`: into the media server, `out`:
    /// back to the client), as the gateway's MediaFlow events say.
    pub fn whip_media_flowing(&self, direction: &'static str) -> u64 {
        self.metrics
            .whip_media_flowing
            .get_or_create(&crate::ops::metrics::DirectionLabel { direction })
            .get()
    }

    /// HTTP connections open right now on every listener, WebSockets included.
    pub fn open_connections(&self) -> usize {
        usize::try_from(self.metrics.connections_open.get()).unwrap_or(0)
    }

    /// HTTP connections closed on accept because a cap was reached, for `reason` `total` or `per_ip`.
    pub fn refused_connections(&self, reason: &'static str) -> u64 {
        self.metrics
            .connections_refused
            .get_or_create(&ReasonLabel { reason })
            .get()
    }

    /// Calls whose socket dropped, waiting to be resumed right now.
    pub fn parked_calls(&self) -> usize {
        usize::try_from(self.metrics.calls_parked.get()).unwrap_or(0)
    }

    /// Parked calls and resume attempts that ended in `outcome` (see `web_bridge_resumes_total`).
    pub fn resumes(&self, outcome: &'static str) -> u64 {
        self.metrics
            .resumes
            .get_or_create(&OutcomeLabel { outcome })
            .get()
    }

    /// The Prometheus text exposition served at `GET /metrics`.
    pub fn prometheus_text(&self) -> String {
        self.metrics.encode()
    }

    pub(crate) fn socket_opened(&self) -> Guard {
        self.metrics.sockets_open.inc();
        self.metrics.sockets_total.inc();
        Guard {
            counters: self.clone(),
            which: Which::Socket,
        }
    }

    /// Counts a call from the moment its Start is sent until the guard is dropped.
    pub(crate) fn call_opened(&self) -> Guard {
        self.metrics.calls_open.inc();
        Guard {
            counters: self.clone(),
            which: Which::Call,
        }
    }

    pub(crate) fn resume_outcome(&self, outcome: &'static str) {
        self.metrics
            .resumes
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// Counts one socket closed because its browser stopped answering; `reason` is the metric label.
    pub(crate) fn socket_unresponsive(&self, reason: &'static str) {
        self.metrics
            .sockets_unresponsive
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    pub(crate) fn message_received(&self, id: &'static str) {
        self.metrics
            .browser_messages
            .get_or_create(&TypeLabel { r#type: id })
            .inc();
    }

    /// Counts one `error` sent to a browser; `kind` is the metric label (`ErrorKind::as_str`).
    pub(crate) fn error_sent(&self, kind: &'static str) {
        self.metrics
            .browser_errors
            .get_or_create(&KindLabel { kind })
            .inc();
    }
}

/// HTTP connections, counted as `service_kit::admission` admits and closes them (with the connection's IO,
/// which an upgraded WebSocket keeps).
impl Observer for Counters {
    fn opened(&self) {
        self.metrics.connections_open.inc();
    }

    fn closed(&self) {
        self.metrics.connections_open.dec();
    }

    fn refused(&self, why: Refused) {
        self.metrics
            .connections_refused
            .get_or_create(&ReasonLabel {
                reason: why.reason(),
            })
            .inc();
    }
}

#[derive(Debug)]
enum Which {
    Socket,
    Call,
}

/// Decrements its gauge when dropped, so every exit path (including a panic or a cancelled task) is counted.
#[derive(Debug)]
pub(crate) struct Guard {
    counters: Counters,
    which: Which,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let gauge = match self.which {
            Which::Socket => &self.counters.metrics.sockets_open,
            Which::Call => &self.counters.metrics.calls_open,
        };
        gauge.dec();
    }
}
