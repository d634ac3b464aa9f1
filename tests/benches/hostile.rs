//! The hostile-client benchmark: attacks from the same machine against the real (release) binaries, each
//! with a well-behaved browser or gRPC caller working alongside, printing one row per attack: what was
//! sent, what the service did, and whether the well-behaved client got through. It asserts nothing; the
//! crates' hostile tests do, at small sizes. `scripts/hostile.sh` builds the binaries and runs it.

use e2e_tests::procs::{BridgeProc, GatewayProc, MediaServerProc, rss_kib};
use futures_util::{StreamExt as _, stream};
use media_proto::v1::{AddIceCandidateRequest, IceCandidate, ListSessionsRequest, StartRequest};
use std::time::{Duration, Instant};
use test_support::CHROMIUM_OFFER;
use tokio::io::AsyncWriteExt as _;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

fn row(attack: &str, sent: &str, outcome: &str, others: &str) {
    println!("| {attack} | {sent} | {outcome} | {others} |");
}

/// A browser that starts a session through the bridge and gets its answer: the well-behaved one.
async fn browser_starts(addr: std::net::SocketAddr) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let mut ws = e2e_tests::open_and_start(addr, CHROMIUM_OFFER).await?;
    loop {
        let m = test_support::ws::recv_json(&mut ws, Duration::from_secs(20)).await?;
        match m["id"].as_str() {
            Some("startResponse") => return Ok(t.elapsed()),
            Some("error") => anyhow::bail!("refused: {m}"),
            _ => {}
        }
    }
}

fn verdict(r: anyhow::Result<Duration>) -> String {
    match r {
        Ok(d) => format!("started in {:.0} ms", d.as_secs_f64() * 1000.0),
        Err(e) => format!("FAILED: {e:#}"),
    }
}

