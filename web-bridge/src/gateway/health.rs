//! The gateway's health as `/readyz` reports it: ready while the bridge is not draining and the gateway's
//! grpc.health.v1 says SERVING.
//! The gateway's answer is cached briefly, so orchestrator probes (often several per second across replicas)
//! do not each cost a gRPC call.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::gateway::client::Gateway;

#[derive(Debug)]
pub(crate) struct Readiness {
    gateway: Gateway,
    shutdown: CancellationToken,
    ttl: Duration,
    timeout: Duration,
    /// The last Check's time and answer. An async mutex, so concurrent probes wait for one Check instead of
    /// each sending their own.
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    pub(crate) fn new(
        gateway: Gateway,
        shutdown: CancellationToken,
        ttl: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            gateway,
            shutdown,
            ttl,
            timeout,
            last: Mutex::new(None),
        }
    }

    /// `Ok` when ready; otherwise a short reason for the 503 body.
    pub(crate) async fn check(&self) -> Result<(), String> {
        // Draining wins over everything and needs no call: the load balancer must stop sending at once.
        if self.shutdown.is_cancelled() {
            return Err("draining: the bridge is shutting down".to_owned());
        }
        let mut last = self.last.lock().await;
        if let Some((at, answer)) = last.as_ref()
            && at.elapsed() < self.ttl
        {
            return answer.clone();
        }
        let answer = self
            .gateway
            .health(self.timeout)
            .await
            .map_err(|why| format!("media gateway not ready: {why}"));
        *last = Some((Instant::now(), answer.clone()));
        answer
    }
}
