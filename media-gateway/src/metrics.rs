//! The gateway's Prometheus metrics: the families, their labels, and the text exposition for GET /metrics.
//!
//! Names and labels are part of the operator-facing contract (dashboards, alerts); ARCHITECTURE.md lists
//! them. Counters get `_total` appended by the encoder.

use crate::links::Links;
use crate::links::kms::{LinkState, ReleaseStats};
use media_proto::v1::EndReason;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::PoisonError;

/// Local calls take microseconds, Start milliseconds to seconds; streams last minutes.
const RPC_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RpcLabels {
    /// `package.Service/Method`, only for the methods the gateway serves (else "unknown").
    pub(crate) method: &'static str,
    /// The gRPC status code name, e.g. "OK", "NOT_FOUND".
    pub(crate) code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UriLabel {
    uri: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LinkLabels {
    uri: String,
    state: &'static str,
}

fn rpc_histogram() -> Histogram {
    Histogram::new(RPC_BUCKETS)
}

type HistogramMaker = fn() -> Histogram;

/// Every metric the gateway exports, in its own registry (no global state: gateways in one test process
/// never share counts).
pub(crate) struct Metrics {
    registry: Registry,
    rpcs: Family<RpcLabels, Counter>,
    rpc_seconds: Family<RpcLabels, Histogram, HistogramMaker>,
    sessions_open: Gauge,
    sessions_ended: Family<ReasonLabel, Counter>,
    media_servers: Gauge,
    link_state: Family<LinkLabels, Gauge>,
    link_sessions: Family<UriLabel, Gauge>,
    pipelines_released: Counter,
    release_failures: Counter,
    reconciliation_runs: Family<OutcomeLabel, Counter>,
    pipelines_reconciled: Counter,
    release_retries: Counter,
    releases_confirmed_on_retry: Counter,
    unclaimed_objects: Counter,
    releases_left: Counter,
    releases_owed: Family<UriLabel, Gauge>,
    candidates_refused: Family<ReasonLabel, Counter>,
    connections_open: Gauge,
    connections_refused: Family<ReasonLabel, Counter>,
    /// The links' own monotonic release counts as last exported, so the counters above advance by the
    /// difference (the links know nothing of metrics).
    seen: std::sync::Mutex<std::collections::HashMap<String, ReleaseStats>>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("media_gateway");
        let m = Self {
            registry: Registry::default(),
            rpcs: Family::default(),
            rpc_seconds: Family::new_with_constructor(rpc_histogram as HistogramMaker),
            sessions_open: Gauge::default(),
            sessions_ended: Family::default(),
            media_servers: Gauge::default(),
            link_state: Family::default(),
            link_sessions: Family::default(),
            pipelines_released: Counter::default(),
            release_failures: Counter::default(),
            reconciliation_runs: Family::default(),
            pipelines_reconciled: Counter::default(),
            release_retries: Counter::default(),
            releases_confirmed_on_retry: Counter::default(),
            unclaimed_objects: Counter::default(),
            releases_left: Counter::default(),
            releases_owed: Family::default(),
            candidates_refused: Family::default(),
            connections_open: Gauge::default(),
            connections_refused: Family::default(),
            seen: std::sync::Mutex::default(),
        };
        let r = &mut registry;
        r.register(
            "grpc_requests",
            "gRPC calls answered, by method and status code (auth refusals included)",
            m.rpcs.clone(),
        );
        r.register(
            "grpc_request_duration_seconds",
            "Time from a call's arrival to its status (for streams: the stream's lifetime)",
            m.rpc_seconds.clone(),
        );
        r.register(
            "sessions_open",
            "Live sessions, those still starting included",
            m.sessions_open.clone(),
        );
        r.register(
            "sessions_ended",
            "Sessions ended, by reason (start_failed: Start never completed)",
            m.sessions_ended.clone(),
        );
        r.register(
            "media_servers",
            "Media servers configured (the embedded one counts)",
            m.media_servers.clone(),
        );
        r.register(
            "media_server_link_state",
            "1 for the state each media server link is in (up, connecting, down), 0 for the others",
            m.link_state.clone(),
        );
        r.register(
            "media_server_sessions",
            "Live sessions placed on each media server",
            m.link_sessions.clone(),
        );
        r.register(
            "pipelines_released",
            "Pipelines the media servers confirmed released",
            m.pipelines_released.clone(),
        );
        r.register(
            "pipeline_release_failures",
            "First attempts at a pipeline release that failed or got no answer (the link then retries them)",
            m.release_failures.clone(),
        );
        r.register(
            "reconciliation_runs",
            "Reconciliation passes over a media server's pipelines, by outcome (ok, failed)",
            m.reconciliation_runs.clone(),
        );
        r.register(
            "pipelines_reconciled",
            "Pipelines marked as this instance's that no live session held, released by reconciliation",
            m.pipelines_reconciled.clone(),
        );
        r.register(
            "pipeline_release_retries",
            "Retries of owed releases sent to the media servers",
            m.release_retries.clone(),
        );
        r.register(
            "pipeline_releases_confirmed_on_retry",
            "Owed releases the media servers confirmed on a retry",
            m.releases_confirmed_on_retry.clone(),
        );
        r.register(
            "unclaimed_objects",
            "Objects a create or transaction made after its caller had left (late replies), owed a release",
            m.unclaimed_objects.clone(),
        );
        r.register(
            "pipeline_releases_left_to_reconciliation",
            "Owed releases a link could not keep (queue full, link stopped): left to reconciliation",
            m.releases_left.clone(),
        );
        r.register(
            "candidates_refused",
            "Caller candidates kept from the media server by the address policy, by reason",
            m.candidates_refused.clone(),
        );
        r.register(
            "connections_open",
            "TCP connections open now on the gRPC and metrics listeners",
            m.connections_open.clone(),
        );
        r.register(
            "connections_refused",
            "Connections closed on accept because a cap was reached, by reason (total, per_ip)",
            m.connections_refused.clone(),
        );
        r.register(
            "pipeline_releases_owed",
            "Releases each media server link owes and is retrying now",
            m.releases_owed.clone(),
        );
        Self { registry, ..m }
    }
}

/// Connections on the gRPC and metrics listeners, as `service_kit::admission` admits and closes them.
impl service_kit::admission::Observer for Metrics {
    fn opened(&self) {
        self.connections_open.inc();
    }

    fn closed(&self) {
        self.connections_open.dec();
    }

    fn refused(&self, why: service_kit::admission::Refused) {
        self.connections_refused
            .get_or_create(&ReasonLabel {
                reason: why.reason(),
            })
            .inc();
    }
}

/// The label for an end reason: the proto name without its prefix, lowercased.
pub(crate) fn reason_label(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Unspecified => "unspecified",
        EndReason::Stopped => "stopped",
        EndReason::LeaseExpired => "lease_expired",
        EndReason::MediaServerLost => "media_server_lost",
        EndReason::MediaServerRestarted => "media_server_restarted",
        EndReason::Shutdown => "shutdown",
        EndReason::MediaError => "media_error",
    }
}

