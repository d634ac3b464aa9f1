//! Gateway test helpers: a hello-world script for the scripted Kurento peer (processOffer, transactions,
//! errors on demand), and a gateway started in-process on 127.0.0.1:0 with a gRPC client.

mod calls;
pub(crate) use calls::*;

use crate::support::peer::{self, Ctx, Handler, Peer, Reply};
use media_gateway::{Config, Gateway};
use media_proto::v1::media_session_client::MediaSessionClient;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub(crate) const OFFER: &str =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
pub(crate) const ANSWER: &str =
    "v=0\r\no=- 3 3 IN IP4 0.0.0.0\r\ns=Kurento Media Server\r\nt=0 0\r\n";

/// A scripted `getStats` answer, given the `mediaType` asked for.
pub(crate) type StatsReply = Arc<dyn Fn(&str) -> Value + Send + Sync>;

/// How the scripted media server behaves beyond plain KMS answers.
#[derive(Clone, Default)]
pub(crate) struct Script {
    /// Advertise the `transactions` capability.
    pub transactions: bool,
    /// Answer `(method-or-operation, code, type)` with an error instead.
    pub fail: Option<(&'static str, i64, &'static str)>,
    /// Never answer these operations (the test may answer later with [`Peer::push`]).
    pub silent: Vec<&'static str>,
    /// What `getStats` answers, given the `mediaType` asked for (else `null`).
    pub stats: Option<StatsReply>,
    /// List the `iceRestart` capability in `getInfo` (KMS 7.2 does not).
    pub advertise_ice_restart: bool,
    /// Answer a second processOffer on an endpoint; else 40208 SDP_END_POINT_ALREADY_NEGOTIATED, as
    /// KMS 7.2 does.
    pub renegotiates: bool,
}

