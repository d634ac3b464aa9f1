//! Fuzz replay of the parsing the media server does itself: every SDP offer in `tests/corpus/offers`
//! and every candidate in `tests/corpus/candidates` (real Chromium and aiortc captures, plus hostile
//! hand-written candidates), then seeded mutations of them, through `processOffer` and
//! `addIceCandidate` on the protocol core, and mutated ICE-restart re-offers through a second
//! `processOffer` (answered, or 40201, 40205, 40208, the endpoint alive after each). Each answer is a valid answer SDP or one of the documented
//! errors (40201, 40205 for offers; 40001, 40003, 40107, 40401 for candidates, or -32700 for a frame
//! nested too deep to read); the endpoint's task never dies
//! (which would answer 40101) and nothing panics.
//!
//! `FUZZ_ITERATIONS` sets how many mutations of each kind are tried (default 1000), for a long run:
//! `FUZZ_ITERATIONS=200000 cargo test -p media-server --release fuzz_offers_and_candidates`.
//! The seed is fixed, so a failure replays; `FUZZ_SEED` picks another sequence.

use kurento::{Message, Response, RpcError};
use media_server::engine::{Engine, EngineConfig};
use media_server::rpc::outbox::OutboxLimits;
use media_server::rpc::{Core, CoreLimits};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use test_support::mutate::Mutator;

const CONN: u64 = 7;
const DEFAULT_ITERATIONS: usize = 1000;

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn corpus(kind: &str) -> anyhow::Result<Vec<(String, String)>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        out.push((name.unwrap_or_default(), std::fs::read_to_string(&path)?));
    }
    out.sort();
    anyhow::ensure!(!out.is_empty(), "empty corpus {}", dir.display());
    Ok(out)
}

/// Every candidate object of the candidate corpus (JSON arrays of `RTCIceCandidate.toJSON()`).
fn candidate_seeds() -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for (name, text) in corpus("candidates")? {
        let list: Vec<Value> =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        out.extend(list);
    }
    Ok(out)
}

/// SDP-aware edits on top of the generic text mutations: whole lines dropped, repeated, swapped, or a
/// field replaced by something hostile, so the parser sees structurally broken but plausible offers.
fn mutate_sdp(rng: &mut rand::rngs::StdRng, m: &mut Mutator, sdp: &str) -> String {
    let mut lines: Vec<String> = sdp.lines().map(str::to_owned).collect();
    if lines.is_empty() || rng.random_bool(0.3) {
        return m.mutate(sdp);
    }
    let i = rng.random_range(0..lines.len());
    match rng.random_range(0..6) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let copies = rng.random_range(1..200);
            let line = lines[i].clone();
            lines.splice(i..i, std::iter::repeat_n(line, copies));
        }
        2 => {
            let j = rng.random_range(0..lines.len());
            lines.swap(i, j);
        }
        3 => {
            let long = "x".repeat(5000);
            let hostile = [
                "",
                "-1",
                "4294967296",
                "99999999999999999999",
                "0.0.0.0",
                "::",
                "\u{0}",
                "é",
                long.as_str(),
            ];
            let field = hostile[rng.random_range(0..hostile.len())];
            let mut parts: Vec<&str> = lines[i].split(' ').collect();
            let k = rng.random_range(0..parts.len());
            parts[k] = field;
            lines[i] = parts.join(" ");
        }
        4 => lines.truncate(i),
        _ => lines[i] = m.mutate(&lines[i]),
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

async fn call(core: &Arc<Core>, request: Value) -> anyhow::Result<Result<Value, RpcError>> {
    let text = request.to_string();
    let reply = core
        .handle_text(CONN, &text, 0)
        .await
        .ok_or_else(|| anyhow::anyhow!("no reply to {text:.300}"))?;
    match Message::decode(&reply) {
        Ok(Message::Response(Response { outcome, .. })) => Ok(outcome),
        _ => anyhow::bail!("not a response: {reply:.300}"),
    }
}

