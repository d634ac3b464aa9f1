//! The bridge's Prometheus metrics: the families, their label sets, and the text exposition for GET /metrics.
//!
//! Names and labels are part of the operator-facing contract (dashboards, alerts); the README lists them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tonic::Code;

/// Start takes milliseconds on a local media server and seconds on a loaded one; the gateway's own deadline
/// is far below the last bucket.
const START_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TypeLabel {
    pub(crate) r#type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabel {
    pub(crate) kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReasonLabel {
    pub(crate) reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DirectionLabel {
    pub(crate) direction: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) method: &'static str,
    pub(crate) status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OutcomeLabel {
    pub(crate) outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct CallLabels {
    pub(crate) method: &'static str,
    pub(crate) code: &'static str,
}

/// Every metric the bridge exports, registered once in its own registry (no global state, so several bridges
/// in one test process never share counts).
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) sockets_open: Gauge,
    pub(crate) sockets_total: Counter,
    pub(crate) sockets_unresponsive: Family<ReasonLabel, Counter>,
    pub(crate) connections_open: Gauge,
    pub(crate) connections_refused: Family<ReasonLabel, Counter>,
    pub(crate) calls_open: Gauge,
    pub(crate) calls_orphaned: Counter,
    pub(crate) calls_parked: Gauge,
    pub(crate) resumes: Family<OutcomeLabel, Counter>,
    pub(crate) browser_messages: Family<TypeLabel, Counter>,
    pub(crate) browser_errors: Family<KindLabel, Counter>,
    pub(crate) start_seconds: Histogram,
    pub(crate) gateway_calls: Family<CallLabels, Counter>,
    pub(crate) whip_resources_open: Gauge,
    pub(crate) whip_requests: Family<RequestLabels, Counter>,
    pub(crate) whip_media_flowing: Family<DirectionLabel, Counter>,
    pub(crate) whip_sessions_ended: Counter,
    pub(crate) whip_idle_closed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("web_bridge");
        let m = Self {
            registry: Registry::default(),
            sockets_open: Gauge::default(),
            sockets_total: Counter::default(),
            sockets_unresponsive: Family::default(),
            connections_open: Gauge::default(),
            connections_refused: Family::default(),
            calls_open: Gauge::default(),
            calls_orphaned: Counter::default(),
            calls_parked: Gauge::default(),
            resumes: Family::default(),
            browser_messages: Family::default(),
            browser_errors: Family::default(),
            start_seconds: Histogram::new(START_BUCKETS),
            gateway_calls: Family::default(),
            whip_resources_open: Gauge::default(),
            whip_requests: Family::default(),
            whip_media_flowing: Family::default(),
            whip_sessions_ended: Counter::default(),
            whip_idle_closed: Counter::default(),
        };
        // Counters get `_total` appended by the encoder.
        registry.register(
            "websocket_connections_open",
            "WebSocket connections on /helloworld open now",
            m.sockets_open.clone(),
        );
        registry.register(
            "websocket_connections",
            "WebSocket connections on /helloworld accepted since start",
            m.sockets_total.clone(),
        );
        registry.register(
            "websocket_unresponsive",
            "WebSockets closed because the browser stopped answering or sat idle, by reason (pong_timeout, send_timeout, idle)",
            m.sockets_unresponsive.clone(),
        );
        registry.register(
            "http_connections_open",
            "HTTP connections open now on every listener (TLS handshakes and WebSockets included)",
            m.connections_open.clone(),
        );
        registry.register(
            "http_connections_refused",
            "HTTP connections closed on accept because a cap was reached, by reason (total, per_ip)",
            m.connections_refused.clone(),
        );
        registry.register(
            "gateway_sessions_open",
            "Gateway sessions started (or starting) and not yet stopped",
            m.calls_open.clone(),
        );
        registry.register(
            "gateway_sessions_orphaned",
            "Sessions whose Start returned after their socket was gone, stopped by the bridge itself",
            m.calls_orphaned.clone(),
        );
        registry.register(
            "calls_parked",
            "Calls whose WebSocket dropped, waiting within the resume grace for their page to come back",
            m.calls_parked.clone(),
        );
        registry.register(
            "resumes",
            "What became of parked calls and resume attempts, by outcome (resumed, taken_over, expired, refused_full, unknown_token)",
            m.resumes.clone(),
        );
        registry.register(
            "browser_messages",
            "Messages received from browsers, by message id (invalid: unparseable, binary or too big)",
            m.browser_messages.clone(),
        );
        registry.register(
            "browser_errors",
            "error messages sent to browsers, by kind",
            m.browser_errors.clone(),
        );
        registry.register(
            "start_duration_seconds",
            "Time the gateway took to answer Start, successful or not",
            m.start_seconds.clone(),
        );
        registry.register(
            "gateway_calls",
            "gRPC calls to the media gateway, by method and status code",
            m.gateway_calls.clone(),
        );
        registry.register(
            "whip_resources_open",
            "WHIP resources (one gateway session each) live now",
            m.whip_resources_open.clone(),
        );
        registry.register(
            "whip_requests",
            "WHIP requests answered, by method (POST, PATCH, DELETE, OPTIONS) and HTTP status",
            m.whip_requests.clone(),
        );
        registry.register(
            "whip_media_flowing",
            "Times media started flowing on a WHIP session, by direction (in: into the media server, out: back to the client)",
            m.whip_media_flowing.clone(),
        );
        registry.register(
            "whip_sessions_ended",
            "WHIP sessions the gateway ended itself (lease, media server lost, shutdown), not by DELETE or drain",
            m.whip_sessions_ended.clone(),
        );
        registry.register(
            "whip_idle_closed",
            "WHIP resources stopped because no media flowed in for the idle timeout (a client that left without DELETE)",
            m.whip_idle_closed.clone(),
        );
        Self { registry, ..m }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an error here would be an encoder bug, reported in the body.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            text.push_str(&format!("# encoding failed: {e}\n"));
        }
        text
    }

    /// Counts one answered WHIP request.
    pub(crate) fn whip_request(&self, method: &'static str, status: u16) {
        self.whip_requests
            .get_or_create(&RequestLabels { method, status })
            .inc();
    }

    /// Counts media starting to flow on a WHIP session, `in` or `out`.
    pub(crate) fn whip_media_flow(&self, direction: &'static str) {
        self.whip_media_flowing
            .get_or_create(&DirectionLabel { direction })
            .inc();
    }

    /// Counts one gateway call's outcome.
    pub(crate) fn gateway_call(&self, method: &'static str, code: Code) {
        self.gateway_calls
            .get_or_create(&CallLabels {
                method,
                code: code_name(code),
            })
            .inc();
    }
}

/// The canonical gRPC name of a status code, as grpc-go and grpcurl print it.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