/// Sockets that upgrade and never send `start`, up to the socket cap.
async fn idle_sockets(gateway: &GatewayProc) -> anyhow::Result<()> {
    let cap = 1024;
    let bridge = BridgeProc::start(
        &gateway.grpc,
        &["--max-sockets", "1024", "--idle-socket-timeout-secs", "5"],
    )?;
    let addr = bridge.addr;
    let idle: Vec<_> = stream::iter(0..cap)
        .map(|_| async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            let (ws, _) =
                tokio_tungstenite::client_async(format!("ws://{addr}/helloworld"), tcp).await?;
            anyhow::Ok(ws)
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let opened = idle.iter().filter(|r| r.is_ok()).count();
    let t = Instant::now();
    let at_cap = browser_starts(addr).await.is_err();
    // The idle ones are closed after 5 s; then the newcomer starts.
    let mut later = Err(anyhow::anyhow!("never"));
    while t.elapsed() < Duration::from_secs(20) {
        later = browser_starts(addr).await;
        if later.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = t.elapsed();
    row(
        "idle WebSockets at the socket cap",
        &format!("{opened} upgraded sockets that never send `start` (cap {cap}, idle timeout 5 s)"),
        &format!(
            "newcomer refused while at the cap: {at_cap}; idle sockets closed, newcomer in after {:.1} s",
            waited.as_secs_f64()
        ),
        &verdict(later),
    );
    drop(idle);
    Ok(())
}

/// Connections that send one header byte every 3 s.
async fn slowloris(gateway: &GatewayProc) -> anyhow::Result<()> {
    let n = 300;
    let bridge = BridgeProc::start(&gateway.grpc, &["--header-read-timeout-secs", "10"])?;
    let addr = bridge.addr;
    let drips: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(async move {
                let Ok(mut tcp) = tokio::net::TcpStream::connect(addr).await else {
                    return Duration::ZERO;
                };
                let began = Instant::now();
                for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
                    .iter()
                    .cycle()
                {
                    if tcp.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    if began.elapsed() > Duration::from_secs(45) {
                        break;
                    }
                }
                began.elapsed()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let healthz = test_support::http::get(addr, "/healthz").await.is_ok();
    let others = browser_starts(addr).await;
    let mut longest = Duration::ZERO;
    let mut still_open = 0;
    for d in drips {
        let d = d.await.unwrap_or_default();
        longest = longest.max(d);
        if d >= Duration::from_secs(45) {
            still_open += 1;
        }
    }
    row(
        "slowloris (plain HTTP)",
        &format!("{n} connections, one header byte every 3 s (header timeout 10 s)"),
        &format!(
            "{still_open} still open after 45 s; the longest lasted {:.0} s (noticed on the next write); /healthz meanwhile: {}",
            longest.as_secs_f64(),
            if healthz { "200" } else { "no answer" }
        ),
        &verdict(others),
    );
    Ok(())
}

/// WebSocket upgrades from a page on another origin, to the bridge and to the media server.
async fn cross_origin(server: &MediaServerProc, bridge: &BridgeProc) -> anyhow::Result<()> {
    let try_upgrade = |url: String| async move {
        let mut req = url.into_client_request()?;
        req.headers_mut()
            .insert("origin", "https://evil.example".parse()?);
        match tokio_tungstenite::connect_async(req).await {
            Ok(_) => anyhow::Ok("accepted".to_owned()),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                Ok(format!("HTTP {}", r.status().as_u16()))
            }
            Err(e) => Ok(format!("failed: {e}")),
        }
    };
    let to_bridge = try_upgrade(format!("ws://{}/helloworld", bridge.addr)).await?;
    let to_media = try_upgrade(server.uri.clone()).await?;
    row(
        "cross-origin WebSocket upgrades",
        "`Origin: https://evil.example` to web-bridge and to the media server",
        &format!("web-bridge: {to_bridge}; media server: {to_media}"),
        &verdict(browser_starts(bridge.addr).await),
    );
    Ok(())
}

/// SessionAdmin with the MediaSession token.
async fn admin_with_session_token(server: &MediaServerProc) -> anyhow::Result<()> {
    let gateway = GatewayProc::start(
        &server.uri,
        "hostile-admin",
        &["--auth-token", "session-token"],
    )?;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gateway.grpc))?
        .connect()
        .await?;
    let header: tonic::metadata::MetadataValue<_> = "Bearer session-token".parse()?;
    let mut admin = media_proto::v1::session_admin_client::SessionAdminClient::with_interceptor(
        channel,
        move |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", header.clone());
            Ok(r)
        },
    );
    let listed = admin.list_sessions(ListSessionsRequest {}).await;
    row(
        "SessionAdmin with the MediaSession token",
        "ListSessions carrying the MediaSession bearer token",
        &match listed {
            Ok(_) => "LISTED (the token granted admin)".to_owned(),
            Err(s) => format!("{:?}", s.code()),
        },
        "-",
    );
    Ok(())
}