/// A session and pipeline, and a way to get fresh endpoints in it.
struct Bench {
    core: Arc<Core>,
    session: String,
    pipeline: String,
}

impl Bench {
    async fn new() -> anyhow::Result<Bench> {
        let core = Core::new(
            Engine::new(EngineConfig::default())?,
            CoreLimits {
                max_objects: 100,
                max_sessions: 10,
                events: OutboxLimits::default(),
            },
            || 0,
        );
        let r = call(
            &core,
            json!({"jsonrpc":"2.0","method":"create","params":{"type":"MediaPipeline"},"id":1}),
        )
        .await??;
        let pipeline = r["value"].as_str().unwrap_or_default().to_owned();
        let session = r["sessionId"].as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(!pipeline.is_empty() && !session.is_empty(), "setup: {r}");
        Ok(Bench {
            core,
            session,
            pipeline,
        })
    }

    async fn endpoint(&self) -> anyhow::Result<String> {
        let r = call(&self.core, json!({"jsonrpc":"2.0","method":"create","params":{"type":"WebRtcEndpoint","constructorParams":{"mediaPipeline":self.pipeline},"sessionId":self.session},"id":2})).await??;
        Ok(r["value"].as_str().unwrap_or_default().to_owned())
    }

    async fn release(&self, object: &str) -> anyhow::Result<()> {
        call(&self.core, json!({"jsonrpc":"2.0","method":"release","params":{"object":object,"sessionId":self.session},"id":3})).await??;
        Ok(())
    }

    async fn invoke(
        &self,
        object: &str,
        operation: &str,
        params: Value,
    ) -> anyhow::Result<Result<Value, RpcError>> {
        call(&self.core, json!({"jsonrpc":"2.0","method":"invoke","params":{"object":object,"operation":operation,"operationParams":params,"sessionId":self.session},"id":4})).await
    }
}

fn install_panic_counter() {
    let default_hook = std::panic::take_hook();
    // Process-wide and shared with the binary's other tests: only panics outside test code count.
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
}

