//! Fuzz replay for the tutorial's message parser (`web_bridge::protocol::parse`): every file of the committed
//! corpus (`tests/corpus/browser-messages`: real tutorial messages, and nasty variants) and seeded mutations
//! of each go through the parser, which must never panic, must accept the real messages, must refuse the
//! `bad-*` ones, and must explain every refusal in a short sentence without control characters.
//!
//! `FUZZ_ITERATIONS` (default 200 mutations per file) and `FUZZ_SEED` (default 1) set the run; a long run is
//! `FUZZ_ITERATIONS=200000 cargo test -p web-bridge --test bridge parser_survives`. A failure prints the seed,
//! the file and the iteration, so it replays exactly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use test_support::mutate::Mutator;
use web_bridge::protocol::parse;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/browser-messages");
/// An error sentence longer than this would be echoing the input back.
const MAX_ERROR_CHARS: usize = 300;

#[test]
fn parser_survives_corpus_and_mutations() -> anyhow::Result<()> {
    let iterations: u64 = env_or("FUZZ_ITERATIONS", 200)?;
    let seed: u64 = env_or("FUZZ_SEED", 1)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    anyhow::ensure!(
        files.len() >= 10,
        "the corpus has only {} files",
        files.len()
    );
    let mut refused = 0u64;
    for (index, path) in files.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches('\n');
        let first = check(text, &format!("{name} as committed"));
        if name.starts_with("bad-") {
            assert!(first.is_err(), "{name} was accepted: {first:?}");
        } else if !name.starts_with("nasty-") {
            assert!(
                first.is_ok(),
                "{name} (a real message) was refused: {first:?}"
            );
        }
        let file_seed = seed.wrapping_mul(1_000_003).wrapping_add(index as u64);
        let mut mutator = Mutator::new(file_seed);
        for i in 0..iterations {
            let mutated = mutator.mutate(text);
            let what = format!("{name}, FUZZ_SEED={seed} (file seed {file_seed}), iteration {i}");
            if check(&mutated, &what).is_err() {
                refused += 1;
            }
        }
    }
    // Mutations that break a message must mostly be refused; a parser that accepts everything is broken.
    assert!(
        iterations == 0 || refused > 0,
        "no mutation was ever refused"
    );
    Ok(())
}

/// Parses `input`, failing the test (naming `what`) on a panic or an unclear error.
fn check(input: &str, what: &str) -> Result<&'static str, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| parse(input)));
    let Ok(result) = outcome else {
        let shown: String = input.chars().take(300).collect();
        panic!("the parser panicked on {what}: {shown:?}");
    };
    match result {
        Ok(message) => Ok(message.id()),
        Err(error) => {
            assert!(!error.trim().is_empty(), "{what}: an empty error");
            assert!(
                error.chars().count() <= MAX_ERROR_CHARS,
                "{what}: an error of {} chars: {error}",
                error.chars().count()
            );
            assert!(
                !error.chars().any(char::is_control),
                "{what}: control characters in {error:?}"
            );
            Err(error)
        }
    }
}

fn env_or(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?} is not a number: {e}")),
        Err(_) => Ok(default),
    }
}
