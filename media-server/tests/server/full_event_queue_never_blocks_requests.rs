//! A connection whose event queues are full must still get its answers: events the queues cannot take
//! are dropped and counted, never waited for. Waiting deadlocked a connection on itself (its own
//! task drains that queue) and let one slow reader stall every other client's `create`.

use crate::common;

use media_server::Config;
use media_server::rpc::outbox::OutboxLimits;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn full_event_queue_never_blocks_requests() -> anyhow::Result<()> {
    let config = Config {
        event_queues: OutboxLimits {
            per_pipeline: 2,
            reserved: 1,
            max_queues: 4,
        },
        ..Config::default()
    };
    let server = common::start(config).await?;

    // A client that subscribes to ObjectCreated and then never reads.
    let mut idle = common::connect(&server.url()).await?;
    let r = common::call(
        &mut idle,
        json!({"jsonrpc":"2.0","method":"subscribe","params":{"object":"manager_ServerManager","type":"ObjectCreated"},"id":1}),
    )
    .await?;
    assert!(r["result"]["value"].is_string(), "{r}");

    // Another client creates more pipelines than the idle one's queue holds, in one transaction so
    // the idle connection cannot drain between them. Each reply must come.
    let mut busy = common::connect(&server.url()).await?;
    for n in 0..3u64 {
        let ops: Vec<_> = (0..8u64)
            .map(|i| json!({"jsonrpc":"2.0","id":i,"method":"create","params":{"type":"MediaPipeline"}}))
            .collect();
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            common::call(
                &mut busy,
                json!({"jsonrpc":"2.0","method":"transaction","params":{"operations":ops},"id":n}),
            ),
        )
        .await
        .map_err(|_| {
            anyhow::anyhow!("transaction {n} never answered: blocked on a full event queue")
        })??;
        assert_eq!(
            r["result"]["value"].as_array().map(Vec::len),
            Some(8),
            "{r}"
        );
    }

    // The subscriber itself, subscribed and with a full queue, also gets its own answers.
    let ops: Vec<_> = (0..8u64)
        .map(
            |i| json!({"jsonrpc":"2.0","id":i,"method":"create","params":{"type":"MediaPipeline"}}),
        )
        .collect();
    common::send(
        &mut idle,
        &json!({"jsonrpc":"2.0","method":"transaction","params":{"operations":ops},"id":2})
            .to_string(),
    )
    .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = common::recv(&mut idle, left)
            .await
            .map_err(|e| anyhow::anyhow!("no answer to the subscriber's own transaction: {e}"))?;
        if f["id"] == json!(2) {
            assert_eq!(
                f["result"]["value"].as_array().map(Vec::len),
                Some(8),
                "{f}"
            );
            break;
        }
        assert_eq!(f["method"], "onEvent", "{f}");
    }
    assert!(server.stats().events_dropped > 0, "{:?}", server.stats());
    server.shutdown().await?;
    Ok(())
}
