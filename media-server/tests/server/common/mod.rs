//! Test support: start the real server on 127.0.0.1:0, talk to it over a real WebSocket, and play
//! transcripts (`tests/transcripts/*.txt`, server side: `C>` frames are sent, `K>` frames expected).
//!
//! Transcript extensions, all invisible to `kurento::transcript::parse`:
//! - a `C>` line whose JSON is a *string* is sent as that raw text (for malformed frames);
//! - consecutive `K>` lines form a group matched in any order, because events may overtake responses;
//! - a comment line `#@ reconnect` closes the connection and opens a new one (bindings are kept);
//! - `$OFFER` is bound beforehand to the real Chromium offer, [`test_support::CHROMIUM_OFFER`], and
//!   `$SENDONLY_OFFER` / `$RECVONLY_OFFER` to it with every m-line sendonly / recvonly;
//!   `$RESTART_OFFER` / `$RESTART_OFFER_2` to it with new ICE credentials (ICE restarts), and
//!   `$RENEGOTIATING_OFFER` to one that also renames an m-line.
//!
//! After the last line, any further frame within a short quiet period fails the test.
use anyhow::{Context, bail};
use kurento::transcript::{self, Bindings, Direction, Line};
use media_server::{Config, MediaServer};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) use test_support::ws::{recv_json as recv, send_text as send};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Time allowed for any one expected frame.
pub(crate) const FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// Silence required after a transcript ends.
pub(crate) const QUIET: Duration = Duration::from_millis(300);

pub(crate) fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(name)
}

/// A server on an ephemeral port of 127.0.0.1, with host candidates on 127.0.0.1 only.
pub(crate) async fn start(config: Config) -> anyhow::Result<MediaServer> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(MediaServer::spawn(listener, config)?)
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Ws> {
    let (ws, _) = tokio_tungstenite::connect_async(url).await?;
    Ok(ws)
}

/// Sends one request and returns the answer (skipping nothing: use only when no events are due).
pub(crate) async fn call(ws: &mut Ws, request: Value) -> anyhow::Result<Value> {
    send(ws, &request.to_string()).await?;
    recv(ws, FRAME_TIMEOUT).await
}

fn offer_binding(b: &mut Bindings) -> anyhow::Result<()> {
    b.bind("OFFER", test_support::CHROMIUM_OFFER.into());
    // An ICE restart of it, a second one, and one that also renames an m-line (not a restart).
    b.bind(
        "RESTART_OFFER",
        test_support::chromium_offer_restarted(1).into(),
    );
    b.bind(
        "RESTART_OFFER_2",
        test_support::chromium_offer_restarted(2).into(),
    );
    b.bind(
        "RENEGOTIATING_OFFER",
        test_support::chromium_offer_restarted(3)
            .replace("a=mid:1", "a=mid:v")
            .into(),
    );
    for direction in ["sendonly", "recvonly"] {
        let name = format!("{}_OFFER", direction.to_uppercase());
        b.bind(&name, test_support::chromium_offer_with(direction).into());
    }
    Ok(())
}

/// Plays `tests/transcripts/<name>` against a fresh server with `config`; returns the bindings and
/// the server (still running) for further checks.
pub(crate) async fn play_with(
    name: &str,
    config: Config,
) -> anyhow::Result<(Bindings, MediaServer)> {
    let server = start(config).await?;
    let text = std::fs::read_to_string(data_path(name)).with_context(|| name.to_owned())?;
    let mut b = Bindings::default();
    offer_binding(&mut b)?;
    let mut ws = connect(&server.url()).await?;
    for (k, lines) in sections(&text)?.iter().enumerate() {
        if k > 0 {
            let _ = ws.close(None).await;
            ws = connect(&server.url()).await?;
        }
        play_lines(&mut ws, lines, &mut b)
            .await
            .with_context(|| format!("transcript {name}"))?;
    }
    if let Ok(extra) = recv(&mut ws, QUIET).await {
        bail!("transcript {name}: unexpected frame after the end: {extra}");
    }
    let _ = ws.close(None).await;
    Ok((b, server))
}

/// Plays `name` against a default server.
pub(crate) async fn play(name: &str) -> anyhow::Result<Bindings> {
    let (b, server) = play_with(name, Config::default()).await?;
    server.shutdown().await?;
    Ok(b)
}

/// The transcript split at `#@ reconnect` lines, keeping the file's line numbers.
fn sections(text: &str) -> anyhow::Result<Vec<Vec<Line>>> {
    let raw: Vec<&str> = text.lines().collect();
    let cuts: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "#@ reconnect")
        .map(|(i, _)| i)
        .collect();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c + 1));
    bounds.push(raw.len());
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let blanked: Vec<&str> = raw
            .iter()
            .enumerate()
            .map(|(i, l)| if i >= w[0] && i < w[1] { *l } else { "" })
            .collect();
        out.push(transcript::parse(&blanked.join("\n")).map_err(anyhow::Error::msg)?);
    }
    Ok(out)
}

async fn play_lines(ws: &mut Ws, lines: &[Line], b: &mut Bindings) -> anyhow::Result<()> {
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.direction == Direction::ToServer {
            let msg = b.substitute(&line.message);
            let text = match &msg {
                Value::String(raw) => raw.clone(),
                other => other.to_string(),
            };
            send(ws, &text).await?;
            i += 1;
            continue;
        }
        let end = lines[i..]
            .iter()
            .position(|l| l.direction == Direction::ToServer)
            .map_or(lines.len(), |n| i + n);
        let mut pending: Vec<&Line> = lines[i..end].iter().collect();
        while !pending.is_empty() {
            let actual = recv(ws, FRAME_TIMEOUT)
                .await
                .with_context(|| format!("waiting for line {}", pending[0].line_no))?;
            let mut errors = Vec::new();
            let hit = pending
                .iter()
                .position(|l| match b.check(&l.message, &actual) {
                    Ok(()) => true,
                    Err(e) => {
                        errors.push(format!("line {}: {e}", l.line_no));
                        false
                    }
                });
            match hit {
                Some(k) => {
                    pending.remove(k);
                }
                None => bail!("unexpected frame {actual}\n{}", errors.join("\n")),
            }
        }
        i = end;
    }
    Ok(())
}

/// Waits until `f` holds for the server's stats, or fails after `timeout`.
pub(crate) async fn wait_for_stats(
    server: &MediaServer,
    timeout: Duration,
    f: impl Fn(&media_server::ServerStats) -> bool,
) -> anyhow::Result<()> {
    if test_support::wait::eventually(timeout, || f(&server.stats())).await {
        return Ok(());
    }
    bail!(
        "stats never reached the expected state: {:?}",
        server.stats()
    )
}
