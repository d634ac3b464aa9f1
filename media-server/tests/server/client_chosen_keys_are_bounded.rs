//! Everything a client can make the server remember under names of its own choosing is bounded:
//! session ids (count and length), subscriptions per (session, object, event), tags per object. Past a
//! bound the request gets a clear error (40009 NOT_ENOUGH_RESOURCES, or -32000 for an oversized id)
//! and what already exists keeps working.

use crate::common;

use media_server::Config;
use serde_json::{Value, json};

fn code(r: &Value) -> i64 {
    r["error"]["code"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn client_chosen_keys_are_bounded() -> anyhow::Result<()> {
    let config = Config {
        max_sessions: 3,
        ..Config::default()
    };
    let server = common::start(config).await?;
    let mut ws = common::connect(&server.url()).await?;
    let mut id = 0u64;
    let mut call = async |ws: &mut common::Ws, method: &str, params: Value| {
        id += 1;
        common::call(
            ws,
            json!({"jsonrpc":"2.0","method":method,"params":params,"id":id}),
        )
        .await
    };

    // A session id far longer than any real one (UUIDs) is refused, not stored.
    let long = "s".repeat(300);
    let r = call(
        &mut ws,
        "create",
        json!({"type":"MediaPipeline","sessionId":long}),
    )
    .await?;
    assert_eq!(code(&r), -32000, "{r}");
    assert_eq!(server.stats().sessions, 0);

    // At most `max_sessions` sessions; a known one is still served.
    for s in ["a", "b", "c"] {
        let r = call(
            &mut ws,
            "describe",
            json!({"object":"manager_ServerManager","sessionId":s}),
        )
        .await?;
        assert_eq!(r["result"]["sessionId"], s, "{r}");
    }
    let r = call(
        &mut ws,
        "describe",
        json!({"object":"manager_ServerManager","sessionId":"d"}),
    )
    .await?;
    assert_eq!(code(&r), 40009, "{r}");
    let r = call(
        &mut ws,
        "create",
        json!({"type":"MediaPipeline","sessionId":"a"}),
    )
    .await?;
    let pipeline = r["result"]["value"].as_str().unwrap_or_default().to_owned();
    assert!(!pipeline.is_empty(), "{r}");
    assert_eq!(server.stats().sessions, 3);

    // Subscriptions to one event of one object in one session.
    let sub = json!({"object":pipeline,"type":"Error","sessionId":"a"});
    let mut first = String::new();
    for n in 0..64 {
        let r = call(&mut ws, "subscribe", sub.clone()).await?;
        let s = r["result"]["value"].as_str().unwrap_or_default();
        assert!(!s.is_empty(), "subscription {n}: {r}");
        if n == 0 {
            first = s.to_owned();
        }
    }
    let r = call(&mut ws, "subscribe", sub.clone()).await?;
    assert_eq!(code(&r), 40009, "{r}");
    let r = call(
        &mut ws,
        "unsubscribe",
        json!({"object":pipeline,"subscription":first,"sessionId":"a"}),
    )
    .await?;
    assert_eq!(r["result"]["sessionId"], "a", "{r}");
    let r = call(&mut ws, "subscribe", sub).await?;
    assert!(r["result"]["value"].is_string(), "{r}");

    // Tags per object; overwriting an existing key is always allowed.
    let tag = |k: String| json!({"object":pipeline,"operation":"addTag","operationParams":{"key":k,"value":"v"},"sessionId":"a"});
    for n in 0..256 {
        let r = call(&mut ws, "invoke", tag(format!("k{n}"))).await?;
        assert_eq!(r["result"]["value"], Value::Null, "tag {n}: {r}");
    }
    let r = call(&mut ws, "invoke", tag("one-too-many".into())).await?;
    assert_eq!(code(&r), 40009, "{r}");
    let r = call(&mut ws, "invoke", tag("k0".into())).await?;
    assert_eq!(r["result"]["value"], Value::Null, "{r}");

    server.shutdown().await?;
    Ok(())
}
