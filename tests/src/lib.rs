//! The harness for tests across services: a gateway with its embedded media server on 127.0.0.1, the web
//! bridge in front of it, a run of the browser driver (tests/browser/loopback.mjs, Debian's headless
//! Chromium), and a small Kurento client that asks the media server itself what it holds (so leaks are
//! counted where they would live, not in the gateway's own bookkeeping).
#![forbid(unsafe_code)]

pub mod faults;
pub mod procs;
pub mod relay;
pub mod window;

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use kurento::{Message, Method, Request, SERVER_MANAGER, ServerManagerOp};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;

/// A media server's Kurento WebSocket, and the secret it requires, if any.
#[derive(Clone, Debug)]
pub struct Kms {
    /// `ws://host:port/kurento`.
    pub uri: String,
    /// Sent as `Authorization: Bearer` with the upgrade.
    pub secret: Option<String>,
}

/// A gateway on 127.0.0.1:0 in front of our media server (in this process, behind a secret, as the
/// gateway's embedded one is), serving until [`Gateway::stop`].
pub struct Gateway {
    /// The running gateway, for asking it what it holds (sessions, media server addresses).
    pub handle: media_gateway::Gateway,
    /// The gRPC address to connect a MediaSession client to, e.g. `http://127.0.0.1:40123`.
    pub grpc_uri: String,
    kms: Kms,
    /// Kept for its Drop, which stops the media server.
    _media_server: media_server::MediaServer,
    shutdown: CancellationToken,
}

