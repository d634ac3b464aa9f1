//! What a caller gives a WebRtcEndpoint is bounded. `processOffer` takes at most `MAX_OFFER_BYTES`
//! (40201 beyond, and the endpoint still negotiates a real offer afterwards). `addIceCandidate` takes at
//! most `max_remote_candidates` (64) per endpoint, the offer's own included, then 40401; a `candidate` over 512 bytes or an `sdpMid` over 64 gets 40107. Loopback and
//! private addresses are ignored quietly unless allowed, as are mDNS names (KMS cannot resolve them
//! either): the call succeeds, the endpoint sends nothing there, and the engine counts them.

use kurento::{Message, Response, RpcError};
use media_server::engine::{Engine, EngineConfig};
use media_server::rpc::outbox::OutboxLimits;
use media_server::rpc::{
    Core, CoreLimits, MAX_CANDIDATE_BYTES, MAX_OFFER_BYTES, MAX_SDP_MID_BYTES,
};
use serde_json::{Value, json};
use std::sync::Arc;

const CONN: u64 = 3;

async fn call(core: &Arc<Core>, request: Value) -> anyhow::Result<Result<Value, RpcError>> {
    let reply = core
        .handle_text(CONN, &request.to_string(), 0)
        .await
        .ok_or_else(|| anyhow::anyhow!("no reply"))?;
    match Message::decode(&reply) {
        Ok(Message::Response(Response { outcome, .. })) => Ok(outcome),
        _ => anyhow::bail!("not a response: {reply}"),
    }
}

/// A core whose engine has `engine` settings, and a fresh endpoint in it: `(core, session, id)`.
async fn endpoint(engine: EngineConfig) -> anyhow::Result<(Arc<Core>, String, String)> {
    let limits = CoreLimits {
        max_objects: 10,
        max_sessions: 10,
        events: OutboxLimits::default(),
    };
    let core = Core::new(Engine::new(engine)?, limits, || 0);
    let r = call(
        &core,
        json!({"jsonrpc":"2.0","method":"create","params":{"type":"MediaPipeline"},"id":1}),
    )
    .await??;
    let (pipeline, session) = (r["value"].clone(), r["sessionId"].clone());
    let r = call(&core, json!({"jsonrpc":"2.0","method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":pipeline},"sessionId":session},"id":2})).await??;
    let endpoint = r["value"].as_str().unwrap_or_default().to_owned();
    let session = session.as_str().unwrap_or_default().to_owned();
    Ok((core, session, endpoint))
}

async fn process_offer(
    core: &Arc<Core>,
    session: &str,
    endpoint: &str,
    offer: &str,
) -> anyhow::Result<Result<Value, RpcError>> {
    call(core, json!({"jsonrpc":"2.0","method":"invoke","params":{"object":endpoint,"operation":"processOffer","operationParams":{"offer":offer},"sessionId":session},"id":3})).await
}

/// [`endpoint`], negotiated with `offer`.
async fn negotiated(
    engine: EngineConfig,
    offer: &str,
) -> anyhow::Result<(Arc<Core>, String, String)> {
    let (core, session, endpoint) = self::endpoint(engine).await?;
    process_offer(&core, &session, &endpoint, offer).await??;
    Ok((core, session, endpoint))
}

async fn add(
    core: &Arc<Core>,
    session: &str,
    endpoint: &str,
    candidate: &str,
    mid: &str,
) -> anyhow::Result<Result<Value, RpcError>> {
    let c = json!({"__module__":"kurento","__type__":"IceCandidate","candidate":candidate,"sdpMid":mid,"sdpMLineIndex":0});
    call(core, json!({"jsonrpc":"2.0","method":"invoke","params":{"object":endpoint,"operation":"addIceCandidate","operationParams":{"candidate":c},"sessionId":session},"id":4})).await
}

fn host(addr: &str, port: u32) -> String {
    format!("candidate:{port} 1 udp 2122260223 {addr} {port} typ host generation 0")
}

