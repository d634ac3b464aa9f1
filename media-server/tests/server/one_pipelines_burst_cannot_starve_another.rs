//! Two pipelines on one connection (the gateway carries every session over one WebSocket): a burst of
//! candidates from one pipeline overflows only that pipeline's own queue, so the other pipeline's
//! `IceGatheringDone` still arrives, and so do the flooded pipeline's own `IceGatheringDone`s (rare
//! events have room candidates cannot take).
//!
//! The flood is made deterministic by a transaction: while the connection runs it, its writer sends
//! nothing, so every event raised meanwhile waits in the connection's queues. The transaction gathers
//! on every endpoint and then holds the connection with `getUsedCpu`'s sampling sleep.

use crate::common::{self, Ws};

use anyhow::{Context, bail};
use media_server::Config;
use media_server::rpc::outbox::OutboxLimits;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Endpoints in the flooding pipeline: as many as its queue holds, so its `IceGatheringDone`s alone
/// fill it. Sharing one queue, the quiet pipeline's would then be lost; without the reserved room,
/// the flooder's own would be lost behind its candidates.
const FLOODERS: usize = 12;
const LIMITS: OutboxLimits = OutboxLimits {
    per_pipeline: FLOODERS,
    reserved: FLOODERS - 2,
    max_queues: 8,
};

/// Runs `ops` as one transaction; returns each operation's value, skipping (and keeping) events that
/// arrive before the answer.
async fn transaction(
    ws: &mut Ws,
    id: u64,
    ops: Vec<Value>,
    events: &mut Vec<Value>,
) -> anyhow::Result<Vec<Value>> {
    let ops: Vec<Value> = ops
        .into_iter()
        .enumerate()
        .map(|(i, mut op)| {
            op["jsonrpc"] = "2.0".into();
            op["id"] = i.into();
            op
        })
        .collect();
    let n = ops.len();
    let request =
        json!({"jsonrpc":"2.0","method":"transaction","params":{"operations":ops},"id":id});
    common::send(ws, &request.to_string()).await?;
    loop {
        let f = common::recv(ws, common::FRAME_TIMEOUT).await?;
        if f["method"] == "onEvent" {
            events.push(f);
            continue;
        }
        if f["id"] != json!(id) {
            bail!("unexpected frame {f}");
        }
        let answers = f["result"]["value"]
            .as_array()
            .with_context(|| format!("transaction {id} failed: {f}"))?;
        if answers.len() != n || answers.iter().any(|a| a.get("result").is_none()) {
            bail!("transaction {id}: an operation failed: {f}");
        }
        return Ok(answers
            .iter()
            .map(|a| a["result"]["value"].clone())
            .collect());
    }
}

fn id_of(v: &Value) -> anyhow::Result<String> {
    v.as_str()
        .map(str::to_owned)
        .with_context(|| format!("not an id: {v}"))
}

#[tokio::test]
async fn one_pipelines_burst_cannot_starve_another() -> anyhow::Result<()> {
    let server = common::start(Config {
        event_queues: LIMITS,
        ..Config::default()
    })
    .await?;
    let mut ws = common::connect(&server.url()).await?;
    let mut events = Vec::new();

    // Pipelines 0 (the flooder) and 1 (the quiet one), FLOODERS endpoints in 0, one in 1.
    let mut ops = vec![
        json!({"method":"create","params":{"type":"MediaPipeline"}}),
        json!({"method":"create","params":{"type":"MediaPipeline"}}),
    ];
    for _ in 0..FLOODERS {
        ops.push(json!({"method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":"newref:0"}}}));
    }
    ops.push(json!({"method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":"newref:1"}}}));
    let ids = transaction(&mut ws, 1, ops, &mut events).await?;
    let flooders: Vec<String> = ids[2..2 + FLOODERS]
        .iter()
        .map(id_of)
        .collect::<Result<_, _>>()?;
    let quiet = id_of(&ids[2 + FLOODERS])?;

    // Every endpoint subscribes to both events and negotiates (no gathering yet).
    let mut ops = Vec::new();
    for e in flooders.iter().chain([&quiet]) {
        for ty in ["IceCandidateFound", "IceGatheringDone"] {
            ops.push(json!({"method":"subscribe","params":{"object":e,"type":ty}}));
        }
        ops.push(json!({"method":"invoke","params":{"object":e,"operation":"processOffer","operationParams":{"offer":test_support::CHROMIUM_OFFER}}}));
    }
    transaction(&mut ws, 2, ops, &mut events).await?;

    // The burst: every flooder gathers, then the quiet endpoint, while the writer is held.
    let mut ops: Vec<Value> = flooders
        .iter()
        .chain([&quiet])
        .map(|e| json!({"method":"invoke","params":{"object":e,"operation":"gatherCandidates"}}))
        .collect();
    ops.push(json!({"method":"invoke","params":{"object":"manager_ServerManager","operation":"getUsedCpu","operationParams":{"interval":500}}}));
    transaction(&mut ws, 3, ops, &mut events).await?;

    // Everything still queued comes out now; wait for every IceGatheringDone.
    let count = |events: &[Value], ty: &str, object: &str| {
        events
            .iter()
            .filter(|f| f["params"]["value"]["type"] == ty)
            .filter(|f| f["params"]["value"]["object"] == object)
            .count()
    };
    let all_done = |events: &[Value]| {
        flooders
            .iter()
            .chain([&quiet])
            .all(|e| count(events, "IceGatheringDone", e) == 1)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !all_done(&events) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match common::recv(&mut ws, left).await {
            Ok(f) => events.push(f),
            Err(e) => {
                let done: HashMap<&str, usize> = flooders
                    .iter()
                    .chain([&quiet])
                    .map(|o| (o.as_str(), count(&events, "IceGatheringDone", o)))
                    .collect();
                bail!(
                    "not every IceGatheringDone arrived ({e}): {done:?}, quiet is {quiet}, {:?}",
                    server.stats()
                );
            }
        }
    }

    let flood_candidates: usize = flooders
        .iter()
        .map(|e| count(&events, "IceCandidateFound", e))
        .sum();
    assert!(
        count(&events, "IceCandidateFound", &quiet) >= 1,
        "the quiet pipeline keeps its candidates"
    );
    assert!(
        flood_candidates < 2 * FLOODERS,
        "the flood overflowed its own room: {flood_candidates} candidates"
    );
    let stats = server.stats();
    assert!(
        stats.event_drops.burst + stats.event_drops.evicted > 0,
        "{stats:?}"
    );
    assert_eq!(
        (
            stats.event_drops.queue_full,
            stats.event_drops.too_many_queues
        ),
        (0, 0),
        "{stats:?}"
    );
    assert_eq!(stats.events_dropped, stats.event_drops.total());
    server.shutdown().await?;
    Ok(())
}
