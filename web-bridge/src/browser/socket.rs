//! One browser WebSocket on /helloworld: reads the tutorial's messages, drives at most one [`Call`], and writes
//! replies and events back. The socket task owns its call and stops it on every way out, including a browser
//! that stops answering pings or stops reading (see [`Link`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::app::App;
use crate::browser::call::{self, Call, StartOutcome, Started};
use crate::browser::convert;
use crate::browser::link::{self, BrowserSocket, Gone, Link};
use crate::browser::protocol::{self, Candidate, ClientMessage, ErrorKind, ServerMessage, Ticket};
use crate::browser::rate::TokenBucket;
use crate::browser::resume::{Attached, Handover, Unclaimed};
use crate::ops::counters::{Counters, Guard};

/// The per-socket state: where the socket's one call is in its life.
enum State {
    Idle,
    /// Start is in flight; candidates wait here (bounded) until it returns.
    Starting {
        outcome: oneshot::Receiver<StartOutcome>,
        early: VecDeque<Candidate>,
    },
    /// The socket holds a call; `resume` lists it for re-attach (none when that is off).
    Active {
        call: Box<Call>,
        resume: Option<Attached>,
    },
}

/// The close code for a socket whose call another socket resumed (the private-use range).
const CLOSE_RESUMED_ELSEWHERE: u16 = 4001;