/// The operation name of an invoke, else the method name.
pub(crate) fn what(req: &Value) -> String {
    match req["method"].as_str() {
        Some("invoke") => req["params"]["operation"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Some(m) => m.to_owned(),
        None => String::new(),
    }
}

/// The value a KMS would give `req` (a method without sessionId handling), or an error.
fn value_of(
    script: &Script,
    req: &Value,
    next: &AtomicUsize,
) -> Result<Value, (i64, &'static str)> {
    if let Some((w, code, kind)) = script.fail
        && what(req) == w
    {
        return Err((code, kind));
    }
    let p = &req["params"];
    let n = next.fetch_add(1, Ordering::SeqCst);
    Ok(match what(req).as_str() {
        "create" => {
            let kind = p["type"].as_str().unwrap_or("MediaObject");
            match p["constructorParams"]["mediaPipeline"].as_str() {
                Some(parent) => json!(format!("{parent}/ep-{n}_kurento.{kind}")),
                None => json!(format!("pl-{n}_kurento.{kind}")),
            }
        }
        "subscribe" => json!(format!("sub-{n}")),
        "processOffer" | "getLocalSessionDescriptor" => json!(ANSWER),
        "getStats" => match &script.stats {
            Some(report) => report(p["operationParams"]["mediaType"].as_str().unwrap_or("")),
            None => Value::Null,
        },
        _ => Value::Null,
    })
}

fn error_frame(id: &Value, code: i64, kind: &str) -> Value {
    json!({"error":{"code":code,"data":{"type":kind},"message":format!("scripted {kind}")},"id":id,"jsonrpc":"2.0"})
}

/// A handler answering the hello-world calls as KMS would, as `script` says.
pub(crate) fn hello_world(script: Script) -> Handler {
    let next = Arc::new(AtomicUsize::new(0));
    let negotiated = Arc::new(std::sync::Mutex::new(
        std::collections::HashSet::<String>::new(),
    ));
    Arc::new(move |req: &Value, _ctx: &Ctx| {
        let w = what(req);
        if w == "getInfo" {
            let mut caps: Vec<&str> = Vec::new();
            if script.transactions {
                caps.push("transactions");
            }
            if script.advertise_ice_restart {
                caps.push("iceRestart");
            }
            return Some(peer::result(
                req,
                json!({"sessionId": req["params"]["sessionId"], "value": {
                "__module__":"kurento","__type__":"ServerInfo","capabilities":caps,"type":"KMS","version":"7.2.0",
                "modules":[{"name":"core","version":"7.2.0"},{"name":"elements","version":"7.2.0"},{"name":"filters","version":"7.2.0"}]}}),
            ));
        }
        if matches!(w.as_str(), "ping" | "describe" | "connect") {
            return None;
        }
        if script.silent.contains(&w.as_str()) {
            return Some(Reply::Silent);
        }
        if w == "processOffer" && !script.renegotiates {
            let object = req["params"]["object"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let first = negotiated
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(object);
            if !first {
                return Some(Reply::Frame(error_frame(
                    &req["id"],
                    40208,
                    "SDP_END_POINT_ALREADY_NEGOTIATED",
                )));
            }
        }
        let session = req["params"]["sessionId"].clone();
        if w == "transaction" {
            return Some(transaction(&script, req, &next, &session));
        }
        Some(match value_of(&script, req, &next) {
            Ok(v) => peer::result(req, json!({"sessionId": session, "value": v})),
            Err((code, kind)) => Reply::Frame(error_frame(&req["id"], code, kind)),
        })
    })
}

/// Runs operations in order, replacing "newref:N", stopping at the first failure (as KMS does).
fn transaction(script: &Script, req: &Value, next: &AtomicUsize, session: &Value) -> Reply {
    let mut results: Vec<Value> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for op in req["params"]["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let text = op.to_string();
        let resolved = values.iter().enumerate().rev().fold(text, |t, (i, v)| {
            t.replace(&format!("\"newref:{i}\""), &v.to_string())
        });
        let op: Value = serde_json::from_str(&resolved).unwrap_or(op);
        match value_of(script, &op, next) {
            Ok(v) => {
                results.push(json!({"id": op["id"], "jsonrpc":"2.0", "result": {"sessionId": session, "value": v}}));
                values.push(v);
            }
            Err((code, kind)) => {
                results.push(error_frame(&op["id"], code, kind));
                break;
            }
        }
    }
    peer::result(req, json!({"sessionId": session, "value": results}))
}

/// The pipelines and endpoints the peer created, from its recorded traffic.
pub(crate) fn created(peer: &Peer, kind: &str) -> usize {
    let direct = peer
        .requests("create")
        .iter()
        .filter(|r| r["params"]["type"] == kind)
        .count();
    let batched: usize = peer
        .requests("transaction")
        .iter()
        .flat_map(|t| {
            t["params"]["operations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|op| op["method"] == "create" && op["params"]["type"] == kind)
        .count();
    direct + batched
}

/// The objects released so far.
pub(crate) fn released(peer: &Peer) -> Vec<String> {
    peer.requests("release")
        .iter()
        .filter_map(|r| r["params"]["object"].as_str().map(str::to_owned))
        .collect()
}

/// The endpoint id the gateway negotiated on (from its processOffer).
pub(crate) fn endpoint(peer: &Peer) -> Option<String> {
    peer.received()
        .iter()
        .find(|r| what(r) == "processOffer")
        .and_then(|r| r["params"]["object"].as_str().map(str::to_owned))
}

/// An `onEvent` IceCandidateFound for `endpoint`.
pub(crate) fn candidate_event(endpoint: &str, candidate: &str) -> String {
    json!({"jsonrpc":"2.0","method":"onEvent","params":{"value":{"data":{"candidate":{"__module__":"kurento",
        "__type__":"IceCandidate","candidate":candidate,"sdpMLineIndex":0,"sdpMid":"0"},"source":endpoint,"tags":[],
        "timestampMillis":"1730000000123","type":"IceCandidateFound"},"object":endpoint,"type":"IceCandidateFound"}}})
    .to_string()
}

/// A running gateway, its shutdown token and a connected client.
pub(crate) struct Running {
    pub gateway: Gateway,
    pub shutdown: CancellationToken,
    pub client: MediaSessionClient<Channel>,
}

/// Test timings: short, so leases and timeouts show within a test.
pub(crate) fn config(kms_uris: Vec<String>) -> Config {
    Config {
        kms_uris,
        request_timeout: Duration::from_secs(2),
        start_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(3),
        // Everything here runs on 127.0.0.1.
        candidate_networks: media_gateway::CandidateNetworks::LOCAL,
        ..Config::default()
    }
}

pub(crate) async fn gateway(config: Config) -> Running {
    start(config, false).await
}

/// A gateway that also serves /metrics, /healthz and /readyz on 127.0.0.1:0 (`gateway.metrics_addr()`).
pub(crate) async fn gateway_with_metrics(config: Config) -> Running {
    start(config, true).await
}

async fn start(config: Config, with_metrics: bool) -> Running {
    let bind = || async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0")
    };
    let listener = bind().await;
    let metrics = if with_metrics {
        Some(bind().await)
    } else {
        None
    };
    let shutdown = CancellationToken::new();
    let gateway = media_gateway::spawn_with_metrics(listener, metrics, config, shutdown.clone())
        .await
        .expect("gateway starts");
    let client = MediaSessionClient::connect(format!("http://{}", gateway.local_addr()))
        .await
        .expect("connect");
    Running {
        gateway,
        shutdown,
        client,
    }
}

/// A gateway on a scripted peer that is up (its link connected) before the test starts.
pub(crate) async fn on_peer(script: Script) -> (Running, Peer) {
    on_peer_with(script, |c| c).await
}

pub(crate) async fn on_peer_with(
    script: Script,
    tweak: impl FnOnce(Config) -> Config,
) -> (Running, Peer) {
    let peer = Peer::with_handler("server-1", hello_world(script)).await;
    let running = gateway(tweak(config(vec![peer.uri()]))).await;
    // The link connects on its own; wait until it is up.
    wait_for_link(&running.gateway, &peer).await;
    (running, peer)
}

/// An embedded media server on 127.0.0.1:0, owned by the test.
pub(crate) async fn media_server() -> media_server::MediaServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    media_server::MediaServer::spawn(listener, media_server::Config::default())
        .expect("media server starts")
}

/// A real browser offer (audio + video, trickle ICE) that the embedded media server negotiates.
pub(crate) use test_support::CHROMIUM_OFFER;

/// A SessionAdmin client on the gateway's port.
pub(crate) async fn admin(
    gateway: &Gateway,
) -> media_proto::v1::session_admin_client::SessionAdminClient<Channel> {
    media_proto::v1::session_admin_client::SessionAdminClient::connect(format!(
        "http://{}",
        gateway.local_addr()
    ))
    .await
    .expect("connect")
}

/// Starts a session, retrying while the gateway's links are still coming up (UNAVAILABLE).
pub(crate) async fn start_when_up(
    client: &mut MediaSessionClient<Channel>,
    offer: &str,
) -> media_proto::v1::StartResponse {
    let started = crate::support::until_some(Duration::from_secs(5), || {
        let mut client = client.clone();
        let offer = offer.to_owned();
        async move {
            let request = media_proto::v1::StartRequest {
                sdp_offer: offer,
                wait_for_candidates: false,
            };
            match client.start(request).await {
                Ok(r) => Some(r.into_inner()),
                Err(e) if e.code() == tonic::Code::Unavailable => None,
                Err(e) => panic!("Start failed: {e:?}"),
            }
        }
    })
    .await;
    started.expect("the gateway never took a session")
}