/// Idle TCP connections to the gateway's gRPC port from one address (127.0.0.2: Linux answers the whole
/// 127/8 on loopback), while a backend on 127.0.0.1 keeps starting sessions.
async fn idle_grpc_connections(server: &MediaServerProc) -> anyhow::Result<()> {
    use test_support::elsewhere::{closed_by_server, connect_from_elsewhere};
    let gateway = GatewayProc::start(&server.uri, "hostile-grpc", &[])?;
    gateway.link_up().await?;
    let grpc: std::net::SocketAddr = gateway.grpc.trim_start_matches("http://").parse()?;
    let n = 2000;
    let held: Vec<_> = stream::iter(0..n)
        .map(|_| connect_from_elsewhere(grpc))
        .buffer_unordered(64)
        .collect()
        .await;
    // Whatever the gateway closed reads EOF at once; the admitted ones wait for a preface.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut still_open = Vec::new();
    for mut tcp in held.into_iter().flatten() {
        if !closed_by_server(&mut tcp, Duration::from_millis(5)).await {
            still_open.push(tcp);
        }
    }
    let open = still_open.len();
    let mut client = gateway.client().await?;
    let t = Instant::now();
    let started = client
        .start(StartRequest {
            sdp_offer: CHROMIUM_OFFER.into(),
            wait_for_candidates: false,
        })
        .await;
    let others = match started {
        Ok(_) => format!(
            "a backend on 127.0.0.1 started a session in {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        ),
        Err(s) => format!("Start FAILED: {:?}", s.code()),
    };
    let metrics = test_support::http::get(gateway.metrics, "/metrics")
        .await?
        .text();
    let refused = test_support::http::sample(
        &metrics,
        r#"media_gateway_connections_refused_total{reason="per_ip"}"#,
    );
    row(
        "idle gRPC connections from one address",
        &format!(
            "{n} TCP connections to the gRPC port from 127.0.0.2 that never send a byte (defaults: 128 per address, 1024 in all)"
        ),
        &format!("{open} held open, the rest closed on accept ({refused} counted per_ip)"),
        &others,
    );
    drop(still_open);
    Ok(())
}

/// A candidate flood on one session, and candidates aimed at the operator's own networks.
async fn candidate_flood(server: &MediaServerProc) -> anyhow::Result<()> {
    // The binary's default candidate policy: public addresses only, so the loopback one below is kept
    // from the media server.
    let gateway = GatewayProc::start(&server.uri, "hostile-flood", &[])?;
    gateway.link_up().await?;
    let mut client = gateway.client().await?;
    let start = || StartRequest {
        sdp_offer: CHROMIUM_OFFER.into(),
        wait_for_candidates: false,
    };
    let id = client.start(start()).await?.into_inner().session_id;
    let before = rss_kib(gateway.process.pid());
    let n = 10_000;
    let (mut ok, mut exhausted, mut other) = (0, 0, 0);
    for i in 0..n {
        let line = format!(
            "candidate:{i} 1 udp 2122260223 8.8.{}.{} 9 typ host",
            (i / 250) % 250,
            i % 250
        );
        let r = client
            .add_ice_candidate(AddIceCandidateRequest {
                session_id: id.clone(),
                candidate: Some(IceCandidate {
                    candidate: line,
                    sdp_mid: "0".into(),
                    sdp_m_line_index: 0,
                }),
            })
            .await;
        match r {
            Ok(_) => ok += 1,
            Err(s) if s.code() == tonic::Code::ResourceExhausted => exhausted += 1,
            Err(_) => other += 1,
        }
    }
    let after = rss_kib(gateway.process.pid());
    let other_session = client
        .start(start())
        .await
        .map(|r| r.into_inner().session_id);
    let others = match &other_session {
        Ok(id2) => {
            let r = client
                .add_ice_candidate(AddIceCandidateRequest {
                    session_id: id2.clone(),
                    candidate: Some(IceCandidate {
                        candidate: "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host".into(),
                        sdp_mid: "0".into(),
                        sdp_m_line_index: 0,
                    }),
                })
                .await;
            format!(
                "another session started; its loopback candidate: {}",
                match r {
                    Ok(_) =>
                        "accepted (kept from the media server by the address policy)".to_owned(),
                    Err(s) => format!("{:?}", s.code()),
                }
            )
        }
        Err(s) => format!("another Start FAILED: {:?}", s.code()),
    };
    let metrics = test_support::http::get(gateway.metrics, "/metrics")
        .await?
        .text();
    let filtered = test_support::http::sample(
        &metrics,
        r#"media_gateway_candidates_refused_total{reason="loopback"}"#,
    );
    row(
        "candidate flood on one session",
        &format!(
            "{n} AddIceCandidate (public addresses) on one session, then a loopback one on another"
        ),
        &format!(
            "{ok} accepted, {exhausted} RESOURCE_EXHAUSTED, {other} other; gateway RSS {before} → {after} KiB; loopback candidates kept from the media server: {filtered}"
        ),
        &others,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("| attack | sent | what the service did | well-behaved client alongside |");
    println!("|---|---|---|---|");
    let server = MediaServerProc::start()?;
    let gateway = GatewayProc::start(&server.uri, "hostile", &[])?;
    gateway.link_up().await?;
    let bridge = BridgeProc::start(&gateway.grpc, &[])?;
    for (name, r) in [
        ("idle", idle_sockets(&gateway).await),
        ("slowloris", slowloris(&gateway).await),
        ("origin", cross_origin(&server, &bridge).await),
        ("admin", admin_with_session_token(&server).await),
        ("grpc-idle", idle_grpc_connections(&server).await),
        ("flood", candidate_flood(&server).await),
    ] {
        if let Err(e) = r {
            row(name, "-", &format!("failed to run: {e:#}"), "-");
        }
    }
    Ok(())
}
