//! Fuzz-style: the committed corpus (`tests/corpus/`, hostile frames: deep nesting, huge numbers and
//! strings, wrong types, lone surrogates, not JSON at all) replayed as is, then seeded mutations of it and
//! of the real frames in `tests/transcripts`, go through `Message::decode`, `Request::parse`,
//! `Event::from_params` and a ready `Client`'s `handle_frame`. Nothing panics; what parses re-encodes to
//! the same request; and the client stays bounded: each frame yields at most one output, pending requests
//! never exceed the limit, and the session survives.
//!
//! 10,000 mutations by default; `FUZZ_ITERATIONS=10000000 cargo test -p kurento-protocol --release
//! fuzz_frames` is the long run (without nightly Rust there is no cargo-fuzz here; this replay is the
//! stand-in, seeded so every run is the same).

use kurento::event::ON_EVENT;
use kurento::{Client, ClientConfig, Event, Message, Method, Output, Request};
use std::time::{Duration, Instant};
use test_support::mutate::Mutator;

const ITERATIONS: usize = 10_000;

fn iterations() -> usize {
    std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ITERATIONS)
}

/// The files of `tests/<name>`, in name order.
fn files_in(name: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

fn corpus() -> Vec<String> {
    files_in("corpus")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect()
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

/// Every corpus file, and every frame of every transcript: `C>`/`K>` JSON and `K!` raw text.
fn seeds() -> Vec<String> {
    let mut out = corpus();
    let files = files_in("transcripts");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines().map(str::trim) {
            if let Some(rest) = ["C>", "K>", "K!"].iter().find_map(|p| line.strip_prefix(p)) {
                out.push(rest.trim().to_owned());
            }
        }
    }
    out
}

/// A client past the start-up handshake of `startup.txt`.
fn ready_client(now: Instant) -> Client {
    let mut c = Client::new(ClientConfig {
        max_pending: 8,
        ..ClientConfig::default()
    });
    c.on_connected(now);
    let text = std::fs::read_to_string(dir().join("startup.txt")).unwrap_or_default();
    for line in text.lines() {
        if let Some(frame) = line.strip_prefix("K>") {
            let frame = frame.replace("$S", "S");
            while c.poll_transmit().is_some() {}
            c.handle_frame(frame.trim(), now);
        }
    }
    while c.poll_transmit().is_some() {}
    while c.poll_output().is_some() {}
    c
}

/// Parse → encode → parse gives the same request.
fn check_round_trip(text: &str) {
    let Ok(Message::Request(raw)) = Message::decode(text) else {
        return;
    };
    if raw.method == ON_EVENT {
        if let Some(p) = &raw.params {
            let _ = Event::from_params(p);
        }
        return;
    }
    if let Ok(req) = Request::parse(&raw) {
        let again = match Message::decode(&req.encode(7u64.into())) {
            Ok(Message::Request(r)) => Request::parse(&r),
            other => panic!("{text}: re-encoded to {other:?}"),
        };
        assert_eq!(again.as_ref(), Ok(&req), "{text}");
    }
}

#[test]
fn fuzz_frames() {
    let seeds = seeds();
    assert!(seeds.len() > 50, "too few seed frames: {}", seeds.len());
    let mut m = Mutator::new(0x6b6d_735f_6675_7a7a);
    let start = Instant::now();
    let mut now = start;
    let mut client = ready_client(now);
    let session = client.session_id().cloned();
    assert_eq!(
        session.as_ref().map(kurento::RpcSessionId::as_str),
        Some("S")
    );
    for (i, text) in corpus().iter().enumerate() {
        check_round_trip(text);
        client.handle_frame(text, now);
        let outputs = std::iter::from_fn(|| client.poll_output()).count();
        assert!(outputs <= 1, "corpus file {i}: {outputs} outputs");
    }
    for i in 0..iterations() {
        let seed = m.pick(&seeds).clone();
        let text = m.mutate(&seed);
        check_round_trip(&text);

        // Requests in flight give mutated responses something to match.
        if m.chance(0.3) {
            client.request(Method::invoke("E", "gatherCandidates", None), now);
            while client.poll_transmit().is_some() {}
        }
        client.handle_frame(&text, now);
        let mut outputs = 0;
        while let Some(out) = client.poll_output() {
            outputs += 1;
            assert!(
                !matches!(out, Output::RpcSessionLost { .. }),
                "iteration {i}: a frame outside the handshake lost the session: {out:?}"
            );
        }
        // The overload reply to the request above, plus the frame's own output.
        assert!(
            outputs <= 2,
            "iteration {i}: {outputs} outputs for {text:.200}"
        );
        if i % 100 == 99 {
            now += Duration::from_secs(30);
            client.handle_timeout(now);
            while client.poll_transmit().is_some() {}
            while client.poll_output().is_some() {}
            // The keep-alive ping is never answered here, so the client reports a dead link; reconnect
            // as the caller would.
            if i % 1000 == 999 {
                client = ready_client(now);
            }
        }
        assert!(
            client.poll_timeout().is_some(),
            "iteration {i}: no timer armed"
        );
    }
    assert_eq!(client.session_id(), session.as_ref());
}