#[tokio::test]
async fn candidates_beyond_the_cap_or_too_long_are_refused() -> anyhow::Result<()> {
    let (core, s, e) = negotiated(EngineConfig::default(), test_support::CHROMIUM_OFFER).await?;
    let long = format!(
        "{} {}",
        host("192.0.2.1", 1),
        "x".repeat(MAX_CANDIDATE_BYTES)
    );
    let err = add(&core, &s, &e, &long, "0").await?.expect_err("refused");
    assert_eq!(err.code, 40107, "{err:?}");
    assert!(err.message.contains("'candidate' is too long"), "{err:?}");
    let mid = "m".repeat(MAX_SDP_MID_BYTES + 1);
    let err = add(&core, &s, &e, &host("192.0.2.1", 1), &mid)
        .await?
        .expect_err("refused");
    assert_eq!(err.code, 40107, "{err:?}");
    assert!(err.message.contains("'sdpMid' is too long"), "{err:?}");

    for port in 1..=64 {
        add(&core, &s, &e, &host("192.0.2.1", port), "0").await??;
    }
    let err = add(&core, &s, &e, &host("192.0.2.1", 65), "0")
        .await?
        .expect_err("capped");
    assert_eq!(err.code, 40401, "{err:?}");
    assert_eq!(
        err.message,
        "Too many remote candidates: at most 64 per endpoint"
    );
    // Ignored candidates cost nothing and so are not capped.
    add(&core, &s, &e, &host("10.0.0.1", 1), "0").await??;
    add(&core, &s, &e, "", "0").await??;
    core.release_all(0).await;
    Ok(())
}

#[tokio::test]
async fn the_offers_candidates_count_toward_the_cap() -> anyhow::Result<()> {
    let offer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/offers/aiortc-offer-complete.sdp"),
    )?;
    // aiortc's offer holds 2 public (192.0.2.2) and 2 private (fd00::2) candidates.
    let config = EngineConfig {
        max_remote_candidates: 3,
        ..EngineConfig::default()
    };
    let (core, s, e) = negotiated(config, &offer).await?;
    add(&core, &s, &e, &host("198.51.100.1", 1), "0").await??;
    let err = add(&core, &s, &e, &host("198.51.100.1", 2), "0")
        .await?
        .expect_err("capped");
    assert_eq!(err.code, 40401, "{err:?}");
    core.release_all(0).await;
    Ok(())
}

#[tokio::test]
async fn private_and_mdns_candidates_are_ignored_unless_allowed() -> anyhow::Result<()> {
    let private = [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "192.168.0.7",
        "172.20.0.1",
        "169.254.3.4",
        "fd00::2",
        "fe80::1",
    ];
    let mdns = host("3b1a2c4d-1111-2222-3333-444455556666.local", 9);

    let (core, s, e) = negotiated(EngineConfig::default(), test_support::CHROMIUM_OFFER).await?;
    for (n, addr) in private.iter().enumerate() {
        add(&core, &s, &e, &host(addr, 100 + n as u32), "0").await??;
    }
    add(&core, &s, &e, &mdns, "0").await??;
    let ignored = private.len() as u64 + 1;
    assert_eq!(core.engine().stats().candidates_ignored, ignored);
    core.release_all(0).await;

    let allowed = EngineConfig {
        allow_private_candidates: true,
        max_remote_candidates: private.len(),
        ..EngineConfig::default()
    };
    let (core, s, e) = negotiated(allowed, test_support::CHROMIUM_OFFER).await?;
    for (n, addr) in private.iter().enumerate() {
        add(&core, &s, &e, &host(addr, 100 + n as u32), "0").await??;
    }
    // Taken this time, so they fill the cap; mDNS is still ignored, not counted.
    add(&core, &s, &e, &mdns, "0").await??;
    assert_eq!(core.engine().stats().candidates_ignored, 1);
    let err = add(&core, &s, &e, &host("192.0.2.1", 1), "0")
        .await?
        .expect_err("capped");
    assert_eq!(err.code, 40401, "{err:?}");
    core.release_all(0).await;
    Ok(())
}

#[tokio::test]
async fn an_oversized_offer_is_refused_and_harms_nothing() -> anyhow::Result<()> {
    let (core, s, e) = endpoint(EngineConfig::default()).await?;
    let huge = format!(
        "{}a=x-padding:{}\r\n",
        test_support::CHROMIUM_OFFER,
        "p".repeat(MAX_OFFER_BYTES)
    );
    let err = process_offer(&core, &s, &e, &huge)
        .await?
        .expect_err("refused");
    assert_eq!(err.code, 40201, "{err:?}");
    assert!(err.message.contains("too large"), "{err:?}");
    let answer = process_offer(&core, &s, &e, test_support::CHROMIUM_OFFER).await??;
    assert!(
        answer["value"]
            .as_str()
            .is_some_and(|a| a.contains("m=video")),
        "{answer}"
    );
    core.release_all(0).await;
    Ok(())
}