/// Why the loop ended, which decides the close frame, and whether the call may wait to be resumed.
enum Exit {
    /// The browser closed the socket (a close frame): the page is gone for good, as when its tab closes.
    ClientLeft,
    /// The connection broke without a close frame (reset, or a TCP close mid-stream): the page may be back.
    Dropped,
    Shutdown,
    Violation(&'static str),
    /// The browser stopped answering pings or stopped reading; nothing more is sent to it.
    Unresponsive(Gone),
    /// The socket held no session for `idle_socket_timeout`: closed so idle sockets cannot fill the cap.
    Idle,
    /// The page resumed the call on another socket, which now owns it.
    ResumedElsewhere,
}

impl From<Gone> for Exit {
    fn from(gone: Gone) -> Self {
        match gone {
            Gone::Closed => Self::Dropped,
            other => Self::Unresponsive(other),
        }
    }
}

/// Serves one upgraded socket until it closes. Its future is the largest thing a held socket owns, so
/// the link lives behind a pointer (an async fn keeps a by-value argument twice: as the argument and as
/// the local it becomes), and what it awaits rarely (a message's handling, a Stop) is boxed where awaited.
pub(crate) fn serve(
    ws: BrowserSocket,
    app: Arc<App>,
    socket_guard: Guard,
) -> impl Future<Output = ()> + Send {
    let link = Box::new(Link::new(ws, &app.config.limits));
    run(link, app, socket_guard)
}

async fn run(mut ws: Box<Link>, app: Arc<App>, _socket_guard: Guard) {
    let limits = &app.config.limits;
    let counters = &app.config.counters;
    tracing::debug!("WebSocket opened");
    let mut subscribed = false;
    let mut bucket = TokenBucket::new(limits.messages_per_second, limits.message_burst);
    let mut state = State::Idle;
    // Pings keep proxies (which often cut idle sockets after 60 s) from closing a quiet socket, and find
    // browsers that are gone without a close: one that says nothing within the pong timeout is closed.
    let mut keepalive =
        tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
    // A socket without a session (never started, or stopped, or whose Start failed) holds a `max_sockets` slot
    // for nothing: after `idle_socket_timeout` of that it is closed. The clock restarts each time it becomes
    // idle; messages other than `start` do not restart it.
    let mut idle_since = Some(Instant::now());

    let exit = loop {
        let answer_by = ws.answer_by();
        match (&state, idle_since) {
            (State::Idle, None) => idle_since = Some(Instant::now()),
            (State::Idle, Some(_)) => {}
            _ => idle_since = None,
        }
        let idle_until = idle_since.map(|since| since + limits.idle_socket_timeout);
        tokio::select! {
            _ = app.shutdown.cancelled() => break Exit::Shutdown,
            () = link::until(idle_until) => break Exit::Idle,
            () = link::until(answer_by) => break Exit::Unresponsive(Gone::PongTimeout),
            _ = keepalive.tick() => {
                if let Err(gone) = ws.ping().await {
                    break gone.into();
                }
            }
            frame = ws.recv() => {
                let text = match frame {
                    Some(Ok(Message::Close(_))) => break Exit::ClientLeft,
                    None => break Exit::Dropped,
                    Some(Err(err)) if link::connection_lost(&err) => break Exit::Dropped,
                    Some(Err(err)) => {
                        // Typically a frame over the hard size limit: say why before the socket goes.
                        counters.message_received("invalid");
                        let error = ServerMessage::Error(ErrorKind::TooBig, format!("closing the connection: {err}"));
                        let _ = send(&mut ws, counters, error).await;
                        break Exit::Violation("message too big or malformed");
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    // Frames come whole from reads; only a writer builds them.
                    Some(Ok(Message::Binary(_) | Message::Frame(_))) => Err("binary messages are not supported; send JSON text".to_owned()),
                    Some(Ok(Message::Text(text))) if text.len() > limits.max_message_bytes => Err(format!(
                        "message of {} bytes is over the limit of {} bytes",
                        text.len(),
                        limits.max_message_bytes
                    )),
                    Some(Ok(Message::Text(text))) => protocol::parse(text.as_str()),
                };
                if !bucket.take(Instant::now()) {
                    let limit = format!("too many messages: the limit is {} per second", limits.messages_per_second);
                    let _ = send(&mut ws, counters, ServerMessage::Error(ErrorKind::RateLimited, limit)).await;
                    break Exit::Violation("too many messages");
                }
                let reply = match text {
                    Err(e) => {
                        counters.message_received("invalid");
                        Some(ServerMessage::Error(ErrorKind::BadMessage, e))
                    }
                    Ok(message) => {
                        counters.message_received(message.id());
                        // Boxed: handling a message may call the gateway, whose state would otherwise size
                        // this task, held for the socket's life, for a moment that is rare.
                        Box::pin(handle(message, &mut state, &app, &mut subscribed)).await
                    }
                };
                if let Some(reply) = reply
                    && let Err(gone) = send(&mut ws, counters, reply).await
                {
                    break gone.into();
                }
            }
            progress = progress(&mut state) => match progress {
                Progress::Started(outcome) => {
                    let early = match std::mem::replace(&mut state, State::Idle) {
                        State::Starting { early, .. } => early,
                        other => { state = other; continue; }
                    };
                    match outcome {
                        Ok(started) => {
                            let resume = app.resumption.attach();
                            let answer = ServerMessage::StartResponse {
                                sdp_answer: started.sdp_answer.clone(),
                                resume: ticket(&app, resume.as_ref()),
                                ice_restart: started.ice_restart,
                            };
                            tracing::Span::current().record("session_id", started.session_id.as_str());
                            tracing::info!("session started");
                            let call = open(started, &app, subscribed);
                            // The answer goes out before any server candidate: the forwarder writes into the call's
                            // queue, which this loop drains only after this branch.
                            let sent = send(&mut ws, counters, answer).await;
                            let mut overflow = None;
                            for candidate in early {
                                if let Err(e) = call.add_candidate(candidate) {
                                    overflow = Some(e);
                                }
                            }
                            state = State::Active { call: Box::new(call), resume };
                            if let Err(gone) = sent { break gone.into(); }
                            if let Some(e) = overflow
                                    && let Err(gone) = send(&mut ws, counters, ServerMessage::Error(ErrorKind::TooManyCandidates, e)).await
                                {
                                    break gone.into();
                                }
                        }
                        Err(text) => {
                            tracing::info!("Start failed: {text}");
                            if let Err(gone) = send(&mut ws, counters, ServerMessage::Error(ErrorKind::Gateway, text)).await { break gone.into(); }
                        }
                    }
                }
                Progress::Message(message) => {
                    if let Err(gone) = send(&mut ws, counters, message).await { break gone.into(); }
                }
                Progress::TakenOver(handover) => {
                    if let State::Active { call, resume } = std::mem::replace(&mut state, State::Idle) {
                        drop(resume);
                        if let Err(call) = handover.send(call) {
                            // The claim gave up waiting; nobody else will stop this call.
                            Box::pin(call.stop()).await;
                        }
                    }
                    break Exit::ResumedElsewhere;
                }
            },
        }
    };

    if let Exit::Unresponsive(gone) = exit {
        counters.socket_unresponsive(gone.reason());
        tracing::info!(reason = gone.reason(), "closing an unresponsive WebSocket");
    }
    if let Exit::Idle = exit {
        counters.socket_unresponsive("idle");
        tracing::debug!(timeout = ?limits.idle_socket_timeout, "closing a WebSocket that held no session");
    }
    // The goodbye is written first, so the page learns at once why its media is about to end, but the Stop
    // runs alongside it: a browser that does not read cannot delay its Stop, and holds the drain for at most
    // the send timeout.
    let bye = async {
        if matches!(exit, Exit::Shutdown) {
            let bye = ServerMessage::Error(
                ErrorKind::ShuttingDown,
                "the server is shutting down".to_owned(),
            );
            let _ = send(&mut ws, counters, bye).await;
        }
    };
    // Dropping a pending Start's receiver makes its task stop the session when it returns. A call whose
    // browser merely went away is parked for its page to resume instead, when re-attach is on.
    let stop = async {
        if let State::Active { call, resume } = state {
            let call = match (&exit, resume) {
                (Exit::Dropped | Exit::Unresponsive(_), Some(attached)) => {
                    match app
                        .resumption
                        .park(attached, call, &app.tasks, &app.shutdown)
                    {
                        Ok(()) => {
                            tracing::info!(grace = ?app.resumption.grace(), "socket gone; the call waits to be resumed");
                            return;
                        }
                        Err(call) => call,
                    }
                }
                _ => call,
            };
            Box::pin(call.stop()).await;
        }
    };
    tokio::join!(bye, stop);
    let close = match exit {
        Exit::ClientLeft | Exit::Dropped | Exit::Unresponsive(_) => None,
        Exit::ResumedElsewhere => Some((
            CloseCode::from(CLOSE_RESUMED_ELSEWHERE),
            "the call was resumed on another connection",
        )),
        Exit::Shutdown => Some((CloseCode::Away, "server shutting down")),
        Exit::Violation(why) => Some((CloseCode::Policy, why)),
        Exit::Idle => Some((
            CloseCode::Policy,
            "idle: no session was started in time; reconnect and send start",
        )),
    };
    if let Some((code, reason)) = close {
        let _ = ws
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
    tracing::debug!("WebSocket closed");
}

/// Acts on one parsed message; returns an immediate reply, if any.
async fn handle(
    message: ClientMessage,
    state: &mut State,
    app: &App,
    subscribed: &mut bool,
) -> Option<ServerMessage> {
    match message {
        ClientMessage::SubscribeEvents => {
            *subscribed = true;
            if let State::Active { call, .. } = state {
                call.set_subscribed(true);
            }
            None
        }
        ClientMessage::Resume { token } => resume(&token, state, app, *subscribed).await,
        // Answered before the candidates that follow it are read, so the gateway sees the new offer
        // before the browser's candidates for it.
        ClientMessage::RestartIce { sdp_offer } => Some(match state {
            State::Active { call, .. } => match call.restart_ice(sdp_offer).await {
                Ok(sdp_answer) => ServerMessage::RestartIceResponse { sdp_answer },
                Err(text) => {
                    ServerMessage::Error(ErrorKind::Gateway, format!("cannot restart ICE: {text}"))
                }
            },
            _ => ServerMessage::Error(
                ErrorKind::BadMessage,
                "restartIce without a call: send start first".to_owned(),
            ),
        }),
        ClientMessage::GetStats => Some(match state {
            State::Active { call, .. } => {
                match app.gateway.session_stats(call.session_id()).await {
                    Ok(stats) => convert::stats(stats.streams),
                    Err(e) => ServerMessage::Stats(Err(format!(
                        "cannot read the media server's stats: {}",
                        e.text
                    ))),
                }
            }
            _ => ServerMessage::Error(
                ErrorKind::BadMessage,
                "getStats without a call: send start first".to_owned(),
            ),
        }),
        ClientMessage::Start { sdp_offer } => {
            // A second start replaces the first call rather than leaking it.
            if let State::Active { call, .. } = std::mem::replace(state, State::Idle) {
                call.stop().await;
            }
            let outcome = call::spawn_start(
                app.gateway.clone(),
                &app.config.counters,
                &app.tasks,
                sdp_offer,
            );
            *state = State::Starting {
                outcome,
                early: VecDeque::new(),
            };
            None
        }
        ClientMessage::OnIceCandidate(candidate) => match state {
            State::Idle => Some(ServerMessage::Error(
                ErrorKind::BadMessage,
                "onIceCandidate before start: send start first".to_owned(),
            )),
            State::Starting { early, .. }
                if early.len() >= app.config.limits.max_pending_candidates =>
            {
                Some(ServerMessage::Error(
                    ErrorKind::TooManyCandidates,
                    "too many ICE candidates before the session started".to_owned(),
                ))
            }
            State::Starting { early, .. } => {
                early.push_back(candidate);
                None
            }
            State::Active { call, .. } => call
                .add_candidate(candidate)
                .err()
                .map(|e| ServerMessage::Error(ErrorKind::TooManyCandidates, e)),
        },
        ClientMessage::Stop => {
            if let State::Active { call, .. } = std::mem::replace(state, State::Idle) {
                call.stop().await;
            }
            None
        }
    }
}

/// Takes over the call `token` names, parked or still held by another socket of the same page.
async fn resume(
    token: &str,
    state: &mut State,
    app: &App,
    subscribed: bool,
) -> Option<ServerMessage> {
    if !matches!(state, State::Idle) {
        return Some(ServerMessage::Error(
            ErrorKind::BadMessage,
            "resume on a socket that already has a call: resume on a fresh connection".to_owned(),
        ));
    }
    // The holder may be in the middle of a send to its browser, which the send timeout bounds.
    let wait = app.config.limits.send_timeout + Duration::from_secs(1);
    match app.resumption.claim(token, wait).await {
        Ok(call) => {
            call.set_subscribed(subscribed);
            tracing::Span::current().record("session_id", call.session_id());
            tracing::info!("call resumed on a new socket");
            let resume = app.resumption.attach();
            let ticket = ticket(app, resume.as_ref());
            *state = State::Active { call, resume };
            Some(ServerMessage::ResumeResponse(ticket))
        }
        Err(why) => {
            let text = match why {
                Unclaimed::Unknown => format!(
                    "cannot resume: no call waits under this token (it ended, it was resumed already, or its \
                     {} s grace passed); start a new call",
                    app.resumption.grace().as_secs()
                ),
                Unclaimed::NotHandedOver => {
                    "cannot resume: the connection holding the call did not give it \
                                             up in time; start a new call"
                        .to_owned()
                }
            };
            Some(ServerMessage::Error(ErrorKind::ResumeFailed, text))
        }
    }
}

/// What the page is told so it can resume this call elsewhere.
fn ticket(app: &App, resume: Option<&Attached>) -> Option<Ticket> {
    resume.map(|attached| Ticket {
        token: attached.token().to_owned(),
        within_ms: u64::try_from(app.resumption.grace().as_millis()).unwrap_or(u64::MAX),
    })
}

fn open(started: Started, app: &App, subscribed: bool) -> Call {
    let limits = &app.config.limits;
    Call::open(
        started,
        app.gateway.clone(),
        subscribed,
        limits.max_pending_candidates,
        limits.outgoing_queue,
    )
}

/// What the socket's call, or its Start in flight, has for the socket.
enum Progress {
    /// The pending Start returned.
    Started(StartOutcome),
    /// A message for the page from the held call.
    Message(ServerMessage),
    /// Another socket claimed the held call.
    TakenOver(Handover),
}

/// Resolves with the next [`Progress`] of the state (cancel-safe); never while the socket is idle.
async fn progress(state: &mut State) -> Progress {
    match state {
        State::Starting { outcome, .. } => Progress::Started(match outcome.await {
            Ok(outcome) => outcome,
            Err(_) => Err("the media gateway call ended without an answer".to_owned()),
        }),
        State::Active { call, resume } => {
            let taken_over = async {
                match resume {
                    Some(attached) => attached.taken_over().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = call.next_message() => Progress::Message(message),
                handover = taken_over => Progress::TakenOver(handover),
            }
        }
        State::Idle => std::future::pending().await,
    }
}

/// Sends one message (bounded by the send timeout), counting errors by kind.
async fn send(ws: &mut Link, counters: &Counters, message: ServerMessage) -> Result<(), Gone> {
    if let ServerMessage::Error(kind, _) = &message {
        counters.error_sent(kind.as_str());
    }
    ws.send(Message::Text(message.to_text().into())).await
}
