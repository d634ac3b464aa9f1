//! The operators' endpoints every service offers, one router for all of them: `GET /metrics`
//! (Prometheus text), `GET /healthz` (the process answers: liveness) and `GET /readyz` (the service wants
//! new work: readiness, with the reason when it does not). A service says what its metrics and readiness
//! are by implementing [`Probe`]; where the router is served (its own port, or merged into the public one)
//! is the service's choice.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::admission::Admission;

/// The content type of the Prometheus text exposition format 0.0.4.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The content type of the OpenMetrics text format (what `prometheus-client` encodes).
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A metrics scrape: the encoded text and its content type.
#[derive(Debug, Clone)]
pub struct Exposition {
    /// [`PROMETHEUS_TEXT`] or [`OPENMETRICS_TEXT`].
    pub content_type: &'static str,
    /// The encoded metrics.
    pub body: String,
}

/// What a service tells its operators.
pub trait Probe: Send + Sync + 'static {
    /// The service's metrics, encoded now.
    fn metrics(&self) -> Exposition;

    /// `Ok` while the service should get new work; otherwise the reason, a sentence for the operator
    /// (the body of the 503).
    fn ready(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// `/metrics`, `/healthz` and `/readyz` for `probe`.
pub fn router<P: Probe>(probe: Arc<P>) -> Router {
    Router::new()
        .route("/metrics", get(metrics::<P>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<P>))
        .with_state(probe)
}

/// How strictly an operators' port serves: the connection caps it counts against (usually shared with the
/// service's main listener) and how long a client may take to send its headers.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The caps each connection is admitted against.
    pub admission: Admission,
    /// hyper's header read timeout (also the idle time allowed between two requests).
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `stop` is cancelled, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, router: Router, guard: Guard, stop: CancellationToken) {
    crate::http1::serve(
        listener,
        router,
        guard.admission,
        guard.header_read_timeout,
        stop,
    )
    .await;
}

async fn metrics<P: Probe>(State(probe): State<Arc<P>>) -> Response {
    let Exposition { content_type, body } = probe.metrics();
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Liveness: answering at all is the signal.
async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz<P: Probe>(State(probe): State<Arc<P>>) -> Response {
    match probe.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => {
            tracing::debug!("not ready: {why}");
            (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Fixed {
        ready: AtomicBool,
    }

    impl Probe for Fixed {
        fn metrics(&self) -> Exposition {
            Exposition {
                content_type: PROMETHEUS_TEXT,
                body: "up 1\n".into(),
            }
        }
        async fn ready(&self) -> Result<(), String> {
            if self.ready.load(Ordering::Relaxed) {
                Ok(())
            } else {
                Err("not ready: draining".into())
            }
        }
    }

    /// Status, content type and body of `GET path`.
    async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Option<String>, String) {
        let response = test_support::http::get(addr, path).await.unwrap();
        let content_type = response.head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        });
        (response.status, content_type, response.text())
    }

    #[tokio::test]
    async fn serves_the_three_endpoints_and_stops() {
        let probe = Arc::new(Fixed {
            ready: AtomicBool::new(true),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(
            listener,
            router(Arc::clone(&probe)),
            guard(8, Duration::from_secs(5)),
            stop.clone(),
        ));

        assert_eq!(
            get(addr, "/metrics").await,
            (200, Some(PROMETHEUS_TEXT.into()), "up 1\n".into())
        );
        assert_eq!(get(addr, "/healthz").await.2, "ok\n");
        assert_eq!(get(addr, "/readyz").await.0, 200);
        probe.ready.store(false, Ordering::Relaxed);
        let (status, _, body) = get(addr, "/readyz").await;
        assert_eq!((status, body.as_str()), (503, "not ready: draining\n"));
        assert_eq!(get(addr, "/nothing").await.0, 404);

        stop.cancel();
        server.await.unwrap();
    }

    fn guard(max: usize, header_read_timeout: Duration) -> Guard {
        let limits = crate::admission::Limits {
            max_total: max,
            max_per_address: max,
        };
        Guard {
            admission: Admission::new(limits, Arc::new(())),
            header_read_timeout,
        }
    }

    /// A client that trickles its headers is closed after the header read timeout and gives its slot
    /// back; one over the cap gets a 503 at once; both while `/healthz` keeps answering.
    #[tokio::test]
    async fn slow_and_surplus_clients_are_closed_and_counted() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let probe = Arc::new(Fixed {
            ready: AtomicBool::new(true),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let guard = guard(2, Duration::from_millis(300));
        let admission = guard.admission.clone();
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(listener, router(probe), guard, stop.clone()));

        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /heal").await.unwrap();
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while admission.open() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "both admitted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut surplus = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut refused = String::new();
        surplus.read_to_string(&mut refused).await.unwrap();
        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");

        // Both are closed by the header timeout, after which a newcomer is served.
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            slow.read_to_end(&mut rest).await.unwrap();
            idle.read_to_end(&mut rest).await.unwrap();
        })
        .await;
        assert!(
            closed.is_ok(),
            "slow clients closed within the header timeout"
        );
        while admission.open() > 0 {
            assert!(tokio::time::Instant::now() < deadline, "slots given back");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(get(addr, "/healthz").await.2, "ok\n");

        stop.cancel();
        server.await.unwrap();
    }
}