fn state_label(s: &LinkState) -> &'static str {
    match s {
        LinkState::Up => "up",
        LinkState::Connecting => "connecting",
        LinkState::Down { .. } => "down",
    }
}

impl Metrics {
    pub(crate) fn rpc(&self, labels: RpcLabels, seconds: f64) {
        self.rpc_seconds.get_or_create(&labels).observe(seconds);
        self.rpcs.get_or_create(&labels).inc();
    }

    pub(crate) fn session_ended(&self, reason: &'static str) {
        self.sessions_ended
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    pub(crate) fn released(&self, ok: bool) {
        if ok {
            self.pipelines_released.inc();
        } else {
            self.release_failures.inc();
        }
    }

    pub(crate) fn candidate_refused(&self, reason: &'static str) {
        self.candidates_refused
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    pub(crate) fn reconciled(&self, ok: bool, pipelines: usize) {
        let outcome = if ok { "ok" } else { "failed" };
        self.reconciliation_runs
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
        self.pipelines_reconciled.inc_by(pipelines as u64);
    }

    /// Advances the release counters by what `link` counted since the last export.
    fn sync_releases(&self, uri: &str, now: ReleaseStats) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let was = seen.insert(uri.to_owned(), now).unwrap_or_default();
        self.release_retries
            .inc_by(now.retries.saturating_sub(was.retries));
        self.releases_confirmed_on_retry
            .inc_by(now.confirmed.saturating_sub(was.confirmed));
        self.unclaimed_objects
            .inc_by(now.unclaimed.saturating_sub(was.unclaimed));
        self.releases_left.inc_by(
            now.left_to_reconciliation
                .saturating_sub(was.left_to_reconciliation),
        );
        self.releases_owed
            .get_or_create(&UriLabel {
                uri: uri.to_owned(),
            })
            .set(i64::try_from(now.pending).unwrap_or(i64::MAX));
    }

    /// The text exposition, with the gauges read from the gateway's state at this moment.
    pub(crate) fn encode(&self, links: &Links, sessions_open: usize) -> String {
        self.sessions_open
            .set(i64::try_from(sessions_open).unwrap_or(i64::MAX));
        self.media_servers
            .set(i64::try_from(links.all().len()).unwrap_or(i64::MAX));
        for (link, load) in links.loads() {
            let uri = link.uri().to_owned();
            self.sync_releases(&uri, link.release_stats());
            let now = state_label(&link.state().borrow());
            for state in ["up", "connecting", "down"] {
                let labels = LinkLabels {
                    uri: uri.clone(),
                    state,
                };
                self.link_state
                    .get_or_create(&labels)
                    .set(i64::from(state == now));
            }
            self.link_sessions
                .get_or_create(&UriLabel { uri })
                .set(i64::try_from(load).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error is reported in the body rather than hidden.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            text.push_str(&format!("# encoding failed: {e}\n"));
        }
        text
    }
}
