//! The fault scenarios of the ownership invariant ("no pipeline outlives its session"), each on real
//! processes on 127.0.0.1 (`procs.rs`), each ending by asking the media server itself how many pipelines
//! it still holds. The fault suite (`tests/e2e/faults.rs`) runs them small and asserts none are left; the
//! chaos benchmark (`benches/chaos.rs`) runs them at the sizes and prints the numbers.

use crate::procs::{BridgeProc, GatewayProc, MediaServerProc};
use anyhow::{Context, bail};
use futures_util::{SinkExt as _, StreamExt as _, stream};
use media_proto::v1::{StartRequest, StopRequest, StreamCandidatesRequest};
use std::time::{Duration, Instant};
use test_support::CHROMIUM_OFFER;
use test_support::proxy::Proxy;
use tokio_tungstenite::tungstenite::Message;

/// How long the media server may take to hold no pipeline once a scenario's sessions are gone.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Sockets opened (or Starts made) at once while a scenario builds up its sessions.
const OPENING: usize = 64;

/// What one scenario did, and what it left.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: &'static str,
    /// Sessions tried.
    pub sessions: usize,
    /// Pipelines that had to be released: those the media server held when the fault hit (for churn,
    /// where sessions come and go, those the gateway released).
    pub held: usize,
    /// Pipelines the media server still held at the end.
    pub left: usize,
    /// From the fault (or the last close) until the media server held none; `None` if it never did
    /// within [`SETTLE_LIMIT`].
    pub to_zero: Option<Duration>,
    /// What was left, each pipeline with its tags as the media server reports them (for the diagnosis).
    pub leftovers: Vec<String>,
}

impl Outcome {
    /// One line of the benchmark's table.
    pub fn row(&self) -> String {
        let to_zero = self.to_zero.map_or_else(
            || "never".to_owned(),
            |d| format!("{:.2} s", d.as_secs_f64()),
        );
        format!(
            "| {} | {} | {} | {} | {} |",
            self.scenario, self.sessions, self.held, self.left, to_zero
        )
    }
}

