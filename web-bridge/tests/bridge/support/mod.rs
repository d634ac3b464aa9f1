//! Test support: the bridge started in-process on 127.0.0.1 port 0 and a browser's WebSocket to it, over
//! the shared helpers (a raw HTTP GET, frame readers, waits, and `test_support::fake_gateway`, the
//! recording MediaSession gRPC server standing in for the gateway, so a test can see exactly which calls
//! reached it, and hold Start open to race it against the socket).

pub(crate) mod tls;
pub(crate) mod whip;

pub(crate) use test_support::fake_gateway;
pub(crate) use test_support::http::sample;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_util::sync::CancellationToken;
use web_bridge::{Config, Counters, TlsMode};

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A running bridge; cancelled (and awaited) on drop of the shutdown token via `stop`.
pub(crate) struct Bridge {
    pub addr: SocketAddr,
    pub counters: Counters,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), web_bridge::Error>>,
}

impl Bridge {
    /// Starts the bridge over plain HTTP against `gateway`, after letting `tweak` adjust the config.
    pub(crate) async fn start(
        gateway: &str,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
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

    /// Opens /helloworld on a bridge at `addr`, without an Origin header.
    pub(crate) async fn connect_to(addr: SocketAddr) -> anyhow::Result<Ws> {
        let request = format!("ws://{addr}/helloworld").into_client_request()?;
        let tcp = TcpStream::connect(addr).await?;
        let (ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
        Ok(ws)
    }

    /// Opens /helloworld, optionally with an Origin header.
    pub(crate) async fn connect(&self, origin: Option<&str>) -> anyhow::Result<Ws> {
        let mut request = format!("ws://{}/helloworld", self.addr).into_client_request()?;
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse()?);
        }
        let tcp = TcpStream::connect(self.addr).await?;
        let (ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
        Ok(ws)
    }

    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await??;
        Ok(())
    }
}

/// Sends one text frame.
pub(crate) async fn send(ws: &mut Ws, text: impl Into<String>) -> anyhow::Result<()> {
    test_support::ws::send_text(ws, text).await
}

/// The next JSON text message, skipping pings; fails after five seconds or on close.
pub(crate) async fn recv_json(ws: &mut Ws) -> anyhow::Result<Value> {
    test_support::ws::recv_json(ws, Duration::from_secs(5)).await
}

/// Reads an `error` message and returns its text (which must be a string).
pub(crate) async fn recv_error(ws: &mut Ws) -> anyhow::Result<String> {
    let v = recv_json(ws).await?;
    if v["id"] != "error" {
        bail!("expected an error, got {v}");
    }
    v["message"]
        .as_str()
        .map(str::to_owned)
        .context("error.message is not a string")
}

/// Waits until `check` holds, for up to five seconds.
pub(crate) async fn eventually(what: &str, check: impl FnMut() -> bool) -> anyhow::Result<()> {
    test_support::wait::wait_for(what, Duration::from_secs(5), check).await
}

/// A raw HTTP/1.1 GET (the path is sent exactly as given); returns status, headers and body.
pub(crate) async fn http_get(
    addr: SocketAddr,
    path: &str,
) -> anyhow::Result<(u16, String, Vec<u8>)> {
    let r = test_support::http::get(addr, path).await?;
    Ok((r.status, r.head, r.body))
}

/// `GET /metrics` as text.
pub(crate) async fn metrics(addr: SocketAddr) -> anyhow::Result<String> {
    let (status, _, body) = http_get(addr, "/metrics").await?;
    if status != 200 {
        bail!("GET /metrics answered {status}");
    }
    Ok(String::from_utf8(body)?)
}

/// A minimal offer shape; the fake gateway does not parse SDP.
pub(crate) const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

pub(crate) fn candidate_json(port: u16) -> String {
    format!(
        r#"{{"id":"onIceCandidate","candidate":{{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}}}"#
    )
}

/// A fake gateway (holding every Start until released when `hold_start`), a bridge with the default config in
/// front of it, and one browser socket open on the bridge.
pub(crate) async fn bridge_with_socket(
    hold_start: bool,
) -> anyhow::Result<(fake_gateway::FakeGateway, Bridge, Ws)> {
    let gateway = fake_gateway::FakeGateway::start(hold_start).await?;
    let bridge = Bridge::start(&gateway.uri(), |_| {}).await?;
    let ws = bridge.connect(None).await?;
    Ok((gateway, bridge, ws))
}