impl Gateway {
    /// Starts a gateway with the default [`media_gateway::Config`], but for candidates: everything here runs
    /// on 127.0.0.1.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(media_gateway::Config {
            candidate_networks: media_gateway::CandidateNetworks::LOCAL,
            ..media_gateway::Config::default()
        })
        .await
    }

    /// Starts a media server with a secret of its own and a gateway with `config` in front of it (its
    /// `kms_uris` and `kms_secret` are set here), logging to the test output when RUST_LOG is set.
    pub async fn start_with(config: media_gateway::Config) -> anyhow::Result<Self> {
        Self::start_with_media(config, media_server::Config::default()).await
    }

    /// [`Gateway::start_with`], the media server configured with `media` (its secret is set here).
    pub async fn start_with_media(
        config: media_gateway::Config,
        media: media_server::Config,
    ) -> anyhow::Result<Self> {
        init_tracing();
        let secret = format!("e2e-{}", std::process::id());
        let media_server = media_server::MediaServer::spawn(
            TcpListener::bind("127.0.0.1:0").await?,
            media_server::Config {
                auth_secret: Some(media_server::AuthSecret::new(secret.clone())),
                ..media
            },
        )?;
        let kms = Kms {
            uri: media_server.url(),
            secret: Some(secret.clone()),
        };
        let config = media_gateway::Config {
            kms_uris: vec![kms.uri.clone()],
            kms_secret: Some(media_gateway::Secret(secret)),
            ..config
        };
        let shutdown = CancellationToken::new();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let grpc_uri = format!("http://{}", listener.local_addr()?);
        let handle = media_gateway::spawn(listener, config, shutdown.clone()).await?;
        Ok(Self {
            handle,
            grpc_uri,
            kms,
            _media_server: media_server,
            shutdown,
        })
    }

    /// The media server's Kurento JSON-RPC address and secret.
    pub fn kms(&self) -> &Kms {
        &self.kms
    }

    /// The media server's live counts.
    pub fn media_stats(&self) -> media_server::ServerStats {
        self._media_server.stats()
    }

    /// A gRPC client for the MediaSession API.
    pub async fn client(&self) -> anyhow::Result<SessionClient> {
        session_client(self.grpc_uri.clone()).await
    }

    /// Waits (up to 5 s) until the media server holds no pipeline and the gateway no session.
    pub async fn assert_released(&self) -> anyhow::Result<()> {
        let held = move || async move {
            anyhow::Ok((pipelines(self.kms()).await?, self.handle.sessions()))
        };
        let released = test_support::wait::until_some(Duration::from_secs(5), || async move {
            match held().await {
                Ok((0, 0)) => Some(Ok(())),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
        .await;
        if let Some(done) = released {
            return done;
        }
        let last = held().await?;
        bail!(
            "still held after 5 s: {} pipelines on the media server, {} gateway sessions",
            last.0,
            last.1
        )
    }

    /// Shuts the gateway down and waits until it has stopped serving; errors if it failed while running.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.handle.join().await?;
        Ok(())
    }
}

/// The embedded media server's configuration with ICE on `ip` alone (a namespace's veth address).
pub fn media_on(ip: std::net::IpAddr) -> media_server::Config {
    media_server::Config {
        engine: media_server::engine::EngineConfig {
            interfaces: vec![ip],
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The gateway (with its embedded media server) and the web bridge over HTTPS with a self-signed
/// certificate, both serving until [`Stack::stop`].
pub struct Stack {
    /// The page, e.g. `https://127.0.0.1:40123/`.
    pub url: String,
    /// The bridge's live counts of open WebSockets and sessions.
    pub bridge_counters: web_bridge::Counters,
    /// The gateway the bridge forwards to.
    pub gateway: Gateway,
    shutdown: CancellationToken,
    bridge: tokio::task::JoinHandle<Result<(), web_bridge::Error>>,
}

impl Stack {
    /// Starts a default gateway and an HTTPS web bridge (default config) in front of it.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(Gateway::start().await?).await
    }

    /// Starts an HTTPS web bridge (default config) in front of `gateway`.
    pub async fn start_on(gateway: Gateway) -> anyhow::Result<Self> {
        Self::start_bridge(gateway, std::net::Ipv4Addr::LOCALHOST.into(), |_| {}).await
    }

    /// Starts an HTTPS web bridge listening on `ip` (port 0) in front of `gateway`, after `tweak`
    /// adjusted its config.
    pub async fn start_bridge(
        gateway: Gateway,
        ip: std::net::IpAddr,
        tweak: impl FnOnce(&mut web_bridge::Config),
    ) -> anyhow::Result<Self> {
        let shutdown = CancellationToken::new();
        let web = TcpListener::bind((ip, 0)).await?;
        let url = format!("https://{}/", web.local_addr()?);
        let mut config = web_bridge::Config {
            gateway: gateway.grpc_uri.clone(),
            ..Default::default()
        };
        tweak(&mut config);
        let bridge_counters = config.counters.clone();
        let bridge = tokio::spawn(web_bridge::run(web, config, shutdown.clone()));
        Ok(Self {
            url,
            bridge_counters,
            gateway,
            shutdown,
            bridge,
        })
    }

    /// Waits (up to 5 s) until the bridge holds no socket or session, the gateway no session, and the media
    /// server no pipeline.
    pub async fn assert_nothing_left(&self) -> anyhow::Result<()> {
        test_support::wait::eventually(Duration::from_secs(5), || {
            self.bridge_counters.open_sockets() == 0 && self.bridge_counters.live_sessions() == 0
        })
        .await;
        if self.bridge_counters.open_sockets() + self.bridge_counters.live_sessions() > 0 {
            bail!(
                "the bridge still holds {} sockets and {} sessions",
                self.bridge_counters.open_sockets(),
                self.bridge_counters.live_sessions()
            );
        }
        self.gateway.assert_released().await
    }

    /// Shuts the bridge down, then the gateway; errors if either failed while running.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.bridge.await??;
        self.gateway.stop().await
    }
}

/// A plain-HTTP web bridge on 127.0.0.1:0 in front of a [`Gateway`], owned by the test: it cancels
/// `shutdown` and awaits `task` itself (the drain tests watch what happens in between).
pub struct PlainBridge {
    /// The address the bridge listens on for plain HTTP and WebSocket connections.
    pub addr: std::net::SocketAddr,
    /// The bridge's live counts of open WebSockets and sessions.
    pub counters: web_bridge::Counters,
    /// Cancel it to make the bridge drain and stop.
    pub shutdown: CancellationToken,
    /// The bridge's task; it finishes once the bridge has stopped, with its error if it failed.
    pub task: tokio::task::JoinHandle<Result<(), web_bridge::Error>>,
}

/// Starts a [`PlainBridge`] (default config, no TLS) in front of `gateway`.
pub async fn plain_bridge(gateway: &Gateway) -> anyhow::Result<PlainBridge> {
    plain_bridge_with(gateway, |_| {}).await
}

/// Held for the whole of each test that runs Chromium (`browser_*`), which includes every test that builds
/// network namespaces. Chromium abandons page loads and sockets with `ERR_NETWORK_CHANGED` when links or
/// addresses change under it, and the namespace tests add and remove veth ends in this namespace; one such
/// test at a time, none disturbs another (and two browsers do not share the two cores).
pub async fn one_browser_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static BROWSERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    BROWSERS.lock().await
}

/// A [`PlainBridge`] for the WHIP driver, which serves its page on another origin
/// (`http://127.0.0.1:<page_port>`, allowed here, so CORS applies).
pub struct WhipBridge {
    /// The bridge.
    pub web: PlainBridge,
    /// The port the driver serves its page on.
    pub page_port: u16,
    /// The bridge's WHIP endpoint, `http://<addr>/whip`.
    pub endpoint: String,
}

/// Starts a [`WhipBridge`] in front of `gateway`: the page's port is chosen first, since the bridge must
/// know that origin before it starts.
pub async fn whip_bridge(gateway: &Gateway) -> anyhow::Result<WhipBridge> {
    let page_port = test_support::closed_port();
    let web = plain_bridge_with(gateway, |c| {
        c.allowed_origins = vec![format!("http://127.0.0.1:{page_port}")];
    })
    .await?;
    let endpoint = format!("http://{}/whip", web.addr);
    Ok(WhipBridge {
        web,
        page_port,
        endpoint,
    })
}

/// Starts a [`PlainBridge`] in front of `gateway` after `tweak` adjusted its config.
pub async fn plain_bridge_with(
    gateway: &Gateway,
    tweak: impl FnOnce(&mut web_bridge::Config),
) -> anyhow::Result<PlainBridge> {
    let web = TcpListener::bind("127.0.0.1:0").await?;
    let addr = web.local_addr()?;
    let mut config = web_bridge::Config {
        gateway: gateway.grpc_uri.clone(),
        tls: web_bridge::TlsMode::Plain,
        ..Default::default()
    };
    tweak(&mut config);
    let counters = config.counters.clone();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(web_bridge::run(web, config, shutdown.clone()));
    Ok(PlainBridge {
        addr,
        counters,
        shutdown,
        task,
    })
}

/// A MediaSession gRPC client.
pub type SessionClient =
    media_proto::v1::media_session_client::MediaSessionClient<tonic::transport::Channel>;

/// Connects a MediaSession client to `uri` (`http://host:port`).
pub async fn session_client(uri: String) -> anyhow::Result<SessionClient> {
    Ok(SessionClient::connect(uri).await?)
}

/// A browser's WebSocket to the bridge.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens ws://`addr`/helloworld and sends the browser's `start` carrying `offer`.
pub async fn open_and_start(addr: std::net::SocketAddr, offer: &str) -> anyhow::Result<Ws> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let (mut ws, _) =
        tokio_tungstenite::client_async(format!("ws://{addr}/helloworld"), tcp).await?;
    let start = serde_json::json!({"id": "start", "sdpOffer": offer}).to_string();
    ws.send(tungstenite::Message::text(start)).await?;
    Ok(ws)
}

