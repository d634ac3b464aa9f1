//! A scripted Kurento media server peer: answers like KMS (ping, describe, getInfo, create, invoke, subscribe,
//! release, connect-or-40007), unless a test's closure answers first. It records every frame it receives,
//! can push events, drop its connections, and be killed and restarted on the same port with a new serverId.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// What the peer does with one request.
pub enum Reply {
    /// Send this frame.
    Frame(Value),
    /// Send this raw text.
    Raw(String),
    /// Say nothing.
    Silent,
    /// Cut the TCP connection at once, without a close frame.
    Drop,
}

/// A test's override: `Some(reply)` to answer, `None` to let the KMS-like default answer.
pub type Handler = Arc<dyn Fn(&Value, &Ctx) -> Option<Reply> + Send + Sync>;

/// What a handler may look at.
pub struct Ctx {
    /// The serverId this peer reports (in `connect` answers and in the session ids it makes up).
    pub server_id: String,
}

#[derive(Clone)]
enum Push {
    Frame(String),
    Drop,
}

struct State {
    server_id: String,
    received: Mutex<Vec<Value>>,
    connections: AtomicUsize,
    sessions: Mutex<HashSet<String>>,
    handler: Option<Handler>,
    push: broadcast::Sender<Push>,
    next: AtomicUsize,
}

/// A scripted KMS listening on 127.0.0.1, serving until [`Peer::kill`].
pub struct Peer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Peer {
    /// Starts a KMS-like peer on any free port that reports `server_id`, with no handler.
    pub async fn start(server_id: &str) -> Peer {
        Self::start_on(0, server_id, None).await
    }

    /// Starts a peer on any free port whose requests go to `h` first, then to the KMS-like default.
    pub async fn with_handler(server_id: &str, h: Handler) -> Peer {
        Self::start_on(0, server_id, Some(h)).await
    }

    /// Listens on 127.0.0.1:`port` (0 for any), reusing the address so a restart can take the same port.
    pub async fn start_on(port: u16, server_id: &str, handler: Option<Handler>) -> Peer {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .expect("bind 127.0.0.1");
        let listener = socket.listen(64).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            server_id: server_id.to_owned(),
            received: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            sessions: Mutex::new(HashSet::new()),
            handler,
            push: broadcast::channel(64).0,
            next: AtomicUsize::new(0),
        });
        let stop = CancellationToken::new();
        let task = tokio::spawn(accept(listener, state.clone(), stop.clone()));
        Peer {
            addr,
            state,
            stop,
            task,
        }
    }

    /// The TCP port it listens on, for restarting a peer on the same port with [`Peer::start_on`].
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The Kurento WebSocket address to connect a client to: `ws://127.0.0.1:<port>/kurento`.
    pub fn uri(&self) -> String {
        format!("ws://{}/kurento", self.addr)
    }

    /// Every frame received so far, across connections.
    pub fn received(&self) -> Vec<Value> {
        self.state.received.lock().expect("lock").clone()
    }

    /// Received frames whose method is `method`.
    pub fn requests(&self, method: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|f| f["method"] == method)
            .collect()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Sends a frame on every open connection.
    pub fn push(&self, frame: String) {
        let _ = self.state.push.send(Push::Frame(frame));
    }

    /// Sends an `onEvent` for `object` of `kind` on every open connection.
    pub fn emit(&self, object: &str, kind: &str) {
        let frame = json!({"jsonrpc":"2.0","method":"onEvent","params":{"value":{
            "data":{"source":object,"tags":[],"timestampMillis":"1730000000470","type":kind},
            "object":object,"type":kind}}});
        self.push(frame.to_string());
    }

    /// Cuts every open connection (the server stays up and keeps its sessions).
    pub fn drop_connections(&self) {
        let _ = self.state.push.send(Push::Drop);
    }

    /// Stops the server: the listener and every connection close, and its sessions are forgotten.
    pub async fn kill(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

async fn accept(listener: TcpListener, state: Arc<State>, stop: CancellationToken) {
    let conns = tokio_util::task::TaskTracker::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            r = listener.accept() => {
                let Ok((tcp, _)) = r else { continue };
                state.connections.fetch_add(1, Ordering::SeqCst);
                conns.spawn(serve(tcp, state.clone(), stop.clone()));
            }
        }
    }
    drop(listener);
    conns.close();
    conns.wait().await;
}

