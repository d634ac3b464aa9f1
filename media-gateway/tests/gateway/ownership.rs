//! The ownership invariant when the ordinary release is not enough: reconciliation finds this instance's
//! marked pipelines that no live session holds (and leaves everyone else's alone), a release that gets no
//! answer is retried until the media server confirms it, a transaction answered after its timeout has what
//! it made released, and a session serves a bounded number of StreamCandidates streams.

use crate::common::{
    self, OFFER, Script, config, gateway, gateway_with_metrics, hello_world, released, what,
};
use crate::support::peer::{self, Ctx, Handler, Peer, Reply};
use crate::support::{eventually, eventually_async, http::get};
use media_proto::v1::StartRequest;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const ME: &str = "gw-under-test";

fn start() -> StartRequest {
    StartRequest {
        sdp_offer: OFFER.into(),
        wait_for_candidates: false,
    }
}

fn tag(key: &str, value: &str) -> Value {
    json!({"__module__": "kurento", "__type__": "Tag", "key": key, "value": value})
}

fn reply(req: &Value, value: Value) -> Reply {
    peer::result(
        req,
        json!({"sessionId": req["params"]["sessionId"], "value": value}),
    )
}

/// A media server that already holds pipelines from before the gateway started: one marked by this
/// instance for a session that no longer exists, one marked by another instance, and one unmarked.
/// Released pipelines are no longer listed.
fn preloaded() -> Handler {
    let plain = hello_world(Script::default());
    let gone = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    Arc::new(move |req: &Value, ctx: &Ctx| match what(req).as_str() {
        "release" => {
            gone.lock().unwrap().push(req["params"]["object"].clone());
            plain(req, ctx)
        }
        "getPipelines" => {
            let gone = gone.lock().unwrap();
            let listed: Vec<&str> = ["orphan", "theirs", "unmarked"]
                .into_iter()
                .filter(|p| !gone.iter().any(|g| g == p))
                .collect();
            Some(reply(req, json!(listed)))
        }
        "getTags" => Some(reply(
            req,
            match req["params"]["object"].as_str() {
                Some("orphan") => json!([
                    tag("media-gateway.instance", ME),
                    tag("media-gateway.session", "a-session-of-a-previous-life")
                ]),
                Some("theirs") => json!([
                    tag("media-gateway.instance", "another-gateway"),
                    tag("media-gateway.session", "theirs-1")
                ]),
                _ => json!([]),
            },
        )),
        _ => plain(req, ctx),
    })
}