#[tokio::test]
async fn fuzz_offers_and_candidates_never_panic() -> anyhow::Result<()> {
    install_panic_counter();
    let iterations = usize::try_from(env_number("FUZZ_ITERATIONS", DEFAULT_ITERATIONS as u64))?;
    let seed = env_number("FUZZ_SEED", 0x5d70_0ffe);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut m = Mutator::new(seed);
    let bench = Bench::new().await?;
    let _events = bench.core.open_connection(CONN);

    // Offers: each file as it is (all must negotiate), then mutations.
    let offers = corpus("offers")?;
    let mut endpoint = bench.endpoint().await?;
    let (mut answered, mut codes) = (0usize, std::collections::BTreeMap::new());
    for i in 0..offers.len() + iterations {
        let (name, seed_sdp) = &offers[i % offers.len()];
        let sdp = if i < offers.len() {
            seed_sdp.clone()
        } else {
            mutate_sdp(&mut rng, &mut m, seed_sdp)
        };
        match bench
            .invoke(&endpoint, "processOffer", json!({"offer": sdp}))
            .await?
        {
            Ok(answer) => {
                let answer = answer["value"].as_str().unwrap_or_default();
                anyhow::ensure!(
                    answer.starts_with("v=0"),
                    "{name} #{i}: answer {answer:.200}"
                );
                answered += 1;
                bench.release(&endpoint).await?;
                endpoint = bench.endpoint().await?;
            }
            Err(e) => {
                anyhow::ensure!(
                    i >= offers.len(),
                    "{name}, unmutated, was refused: {} {}",
                    e.code,
                    e.message
                );
                anyhow::ensure!(
                    [40201, 40205].contains(&e.code) && !e.message.is_empty(),
                    "{name} #{i}: unexpected error {} {}\n{sdp:.500}",
                    e.code,
                    e.message
                );
                *codes.entry(e.code).or_insert(0usize) += 1;
            }
        }
    }
    // The mutations must keep some offers valid, or they test only the first lines of the parser.
    assert!(
        answered > offers.len(),
        "only {answered} answered; errors {codes:?}"
    );

    // Candidates: on a negotiated endpoint, each seed as it is, then mutations of the JSON object.
    let offer = &offers
        .iter()
        .find(|(n, _)| n.contains("trickle"))
        .ok_or_else(|| anyhow::anyhow!("no trickle offer in the corpus"))?
        .1;
    let negotiated = || async {
        let e = bench.endpoint().await?;
        bench
            .invoke(&e, "processOffer", json!({"offer": offer}))
            .await??;
        anyhow::Ok(e)
    };
    bench.release(&endpoint).await?;
    let seeds = candidate_seeds()?;
    let mut endpoint = negotiated().await?;
    let (mut taken, mut codes) = (0usize, std::collections::BTreeMap::new());
    for i in 0..seeds.len() + iterations {
        let seed_candidate = &seeds[i % seeds.len()];
        let candidate: Value = if i < seeds.len() {
            seed_candidate.clone()
        } else {
            let text = m.mutate(&seed_candidate.to_string());
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        match bench
            .invoke(
                &endpoint,
                "addIceCandidate",
                json!({"candidate": candidate}),
            )
            .await?
        {
            Ok(_) => taken += 1,
            Err(e) => {
                anyhow::ensure!(
                    // -32700: a candidate nested beyond serde_json's depth limit makes the frame itself
                    // unreadable, which the server answers as any unreadable frame.
                    [-32700, 40001, 40003, 40107, 40401].contains(&e.code) && !e.message.is_empty(),
                    "#{i}: unexpected error {} {} for {candidate}",
                    e.code,
                    e.message
                );
                if e.code == 40401 {
                    // The cap: start over on a fresh endpoint.
                    bench.release(&endpoint).await?;
                    endpoint = negotiated().await?;
                }
                *codes.entry(e.code).or_insert(0usize) += 1;
            }
        }
    }
    assert!(taken > seeds.len(), "only {taken} taken; errors {codes:?}");

    // Re-offers on a negotiated endpoint: the offer with fresh ICE credentials (an ICE restart), then
    // mutations of that. Each is answered, or refused with an SDP error or 40208, and the endpoint
    // lives on (its local description still answers).
    bench.release(&endpoint).await?;
    let endpoint = negotiated().await?;
    let (mut restarted, mut codes) = (0usize, std::collections::BTreeMap::new());
    for i in 0..=iterations {
        let fresh = offer
            .replace("a=ice-ufrag:", &format!("a=ice-ufrag:r{i}x"))
            .replace("a=ice-pwd:", &format!("a=ice-pwd:r{i}x"));
        let sdp = if i == 0 {
            fresh
        } else {
            mutate_sdp(&mut rng, &mut m, &fresh)
        };
        match bench
            .invoke(&endpoint, "processOffer", json!({"offer": sdp}))
            .await?
        {
            Ok(answer) => {
                let answer = answer["value"].as_str().unwrap_or_default();
                anyhow::ensure!(answer.starts_with("v=0"), "#{i}: answer {answer:.200}");
                restarted += 1;
            }
            Err(e) => {
                anyhow::ensure!(
                    i > 0 && [40201, 40205, 40208].contains(&e.code) && !e.message.is_empty(),
                    "#{i}: unexpected error {} {}\n{sdp:.500}",
                    e.code,
                    e.message
                );
                *codes.entry(e.code).or_insert(0usize) += 1;
            }
        }
        bench
            .invoke(&endpoint, "getLocalSessionDescriptor", json!({}))
            .await?
            .map_err(|e| anyhow::anyhow!("#{i}: the endpoint died: {} {}", e.code, e.message))?;
    }
    assert!(
        restarted > 1,
        "only {restarted} restarts answered; errors {codes:?}"
    );
    bench.core.release_all(0).await;
    let counts = bench.core.counts();
    assert_eq!((counts.pipelines, counts.endpoints), (0, 0));
    assert_eq!(bench.core.engine().stats().udp_sockets, 0);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "the server panicked");
    Ok(())
}