/// Polls the media server until it holds no pipeline (or `limit` passes); returns what it held last and
/// when it first held none, counted from `since`.
async fn settle(
    server: &MediaServerProc,
    since: Instant,
    limit: Duration,
) -> anyhow::Result<(usize, Option<Duration>)> {
    loop {
        let n = server.pipelines().await?;
        if n == 0 {
            return Ok((0, Some(since.elapsed())));
        }
        if since.elapsed() >= limit {
            return Ok((n, None));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn outcome(
    scenario: &'static str,
    sessions: usize,
    held: usize,
    server: &MediaServerProc,
    since: Instant,
) -> anyhow::Result<Outcome> {
    let (left, to_zero) = settle(server, since, SETTLE_LIMIT).await?;
    let leftovers = if left > 0 {
        leftovers(&server.kms()).await?
    } else {
        Vec::new()
    };
    Ok(Outcome {
        scenario,
        sessions,
        held,
        left,
        to_zero,
        leftovers,
    })
}

/// Every pipeline the media server holds, with its tags.
async fn leftovers(kms: &crate::Kms) -> anyhow::Result<Vec<String>> {
    use kurento::{MediaObjectOp, Method, ObjectId, SERVER_MANAGER, ServerManagerOp};
    let listed = crate::kms_call(
        kms,
        Method::invoke_op(SERVER_MANAGER, ServerManagerOp::GetPipelines),
    )
    .await?;
    let mut out = Vec::new();
    for id in listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
    {
        let tags = crate::kms_call(
            kms,
            Method::invoke_op(ObjectId::new(id), MediaObjectOp::GetTags),
        )
        .await?;
        out.push(format!("{id} {tags}"));
    }
    Ok(out)
}

/// A browser socket that has its `startResponse`.
async fn started_browser(addr: std::net::SocketAddr) -> anyhow::Result<crate::Ws> {
    let mut ws = crate::open_and_start(addr, CHROMIUM_OFFER).await?;
    loop {
        let msg = test_support::ws::recv_json(&mut ws, Duration::from_secs(30)).await?;
        match msg["id"].as_str() {
            Some("startResponse") => return Ok(ws),
            Some("error") => bail!("the bridge refused start: {msg}"),
            _ => {}
        }
    }
}

/// Opens `n` browser sessions through the bridge, `OPENING` at a time.
async fn browsers(addr: std::net::SocketAddr, n: usize) -> anyhow::Result<Vec<crate::Ws>> {
    stream::iter(0..n)
        .map(|_| started_browser(addr))
        .buffer_unordered(OPENING)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Closes a browser the polite way (`stop`, then a close frame) or lets it vanish (the TCP connection
/// just goes).
async fn close(mut ws: crate::Ws, polite: bool) {
    if polite {
        let stop = serde_json::json!({"id": "stop"}).to_string();
        let _ = ws.send(Message::text(stop)).await;
        let _ = ws.close(None).await;
    }
    drop(ws);
}

/// Waits until the media server holds `n` pipelines (so a fault hits sessions that really exist).
async fn holding(server: &MediaServerProc, n: usize) -> anyhow::Result<usize> {
    let got = test_support::wait::until_some(Duration::from_secs(30), || async move {
        server.pipelines().await.ok().filter(|&p| p >= n)
    })
    .await;
    got.with_context(|| format!("the media server never held {n} pipelines"))
}

/// How long the bridge keeps a vanished browser's call for re-attach in these scenarios: short, so the
/// parked calls' expiry is part of what must release everything within [`SETTLE_LIMIT`].
const RESUME_GRACE: &str = "2";

/// `n` sessions held through web-bridge, then all closed at once: even ones with `stop`, odd ones vanishing
/// (their calls are parked for re-attach, then stopped when the grace is over).
pub async fn mass_disconnect(n: usize) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let gateway = GatewayProc::start(&server.uri, "chaos-mass", &[])?;
    let bridge = BridgeProc::start(
        &gateway.grpc,
        &[
            "--resume-grace-secs",
            RESUME_GRACE,
            "--max-parked-calls",
            &n.to_string(),
        ],
    )?;
    let sockets = browsers(bridge.addr, n).await?;
    let held = holding(&server, n).await?;
    let since = Instant::now();
    futures_util::future::join_all(
        sockets
            .into_iter()
            .enumerate()
            .map(|(i, ws)| close(ws, i.is_multiple_of(2))),
    )
    .await;
    outcome(
        "mass disconnect (half stop, half vanish; 2 s resume grace)",
        n,
        held,
        &server,
        since,
    )
    .await
}

/// `total` sessions through web-bridge, `batch` at a time; a third of them vanish right after `start`
/// (mid-Start), the others stop once answered.
pub async fn churn(total: usize, batch: usize) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let gateway = GatewayProc::start(&server.uri, "chaos-churn", &[])?;
    let bridge = BridgeProc::start(&gateway.grpc, &[])?;
    let addr = bridge.addr;
    let one = |i: usize| async move {
        if i.is_multiple_of(3) {
            let mut ws = crate::open_and_start(addr, CHROMIUM_OFFER).await?;
            ws.flush().await?;
            drop(ws);
        } else {
            close(started_browser(addr).await?, true).await;
        }
        anyhow::Ok(())
    };
    let results: Vec<anyhow::Result<()>> = stream::iter(0..total)
        .map(one)
        .buffer_unordered(batch.max(1))
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    let since = Instant::now();
    let mut out = outcome("churn, a third closed mid-Start", total, 0, &server, since).await?;
    // Sessions came and went: what had to be released is what the gateway released.
    let metrics = test_support::http::get(gateway.metrics, "/metrics")
        .await?
        .text();
    out.held =
        test_support::http::sample(&metrics, "media_gateway_pipelines_released_total") as usize;
    Ok(out)
}

/// Starts `n` sessions over gRPC, `OPENING` at a time; returns the ids of those that started.
async fn grpc_starts(gateway: &GatewayProc, n: usize) -> anyhow::Result<Vec<String>> {
    let client = gateway.client().await?;
    let started: Vec<Option<String>> = stream::iter(0..n)
        .map(|_| {
            let mut c = client.clone();
            async move {
                c.start(StartRequest {
                    sdp_offer: CHROMIUM_OFFER.into(),
                    wait_for_candidates: false,
                })
                .await
                .ok()
                .map(|r| r.into_inner().session_id)
            }
        })
        .buffer_unordered(OPENING)
        .collect()
        .await;
    Ok(started.into_iter().flatten().collect())
}

/// The gateway's link to the media server runs through a proxy that cuts every connection while `n`
/// Starts are in flight (mid-transaction, mid-processOffer) and again while the sessions are being
/// stopped (mid-Stop).
pub async fn link_cuts(n: usize) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let proxy = Proxy::start(server.addr()?);
    let via = format!("ws://{}/kurento", proxy.addr());
    let gateway = GatewayProc::start(
        &via,
        "chaos-cuts",
        &["--request-timeout-secs", "2", "--reconcile-secs", "2"],
    )?;
    gateway.link_up().await?;
    let cutter = |after: Duration, times: usize| {
        let proxy = &proxy;
        async move {
            for _ in 0..times {
                tokio::time::sleep(after).await;
                proxy.cut();
            }
        }
    };
    // Half the Starts meet the cuts (mid-transaction, mid-processOffer, or refused while the link is down)...
    let (cut_short, ()) = tokio::join!(
        grpc_starts(&gateway, n / 2),
        cutter(Duration::from_millis(15), 3)
    );
    // ...the other half start on a link that is back, so that the Stops below have sessions to cut.
    gateway.link_up().await?;
    let mut ids = cut_short?;
    ids.extend(grpc_starts(&gateway, n - n / 2).await?);
    let held = server.pipelines().await?;
    let client = gateway.client().await?;
    let stops = futures_util::future::join_all(ids.iter().map(|id| {
        let mut c = client.clone();
        let session_id = id.clone();
        async move {
            let _ = c.stop(StopRequest { session_id }).await;
        }
    }));
    let since = Instant::now();
    let ((), ()) = tokio::join!(
        async {
            stops.await;
        },
        cutter(Duration::from_millis(5), 2)
    );
    // Sessions whose Start failed were never given out; those that were are all stopped now.
    let mut out = outcome("link cut mid-Start and mid-Stop", n, held, &server, since).await?;
    out.held = out.held.max(held);
    Ok(out)
}

/// The media server answers only after the gateway's request timeout: every Start fails, and whatever
/// the late replies made must still be released.
pub async fn late_answers(n: usize) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let proxy = Proxy::start(server.addr()?);
    let via = format!("ws://{}/kurento", proxy.addr());
    let gateway = GatewayProc::start(&via, "chaos-late", &["--request-timeout-secs", "1"])?;
    // Up first: the handshake itself would time out behind the delay.
    gateway.link_up().await?;
    proxy.delay_downstream(Duration::from_millis(1500));
    let started = grpc_starts(&gateway, n).await?;
    anyhow::ensure!(
        started.is_empty(),
        "{} Starts succeeded although every answer came late",
        started.len()
    );
    let held = holding(&server, 1).await?;
    proxy.delay_downstream(Duration::ZERO);
    let since = Instant::now();
    outcome(
        "media server answers after the timeout",
        n,
        held.max(n),
        &server,
        since,
    )
    .await
}

/// The gateway is killed with SIGKILL while holding `n` sessions, then restarted with the same instance id.
pub async fn gateway_killed(n: usize, reconcile_secs: u64) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let period = reconcile_secs.to_string();
    let flags = ["--reconcile-secs", period.as_str()];
    let first = GatewayProc::start(&server.uri, "chaos-killed", &flags)?;
    let ids = grpc_starts(&first, n).await?;
    anyhow::ensure!(ids.len() == n, "only {} of {n} Starts succeeded", ids.len());
    first.kill().await?;
    // Nothing released them: the media server keeps a dead connection's objects (as KMS does, until its
    // own collector runs minutes later).
    let held = server.pipelines().await?;
    anyhow::ensure!(
        held == n,
        "{held} pipelines right after the kill, {n} expected"
    );
    let since = Instant::now();
    let _second = GatewayProc::start(&server.uri, "chaos-killed", &flags)?;
    outcome("gateway SIGKILLed, restarted", n, held, &server, since).await
}