#[tokio::test]
async fn reconciliation_releases_only_this_instances_orphans() {
    let peer = Peer::with_handler("server-1", preloaded()).await;
    let gw = gateway_with_metrics(media_gateway::Config {
        instance_id: ME.into(),
        reconcile_period: Duration::from_millis(300),
        ..config(vec![peer.uri()])
    })
    .await;
    // The pass that runs as the link comes up releases the orphan.
    assert!(
        eventually(Duration::from_secs(3), || released(&peer) == ["orphan"]).await,
        "{:?}",
        released(&peer)
    );
    // Later passes: nothing more is released, and someone else's pipeline is not even re-read.
    let passes = || {
        peer.received()
            .iter()
            .filter(|r| what(r) == "getPipelines")
            .count()
    };
    assert!(eventually(Duration::from_secs(3), || passes() >= 3).await);
    let reads_of = |object: &str| {
        peer.received()
            .iter()
            .filter(|r| what(r) == "getTags" && r["params"]["object"] == object)
            .count()
    };
    assert_eq!(reads_of("theirs"), 1, "a foreign pipeline is read once");
    assert_eq!(reads_of("unmarked"), 2, "an unmarked one twice, then left");
    assert_eq!(released(&peer), ["orphan"]);
    let metrics = gw.gateway.metrics_addr().expect("metrics");
    let (_, text) = get(metrics, "/metrics").await;
    assert!(
        text.contains("media_gateway_pipelines_reconciled_total 1"),
        "{text}"
    );
    assert!(
        text.contains("media_gateway_reconciliation_runs_total{outcome=\"ok\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn a_live_sessions_pipeline_is_never_reconciled() {
    // getPipelines lists whatever the gateway created; getTags says what it was marked with.
    let plain = hello_world(Script::default());
    let marks = Arc::new(std::sync::Mutex::new(Vec::<(String, Value)>::new()));
    let seen = marks.clone();
    let handler: Handler = Arc::new(move |req: &Value, ctx: &Ctx| {
        let w = what(req);
        let object = req["params"]["object"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match w.as_str() {
            "addTag" => {
                let p = &req["params"]["operationParams"];
                seen.lock().unwrap().push((
                    object,
                    tag(
                        p["key"].as_str().unwrap_or_default(),
                        p["value"].as_str().unwrap_or_default(),
                    ),
                ));
                Some(reply(req, Value::Null))
            }
            "getPipelines" => {
                let mut ids: Vec<String> = seen
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(o, _)| o.clone())
                    .collect();
                ids.dedup();
                Some(reply(req, json!(ids)))
            }
            "getTags" => {
                let tags: Vec<Value> = seen
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(o, _)| *o == object)
                    .map(|(_, t)| t.clone())
                    .collect();
                Some(reply(req, json!(tags)))
            }
            _ => plain(req, ctx),
        }
    });
    let peer = Peer::with_handler("server-1", handler).await;
    let mut gw = gateway(media_gateway::Config {
        instance_id: ME.into(),
        reconcile_period: Duration::from_millis(200),
        ..config(vec![peer.uri()])
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let passes = || {
        peer.received()
            .iter()
            .filter(|r| what(r) == "getPipelines")
            .count()
    };
    let before = passes();
    assert!(eventually(Duration::from_secs(3), || passes() >= before + 3).await);
    assert!(
        released(&peer).is_empty(),
        "a live session's pipeline was released"
    );
    assert_eq!(
        marks.lock().unwrap().len(),
        2,
        "marked with instance and session"
    );
    assert!(
        marks
            .lock()
            .unwrap()
            .iter()
            .any(|(_, t)| t["value"] == id.as_str())
    );
    // Once the session ends its pipeline is released exactly by the session, and reconciliation agrees.
    let stopped = gw
        .client
        .stop(media_proto::v1::StopRequest { session_id: id })
        .await
        .expect("Stop")
        .into_inner();
    assert!(stopped.released);
    assert_eq!(released(&peer).len(), 1);
}

#[tokio::test]
async fn an_unanswered_release_is_retried_until_confirmed() {
    // The first two releases get no answer (each times out after request_timeout); the third is answered.
    let plain = hello_world(Script::default());
    let releases = Arc::new(AtomicUsize::new(0));
    let n = releases.clone();
    let handler: Handler = Arc::new(move |req: &Value, ctx: &Ctx| {
        if what(req) == "release" && n.fetch_add(1, Ordering::SeqCst) < 2 {
            return Some(Reply::Silent);
        }
        plain(req, ctx)
    });
    let peer = Peer::with_handler("server-1", handler).await;
    let mut gw = gateway_with_metrics(media_gateway::Config {
        request_timeout: Duration::from_millis(300),
        ..config(vec![peer.uri()])
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    gw.client
        .stop(media_proto::v1::StopRequest {
            session_id: id.clone(),
        })
        .await
        .expect("Stop answers although its release was not confirmed");
    assert!(
        eventually(Duration::from_secs(5), || releases.load(Ordering::SeqCst)
            >= 3)
        .await,
        "retried: {}",
        releases.load(Ordering::SeqCst)
    );
    let all = released(&peer);
    assert!(all.iter().all(|p| *p == all[0]), "{all:?}");
    let metrics = gw.gateway.metrics_addr().expect("metrics");
    let settled = eventually_async(Duration::from_secs(3), || async move {
        let (_, text) = get(metrics, "/metrics").await;
        text.contains("media_gateway_pipeline_releases_confirmed_on_retry_total 1")
            && text.contains("media_gateway_pipeline_release_failures_total 1")
    })
    .await;
    let (_, text) = get(metrics, "/metrics").await;
    assert!(settled, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("media_gateway_pipeline_releases_owed{") && l.ends_with(" 0")),
        "{text}"
    );
    // Confirmed: no more retries.
    let settled_count = releases.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(releases.load(Ordering::SeqCst), settled_count);
}

#[tokio::test]
async fn a_transaction_answered_after_its_timeout_has_its_objects_released() {
    let script = Script {
        transactions: true,
        silent: vec!["transaction"],
        ..Script::default()
    };
    let peer = Peer::with_handler("server-1", hello_world(script)).await;
    let mut gw = gateway(media_gateway::Config {
        request_timeout: Duration::from_millis(400),
        ..config(vec![peer.uri()])
    })
    .await;
    let e = gw
        .client
        .start(start())
        .await
        .expect_err("the transaction timed out");
    assert_eq!(e.code(), tonic::Code::DeadlineExceeded, "{e:?}");
    assert!(released(&peer).is_empty(), "nothing known to release yet");
    // The media server ran it after all, and says so late.
    let tx = peer.requests("transaction");
    let (id, session) = (&tx[0]["id"], &tx[0]["params"]["sessionId"]);
    let ok = |i: usize, v: &str| json!({"id": i, "jsonrpc": "2.0", "result": {"sessionId": session, "value": v}});
    let results = json!([
        ok(0, "late-pipeline"),
        ok(1, ""),
        ok(2, ""),
        ok(3, "late-pipeline/late-endpoint")
    ]);
    peer.push(
        json!({"id": id, "jsonrpc": "2.0", "result": {"sessionId": session, "value": results}})
            .to_string(),
    );
    assert!(
        eventually(Duration::from_secs(3), || released(&peer)
            .contains(&"late-pipeline".to_owned()))
        .await,
        "{:?}",
        released(&peer)
    );
}

#[tokio::test]
async fn a_caller_leaving_mid_process_offer_is_released_at_once() {
    // processOffer never answers and its request timeout is long: only the caller's departure can end it.
    let script = Script {
        silent: vec!["processOffer"],
        ..Script::default()
    };
    let peer = Peer::with_handler("server-1", hello_world(script)).await;
    let gw = gateway(media_gateway::Config {
        request_timeout: Duration::from_secs(30),
        start_timeout: Duration::from_secs(30),
        ..config(vec![peer.uri()])
    })
    .await;
    let mut client = gw.client.clone();
    let call = tokio::spawn(async move { client.start(start()).await });
    let offered = || peer.received().iter().any(|r| what(r) == "processOffer");
    assert!(eventually(Duration::from_secs(2), offered).await);
    call.abort();
    assert!(
        eventually(Duration::from_secs(2), || released(&peer).len() == 1).await,
        "not released within 2 s of the caller leaving (request timeout 30 s, lease 60 s)"
    );
    assert!(eventually(Duration::from_secs(1), || gw.gateway.sessions() == 0).await);
}

#[tokio::test]
async fn watchers_per_session_are_capped() {
    let (mut gw, _peer) = common::on_peer_with(Script::default(), |mut c| {
        c.max_watchers = 2;
        c
    })
    .await;
    let id = common::start_session(&mut gw.client, OFFER).await;
    let _a = common::open_stream(&mut gw.client, &id).await;
    let b = common::open_stream(&mut gw.client, &id).await;
    let req = || media_proto::v1::StreamCandidatesRequest {
        session_id: id.clone(),
    };
    let third = gw.client.stream_candidates(req()).await;
    let e = third.expect_err("a third stream is refused");
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    // A closed stream frees its place.
    drop(b);
    let freed = eventually_async(Duration::from_secs(2), || {
        let mut c = gw.client.clone();
        let r = req();
        async move { c.stream_candidates(r).await.is_ok() }
    })
    .await;
    assert!(freed, "a closed stream still counted");
}