/// The browser's `start` message carrying [`OFFER`].
pub(crate) fn start_message() -> String {
    serde_json::json!({"id": "start", "sdpOffer": OFFER}).to_string()
}

/// Sends the browser's `start` message carrying [`OFFER`].
pub(crate) async fn send_start(ws: &mut Ws) -> anyhow::Result<()> {
    send(ws, start_message()).await
}

/// The resumption token a `startResponse` or `resumeResponse` carries (empty when it has none).
pub(crate) fn resume_token(answer: &Value) -> String {
    answer["resumeToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Sends our page's `resume` with `token`.
pub(crate) async fn send_resume(ws: &mut Ws, token: &str) -> anyhow::Result<()> {
    send(
        ws,
        serde_json::json!({"id": "resume", "token": token}).to_string(),
    )
    .await
}

/// Waits until a Start call has reached `gateway`.
pub(crate) async fn start_reached(gateway: &fake_gateway::FakeGateway) -> anyhow::Result<()> {
    eventually("Start to reach the gateway", || {
        gateway.calls().contains(&fake_gateway::Call::Start)
    })
    .await
}

/// Waits until `gateway` has seen Stop for `session`; `what` names the wait in the timeout error.
pub(crate) async fn stop_reached(
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
pub(crate) async fn nothing_open(bridge: &Bridge, what: &str) -> anyhow::Result<()> {
    eventually(what, || {
        bridge.counters.open_sockets() == 0 && bridge.counters.live_sessions() == 0
    })
    .await
}

/// How long one write of [`unread_browser`] may block before the test takes the bridge to have stopped
/// reading (loopback writes to a reading peer return in microseconds).
const STALLED: Duration = Duration::from_millis(500);

/// A browser that starts a session, reads the answer and then never reads again, while it keeps sending
/// messages the bridge answers with an `error` each (not JSON), so the bridge has ever more to send it. Its
/// receive buffer is small, so the bridge's sends soon block; once they do, the bridge stops reading too
/// and this browser's own writes block. Returns when that has happened (one write blocked for
/// [`STALLED`]): the bridge is then stuck in a send. The returned task holds the socket open (dropping it
/// would close it) until aborted.
pub(crate) async fn unread_browser(bridge: &Bridge) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use futures_util::SinkExt as _;
    use tokio_tungstenite::tungstenite::Message;

    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let tcp = socket.connect(bridge.addr).await?;
    let request = format!("ws://{}/helloworld", bridge.addr).into_client_request()?;
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
    send_start(&mut ws).await?;
    let answer = recv_json(&mut ws).await?;
    if answer["id"] != "startResponse" {
        bail!("expected startResponse, got {answer}");
    }
    let (stalled, is_stalled) = tokio::sync::oneshot::channel();
    let writer = tokio::spawn(async move {
        let junk = "x".repeat(4096);
        loop {
            match tokio::time::timeout(STALLED, ws.send(Message::text(junk.clone()))).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return,
                Err(_) => break,
            }
        }
        let _ = stalled.send(());
        // Keeps the socket open, unread, until the test aborts this task.
        std::future::pending::<()>().await;
    });
    tokio::time::timeout(Duration::from_secs(10), is_stalled)
        .await
        .context("the bridge never stopped reading the unread browser")?
        .context("the bridge closed the unread browser before it was stuck")?;
    Ok(writer)
}

/// Reads until the bridge closes `ws` and returns its close code and reason; fails without a close frame or
/// after `limit`.
pub(crate) async fn close_frame(ws: &mut Ws, limit: Duration) -> anyhow::Result<(u16, String)> {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;

    let read = async {
        while let Some(frame) = ws.next().await {
            match frame? {
                Message::Close(Some(f)) => return Ok((u16::from(f.code), f.reason.to_string())),
                Message::Close(None) => bail!("closed without a close code"),
                _ => continue,
            }
        }
        bail!("the stream ended without a close frame")
    };
    tokio::time::timeout(limit, read)
        .await
        .with_context(|| format!("no close frame within {limit:?}"))?
}

/// The HTTP status of a refused upgrade, or an error if the upgrade went through or failed otherwise.
pub(crate) fn refused_status(result: anyhow::Result<Ws>) -> anyhow::Result<u16> {
    use tokio_tungstenite::tungstenite;
    match result {
        Err(e) => match e.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Http(response)) => Ok(response.status().as_u16()),
            _ => bail!("expected an HTTP refusal, got {e}"),
        },
        Ok(_) => bail!("the upgrade went through"),
    }
}