/// web-bridge is killed with SIGKILL while holding `n` sessions; the gateway's lease releases them.
pub async fn bridge_killed(n: usize, lease_secs: u64) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let lease = lease_secs.to_string();
    let gateway = GatewayProc::start(&server.uri, "chaos-bridge", &["--lease-secs", &lease])?;
    let bridge = BridgeProc::start(&gateway.grpc, &[])?;
    let sockets = browsers(bridge.addr, n).await?;
    let held = holding(&server, n).await?;
    let since = Instant::now();
    bridge.kill().await?;
    drop(sockets);
    outcome("web-bridge SIGKILLed", n, held, &server, since).await
}

/// `n` sessions each watched by a StreamCandidates stream through a proxy that then goes silent (a
/// load balancer that drops without a word): keepalive notices, the lease runs out, the pipelines go.
pub async fn silent_watchers(n: usize, lease_secs: u64) -> anyhow::Result<Outcome> {
    let server = MediaServerProc::start()?;
    let lease = lease_secs.to_string();
    let gateway = GatewayProc::start(
        &server.uri,
        "chaos-silent",
        &[
            "--lease-secs",
            &lease,
            "--keepalive-secs",
            "1",
            "--keepalive-timeout-secs",
            "1",
        ],
    )?;
    let ids = grpc_starts(&gateway, n).await?;
    anyhow::ensure!(ids.len() == n, "only {} of {n} Starts succeeded", ids.len());
    let grpc: std::net::SocketAddr = gateway.grpc.parse()?;
    let proxy = Proxy::start(grpc);
    let mut watcher = media_proto::v1::media_session_client::MediaSessionClient::connect(format!(
        "http://{}",
        proxy.addr()
    ))
    .await?;
    let mut streams = Vec::new();
    for session_id in &ids {
        let s = watcher
            .stream_candidates(StreamCandidatesRequest {
                session_id: session_id.clone(),
            })
            .await?
            .into_inner();
        streams.push(s);
    }
    // Watched, they outlive their lease.
    tokio::time::sleep(Duration::from_secs(lease_secs + 1)).await;
    let held = server.pipelines().await?;
    anyhow::ensure!(held == n, "{held} pipelines while watched, {n} expected");
    let since = Instant::now();
    proxy.stall(true);
    let out = outcome(
        "StreamCandidates through a silent proxy",
        n,
        held,
        &server,
        since,
    )
    .await;
    drop(streams);
    out
}
