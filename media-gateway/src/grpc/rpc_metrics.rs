//! The one place gRPC calls are counted and timed: a tower layer around every service on the gRPC port.
//! The status code comes from the response headers (trailers-only answers: errors, auth refusals) or, for
//! calls that sent a body, from its trailers; a body dropped before its trailers counts as CANCELLED.

use crate::metrics::{Metrics, RpcLabels};
use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

/// The methods the gateway serves; anything else is labelled "unknown" so a client cannot grow the label
/// set by calling made-up paths.
const METHODS: &[&str] = &[
    "mediasession.v1.MediaSession/Start",
    "mediasession.v1.MediaSession/AddIceCandidate",
    "mediasession.v1.MediaSession/StreamCandidates",
    "mediasession.v1.MediaSession/Stop",
    "mediasession.v1.MediaSession/GetIceServers",
    "mediasession.v1.MediaSession/GetSessionStats",
    "mediasession.v1.MediaSession/RestartIce",
    "mediasession.v1.SessionAdmin/ListSessions",
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// gRPC status code names by number (the canonical codes 0..=16).
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn method_label(path: &str) -> &'static str {
    let path = path.strip_prefix('/').unwrap_or(path);
    METHODS
        .iter()
        .find(|m| **m == path)
        .copied()
        .unwrap_or("unknown")
}

fn code_in(headers: &HeaderMap) -> Option<&'static str> {
    let v = headers.get("grpc-status")?;
    let n: usize = v.to_str().ok()?.parse().ok()?;
    Some(CODES.get(n).copied().unwrap_or("UNKNOWN"))
}

#[derive(Clone)]
pub(crate) struct RpcMetricsLayer {
    metrics: Arc<Metrics>,
}

impl RpcMetricsLayer {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RpcMetrics<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// Records one call exactly once: when its code is known, or when it is dropped without one.
struct Recorder {
    metrics: Arc<Metrics>,
    method: &'static str,
    start: Instant,
    done: bool,
}

impl Recorder {
    fn record(&mut self, code: &'static str) {
        if !self.done {
            self.done = true;
            let labels = RpcLabels {
                method: self.method,
                code,
            };
            self.metrics.rpc(labels, self.start.elapsed().as_secs_f64());
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.record("CANCELLED");
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RpcMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<Observed<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let mut recorder = Recorder {
            metrics: self.metrics.clone(),
            method: method_label(request.uri().path()),
            start: Instant::now(),
            done: false,
        };
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await;
            match &response {
                Ok(r) => {
                    if let Some(code) = code_in(r.headers()) {
                        recorder.record(code);
                    }
                }
                Err(_) => recorder.record("UNKNOWN"),
            }
            response.map(|r| r.map(|inner| Observed { inner, recorder }))
        })
    }
}

/// A response body that reports the status in its trailers.
pub(crate) struct Observed<B> {
    inner: B,
    recorder: Recorder,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Observed<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(code_in) {
                    this.recorder.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.recorder.record("UNKNOWN"),
            // A body that ended without trailers: the headers already carried the code (recorded then).
            Poll::Ready(None) => this.recorder.record("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(
            method_label("/mediasession.v1.MediaSession/Start"),
            "mediasession.v1.MediaSession/Start"
        );
        assert_eq!(method_label("/made.up/Path"), "unknown");
        let mut h = HeaderMap::new();
        h.insert("grpc-status", "16".parse().expect("ascii"));
        assert_eq!(code_in(&h), Some("UNAUTHENTICATED"));
        h.insert("grpc-status", "99".parse().expect("ascii"));
        assert_eq!(code_in(&h), Some("UNKNOWN"));
    }
}
