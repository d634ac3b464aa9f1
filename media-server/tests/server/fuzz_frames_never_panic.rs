//! Fuzz-style: 10,000 seeded mutations of the real client frames in `tests/transcripts`, fed straight
//! into the protocol core (its sans-IO entry point, `Core::handle_text`) against live objects. Every
//! frame gets exactly one answer, a valid JSON-RPC response that echoes the request's id; nothing
//! panics, not even in a spawned task; and releasing everything afterwards frees every object and socket.

use kurento::transcript::{self, Direction};
use kurento::{Message, Response};
use media_server::engine::{Engine, EngineConfig};
use media_server::rpc::outbox::OutboxLimits;
use media_server::rpc::{Core, CoreLimits};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use test_support::mutate;

const ITERATIONS: usize = 10_000;
const CONN: u64 = 1;

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn transcripts_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

/// Every `C>` frame of every transcript (raw-text frames included), minus the slow `getUsedCpu`.
fn seeds() -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(transcripts_dir())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path)?;
            let lines = transcript::parse(&text).map_err(anyhow::Error::msg)?;
            out.extend(
                lines
                    .into_iter()
                    .filter(|l| l.direction == Direction::ToServer)
                    .map(|l| l.message)
                    .filter(|m| !m.to_string().contains("getUsedCpu")),
            );
        }
    }
    anyhow::ensure!(out.len() > 20, "too few seed frames: {}", out.len());
    Ok(out)
}

/// The live ids the seeds' `$S`, `$P`, `$E` and `$OFFER` stand for.
struct Live {
    session: String,
    pipeline: String,
    endpoint: String,
    offer: String,
}

impl Live {
    fn substitute(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(match s.as_str() {
                "$S" => self.session.clone(),
                "$P" | "$P1" => self.pipeline.clone(),
                "$E" | "$E1" => self.endpoint.clone(),
                "$OFFER" => self.offer.clone(),
                _ => s.clone(),
            }),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.substitute(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.substitute(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The frame's text: a JSON string stands for raw text (the malformed-frame transcripts).
    fn frame(&self, seed: &Value) -> String {
        match self.substitute(seed) {
            Value::String(raw) => raw,
            other => other.to_string(),
        }
    }
}

async fn call(core: &Arc<Core>, request: Value) -> anyhow::Result<Value> {
    let reply = core
        .handle_text(CONN, &request.to_string(), 0)
        .await
        .ok_or_else(|| anyhow::anyhow!("no reply to {request}"))?;
    Ok(serde_json::from_str(&reply)?)
}

async fn setup(core: &Arc<Core>, offer: &str) -> anyhow::Result<Live> {
    let r = call(
        core,
        json!({"jsonrpc":"2.0","method":"describe","params":{"object":"manager_ServerManager"},"id":1}),
    )
    .await?;
    let session = r["result"]["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = call(
        core,
        json!({"jsonrpc":"2.0","method":"create","params":{"type":"MediaPipeline","sessionId":session},"id":2}),
    )
    .await?;
    let pipeline = r["result"]["value"].as_str().unwrap_or_default().to_owned();
    let r = call(
        core,
        json!({"jsonrpc":"2.0","method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":pipeline},"sessionId":session},"id":3}),
    )
    .await?;
    let endpoint = r["result"]["value"].as_str().unwrap_or_default().to_owned();
    anyhow::ensure!(!endpoint.is_empty(), "setup failed: {r}");
    Ok(Live {
        session,
        pipeline,
        endpoint,
        offer: offer.to_owned(),
    })
}

#[tokio::test]
async fn fuzz_frames_never_panic() -> anyhow::Result<()> {
    let default_hook = std::panic::take_hook();
    // The hook is process-wide and this binary runs the crate's other tests alongside: a failing
    // assertion in one of them is not a panic of the server, so only panics outside test code count.
    std::panic::set_hook(Box::new(move |info| {
        let in_test_code = info.location().is_some_and(|l| {
            let file = l.file().replace('\\', "/");
            file.contains("tests/") || file.contains("test-support/")
        });
        if !in_test_code {
            PANICS.fetch_add(1, Ordering::SeqCst);
        }
        default_hook(info);
    }));
    let offer = test_support::CHROMIUM_OFFER.to_owned();
    let seeds = seeds()?;
    let core = Core::new(
        Engine::new(EngineConfig::default())?,
        CoreLimits {
            max_objects: 40,
            max_sessions: 100,
            events: OutboxLimits::default(),
        },
        // The wall clock, as the server gives it.
        || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        },
    );
    let events = core.open_connection(CONN);
    let mut live = setup(&core, &offer).await?;
    let mut m = mutate::Mutator::new(0x006b_7572_656e_746f);
    let (mut successes, mut codes) = (0, std::collections::BTreeSet::new());
    for i in 0..ITERATIONS {
        if i % 500 == 499 {
            // Keeps objects and sockets bounded; also exercises release under churn.
            core.release_all(0).await;
            live = setup(&core, &offer).await?;
        }
        let seed = m.pick(&seeds).clone();
        let text = m.mutate(&live.frame(&seed));
        let expected_id = match Message::decode(&text) {
            Ok(Message::Request(r)) => Some(r.id),
            _ => None,
        };
        let reply = core
            .handle_text(CONN, &text, i as u64)
            .await
            .ok_or_else(|| anyhow::anyhow!("iteration {i}: no reply to {text:.300}"))?;
        let Ok(Message::Response(Response { id, outcome })) = Message::decode(&reply) else {
            anyhow::bail!("iteration {i}: reply is not a response: {reply:.300}\nto {text:.300}");
        };
        if let Some(expected) = expected_id {
            anyhow::ensure!(
                id == expected,
                "iteration {i}: id {id:?} for a request with id {expected:?}: {text:.300}"
            );
        }
        match outcome {
            Ok(_) => successes += 1,
            Err(e) => {
                codes.insert(e.code);
            }
        }
        while events.try_pop().is_some() {}
    }
    // The mutations must stay close enough to real traffic to reach the methods, not just the parser.
    // Many seeds come from error transcripts, so a few percent of successes is expected.
    assert!(
        successes > ITERATIONS / 20,
        "only {successes} successes, codes {codes:?}"
    );
    assert!(codes.len() >= 12, "only error codes {codes:?}");
    core.release_all(0).await;
    let counts = core.counts();
    assert_eq!(
        (counts.sessions, counts.pipelines, counts.endpoints),
        (0, 0, 0),
        "{counts:?}"
    );
    let engine = core.engine().stats();
    assert_eq!((engine.endpoints, engine.udp_sockets), (0, 0), "{engine:?}");
    core.close_connection(CONN);
    assert_eq!(core.counts().connections, 0);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a task panicked");
    Ok(())
}