/// Runs the browser driver in `mode` (`single` or `two-tabs`) against `url`, saving a screenshot as
/// `target/tmp/<screenshot>`; returns the driver's JSON result (whatever its `ok` says).
pub async fn run_driver(url: &str, mode: &str, screenshot: &str) -> anyhow::Result<Value> {
    run_driver_in(None, url, mode, screenshot, &[]).await
}

/// [`run_driver`] with Chromium inside network namespace `netns` (`ip netns exec`; `None`: this one) and
/// `extra` flags for the driver (`--mdns`).
pub async fn run_driver_in(
    netns: Option<&str>,
    url: &str,
    mode: &str,
    screenshot: &str,
    extra: &[&str],
) -> anyhow::Result<Value> {
    let screenshot = artifact(screenshot)?;
    let mut args: Vec<std::ffi::OsString> = ["--url", url, "--mode", mode, "--screenshot"]
        .into_iter()
        .map(Into::into)
        .collect();
    args.push(screenshot.clone().into());
    args.extend(extra.iter().map(Into::into));
    let result = run_script_in(netns, "loopback.mjs", &args).await?;
    println!("screenshot: {}", screenshot.display());
    Ok(result)
}

/// Runs the WHIP driver (tests/browser/whip.mjs: medooze's whip-whep `WHIPClient` in Chromium, on a page
/// it serves itself on 127.0.0.1:`page_port`) against `endpoint`, publishing for `publish_ms` with
/// transceivers of `direction` (`sendrecv`: the echo is checked; `sendonly`: only sending); returns its
/// JSON result (whatever its `ok` says).
pub async fn run_whip_driver(
    endpoint: &str,
    page_port: u16,
    publish_ms: u64,
    direction: &str,
    screenshot: &str,
) -> anyhow::Result<Value> {
    run_whip_driver_with(endpoint, page_port, publish_ms, direction, screenshot, &[]).await
}

