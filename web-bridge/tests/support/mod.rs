//! Test support: the bridge started in-process on 127.0.0.1 port 0, a WebSocket client, a raw HTTP GET, and a
//! recording MediaSession gRPC server standing in for the gateway (so a test can see exactly which calls reached
//! it, and hold Start open to race it against the socket).
#![allow(dead_code)]

pub mod fake_gateway;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_util::sync::CancellationToken;
use web_bridge::{Config, Counters, TlsMode};

pub type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A running bridge; cancelled (and awaited) on drop of the shutdown token via `stop`.
pub struct Bridge {
    pub addr: SocketAddr,
    pub counters: Counters,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), web_bridge::Error>>,
}

impl Bridge {
    /// Starts the bridge over plain HTTP against `gateway`, after letting `tweak` adjust the config.
    pub async fn start(gateway: &str, tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let mut config = Config {
            gateway: gateway.to_owned(),
            tls: TlsMode::Plain,
            ..Config::default()
        };
        tweak(&mut config);
        let counters = config.counters.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(web_bridge::run(listener, config, shutdown.clone()));
        Ok(Self {
            addr,
            counters,
            shutdown,
            task,
        })
    }

    /// Opens /helloworld, optionally with an Origin header.
    pub async fn connect(&self, origin: Option<&str>) -> anyhow::Result<Ws> {
        let mut request = format!("ws://{}/helloworld", self.addr).into_client_request()?;
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse()?);
        }
        let tcp = TcpStream::connect(self.addr).await?;
        let (ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
        Ok(ws)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await??;
        Ok(())
    }
}

/// Sends one text frame.
pub async fn send(ws: &mut Ws, text: impl Into<String>) -> anyhow::Result<()> {
    ws.send(Message::text(text.into())).await?;
    Ok(())
}

/// The next JSON text message, skipping pings; fails after five seconds or on close.
pub async fn recv_json(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .context("no message within 5 s")?
            .context("socket closed")??;
        match frame {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads an `error` message and returns its text (which must be a string).
pub async fn recv_error(ws: &mut Ws) -> anyhow::Result<String> {
    let v = recv_json(ws).await?;
    if v["id"] != "error" {
        bail!("expected an error, got {v}");
    }
    v["message"]
        .as_str()
        .map(str::to_owned)
        .context("error.message is not a string")
}

/// Waits until `check` holds, polling every 20 ms for up to five seconds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    for _ in 0..250 {
        if check() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("timed out waiting for {what}")
}

/// A raw HTTP/1.1 GET (the path is sent exactly as given); returns status, headers and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, String, Vec<u8>)> {
    let mut tcp = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut raw)).await??;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).context("no status")?.parse()?;
    Ok((status, head, raw[split + 4..].to_vec()))
}

/// `GET /metrics` as text.
pub async fn metrics(addr: SocketAddr) -> anyhow::Result<String> {
    let (status, _, body) = http_get(addr, "/metrics").await?;
    if status != 200 {
        bail!("GET /metrics answered {status}");
    }
    Ok(String::from_utf8(body)?)
}

/// The value of one sample in a Prometheus text exposition, named exactly as printed (with its labels), or 0
/// when the series has not been created yet.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

/// A minimal offer shape; the fake gateway does not parse SDP.
pub const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

pub fn candidate_json(port: u16) -> String {
    format!(
        r#"{{"id":"onIceCandidate","candidate":{{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}}}"#
    )
}

/// A fake gateway (holding every Start until released when `hold_start`), a bridge with the default config in
/// front of it, and one browser socket open on the bridge.
pub async fn bridge_with_socket(
    hold_start: bool,
) -> anyhow::Result<(fake_gateway::FakeGateway, Bridge, Ws)> {
    let gateway = fake_gateway::FakeGateway::start(hold_start).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let ws = bridge.connect(None).await?;
    Ok((gateway, bridge, ws))
}

/// The browser's `start` message carrying [`OFFER`].
pub fn start_message() -> String {
    serde_json::json!({"id": "start", "sdpOffer": OFFER}).to_string()
}

/// Sends the browser's `start` message carrying [`OFFER`].
pub async fn send_start(ws: &mut Ws) -> anyhow::Result<()> {
    send(ws, start_message()).await
}

/// Waits until a Start call has reached `gateway`.
pub async fn start_reached(gateway: &fake_gateway::FakeGateway) -> anyhow::Result<()> {
    eventually("Start to reach the gateway", || {
        gateway.calls().contains(&fake_gateway::Call::Start)
    })
    .await
}

/// Waits until `gateway` has seen Stop for `session`; `what` names the wait in the timeout error.
pub async fn stop_reached(
    gateway: &fake_gateway::FakeGateway,
    session: &str,
    what: &str,
) -> anyhow::Result<()> {
    eventually(what, || {
        gateway.calls().contains(&fake_gateway::Call::Stop {
            session: session.into(),
        })
    })
    .await
}

/// Waits until `bridge` holds no socket and no session; `what` names the wait in the timeout error.
pub async fn nothing_open(bridge: &Bridge, what: &str) -> anyhow::Result<()> {
    eventually(what, || {
        bridge.counters.open_sockets() == 0 && bridge.counters.live_sessions() == 0
    })
    .await
}