async fn serve(tcp: tokio::net::TcpStream, state: Arc<State>, stop: CancellationToken) {
    let mut push = state.push.subscribe();
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    loop {
        let reply = tokio::select! {
            () = stop.cancelled() => return,
            p = push.recv() => match p {
                Ok(Push::Frame(f)) => Reply::Raw(f),
                Ok(Push::Drop) => Reply::Drop,
                Err(_) => continue,
            },
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                    state.received.lock().expect("lock").push(v.clone());
                    answer(&state, &v)
                }
                Some(Ok(_)) => continue,
                _ => return,
            },
        };
        let frame = match reply {
            Reply::Frame(v) => v.to_string(),
            Reply::Raw(s) => s,
            Reply::Silent => continue,
            Reply::Drop => return,
        };
        if tx.send(Message::text(frame)).await.is_err() {
            return;
        }
    }
}

fn answer(state: &State, req: &Value) -> Reply {
    let ctx = Ctx {
        server_id: state.server_id.clone(),
    };
    if let Some(r) = state.handler.as_ref().and_then(|h| h(req, &ctx)) {
        return r;
    }
    kms_like(state, req)
}

/// A JSON-RPC success answer to `req` (same id) carrying `result`, for a handler to return.
pub fn result(req: &Value, result: Value) -> Reply {
    Reply::Frame(json!({"id": req["id"], "jsonrpc": "2.0", "result": result}))
}

/// A JSON-RPC error answer to `req` (same id) shaped like KMS's: `code`, `data.type` = `kind`, `message`.
pub fn error(req: &Value, code: i64, kind: &str, message: &str) -> Reply {
    Reply::Frame(
        json!({"error":{"code":code,"data":{"type":kind},"message":message},"id":req["id"],"jsonrpc":"2.0"}),
    )
}

fn kms_like(state: &State, req: &Value) -> Reply {
    let n = state.next.fetch_add(1, Ordering::SeqCst);
    let p = &req["params"];
    let session = p["sessionId"].as_str().map(str::to_owned);
    let sid = || {
        session
            .clone()
            .unwrap_or_else(|| format!("session-{n}-{}", state.server_id))
    };
    match req["method"].as_str().unwrap_or_default() {
        "ping" => match &session {
            Some(s) => result(req, json!({"sessionId": s, "value": "pong"})),
            None => result(req, json!({"value": "pong"})),
        },
        "describe" => {
            let s = sid();
            state.sessions.lock().expect("lock").insert(s.clone());
            result(
                req,
                json!({"hierarchy":["kurento.MediaObject"],"qualifiedType":"kurento.ServerManager","sessionId":s,"type":"ServerManager"}),
            )
        }
        "connect" => match &session {
            Some(s) if state.sessions.lock().expect("lock").contains(s) => {
                result(req, json!({"serverId": state.server_id, "sessionId": s}))
            }
            _ => error(req, 40007, "INVALID_SESSION", "Invalid session"),
        },
        "invoke" if p["operation"] == "getInfo" => result(
            req,
            json!({"sessionId": sid(), "value": {
            "__module__":"kurento","__type__":"ServerInfo","capabilities":["transactions"],"type":"KMS","version":"7.2.0",
            "modules":[{"name":"core","version":"7.2.0"},{"name":"elements","version":"7.2.0"},{"name":"filters","version":"7.2.0"}]}}),
        ),
        "invoke" => result(req, json!({"sessionId": sid(), "value": null})),
        "create" => {
            let kind = p["type"].as_str().unwrap_or("MediaObject");
            let id = match p["constructorParams"]["mediaPipeline"].as_str() {
                Some(parent) => format!("{parent}/obj-{n}_kurento.{kind}"),
                None => format!("obj-{n}_kurento.{kind}"),
            };
            result(req, json!({"sessionId": sid(), "value": id}))
        }
        "subscribe" => result(
            req,
            json!({"sessionId": sid(), "value": format!("sub-{n}")}),
        ),
        _ => result(req, json!({"sessionId": sid()})),
    }
}