/// [`run_whip_driver`] with more of the driver's flags (`--restart`: restart ICE once the echo plays
/// and check it keeps playing).
pub async fn run_whip_driver_with(
    endpoint: &str,
    page_port: u16,
    publish_ms: u64,
    direction: &str,
    screenshot: &str,
    extra: &[&str],
) -> anyhow::Result<Value> {
    let screenshot = artifact(screenshot)?;
    let mut args: Vec<std::ffi::OsString> = vec![
        "--endpoint".into(),
        endpoint.into(),
        "--page-port".into(),
        page_port.to_string().into(),
        "--publish-ms".into(),
        publish_ms.to_string().into(),
        "--direction".into(),
        direction.into(),
        "--screenshot".into(),
    ];
    args.push(screenshot.into());
    args.extend(extra.iter().map(std::ffi::OsString::from));
    run_script_in(None, "whip.mjs", &args).await
}

/// `target/tmp/<name>`, with the folder made.
fn artifact(name: &str) -> anyhow::Result<PathBuf> {
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tmp");
    std::fs::create_dir_all(&artifacts)?;
    Ok(artifacts.join(name))
}

/// Runs `node tests/browser/<script> <args>` (bounded to 120 s), inside network namespace `netns` when
/// given, and returns the last JSON line it printed.
async fn run_script_in(
    netns: Option<&str>,
    script: &str,
    args: &[std::ffi::OsString],
) -> anyhow::Result<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    if !dir.join("node_modules/playwright-core").is_dir() {
        bail!(
            "playwright-core is not installed: run `npm ci --prefix {}`",
            dir.display()
        );
    }
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        bail!("/usr/bin/chromium is missing: run `apt-get install -y chromium`");
    }
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        match netns {
            Some(ns) => {
                let mut c = tokio::process::Command::new("ip");
                c.args(["netns", "exec", ns, "node"]);
                c
            }
            None => tokio::process::Command::new("node"),
        }
        .arg(dir.join(script))
        .args(args)
        .kill_on_drop(true)
        .output(),
    )
    .await
    .with_context(|| format!("the browser driver {script} ran for more than 120 s"))??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| {
            format!(
                "the driver printed no JSON; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    println!("{line}");
    Ok(serde_json::from_str(line)?)
}

/// Asks a Kurento media server for `ServerManager.getPipelines` over its own JSON-RPC, on a fresh connection.
pub async fn pipelines(kms: &Kms) -> anyhow::Result<usize> {
    let value = kms_call(
        kms,
        Method::invoke_op(SERVER_MANAGER, ServerManagerOp::GetPipelines),
    )
    .await?;
    Ok(value
        .as_array()
        .context("getPipelines returned no list")?
        .len())
}

/// One Kurento request on a fresh connection; returns the result's `value`.
pub async fn kms_call(kms: &Kms, method: Method) -> anyhow::Result<Value> {
    use tungstenite::client::IntoClientRequest as _;
    let kms_uri = kms.uri.as_str();
    let mut request = kms_uri.into_client_request()?;
    if let Some(secret) = &kms.secret {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {secret}").parse()?);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("connecting {kms_uri}"))?;
    ws.send(tungstenite::Message::text(
        Request::new(method, None).encode(1.into()),
    ))
    .await?;
    let reply = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = ws.next().await {
            if let tungstenite::Message::Text(text) = frame?
                && let Ok(Message::Response(r)) = Message::decode(&text)
                && r.id.as_ref().and_then(kurento::Id::as_u64) == Some(1)
            {
                return Ok(r.outcome);
            }
        }
        bail!("{kms_uri} closed before answering")
    })
    .await
    .context("the media server did not answer within 5 s")??;
    let _ = ws.close(None).await;
    let result = reply.map_err(|e| anyhow::anyhow!("media server error: {e}"))?;
    Ok(result.get("value").cloned().unwrap_or(Value::Null))
}

/// Logs to the test's output when RUST_LOG is set.
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    }
}
