//! grpc-web is served on the gRPC port: a plain HTTP/1.1 POST with `application/grpc-web+proto` and a
//! length-prefixed message gets a data frame and a trailer frame carrying grpc-status, as browsers expect.

use crate::common;

use crate::common::{OFFER, Script, on_peer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use media_proto::v1::{ListSessionsRequest, ListSessionsResponse, StopRequest, StopResponse};
use prost::Message;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// What came back: the HTTP status, grpc-status wherever it was sent, and the data frames.
struct Reply {
    http: u16,
    grpc_status: Option<String>,
    messages: Vec<Bytes>,
}

/// The frames of a grpc-web body: flag byte, 4-byte big-endian length, payload.
fn frames(mut body: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let flag = body[0];
        let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        assert!(body.len() >= 5 + len, "truncated grpc-web frame");
        out.push((flag, &body[5..5 + len]));
        body = &body[5 + len..];
    }
    assert!(body.is_empty(), "trailing bytes after the last frame");
    out
}

async fn call(addr: SocketAddr, path: &str, message: impl Message) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_be_bytes());
    frame.extend_from_slice(&payload);
    let request = http::Request::post(format!("http://{addr}{path}"))
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(Full::new(Bytes::from(frame)))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.version(), http::Version::HTTP_11);
    let http = response.status().as_u16();
    let mut grpc_status = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let mut messages = Vec::new();
    for (flag, payload) in frames(&body) {
        if flag & 0x80 != 0 {
            // The trailer frame: HTTP/1-style header lines.
            let text = std::str::from_utf8(payload).expect("ascii trailers");
            for line in text.split("\r\n") {
                if let Some((k, v)) = line.split_once(':')
                    && k.trim().eq_ignore_ascii_case("grpc-status")
                {
                    grpc_status = Some(v.trim().to_owned());
                }
            }
        } else {
            messages.push(Bytes::copy_from_slice(payload));
        }
    }
    Reply {
        http,
        grpc_status,
        messages,
    }
}

#[tokio::test]
async fn grpc_web_calls_work_over_http1() {
    let (mut gw, peer) = on_peer(Script::default()).await;
    let addr = gw.gateway.local_addr();
    let id = common::start_session(&mut gw.client, OFFER).await;

    let listed = call(
        addr,
        "/mediasession.v1.SessionAdmin/ListSessions",
        ListSessionsRequest {},
    )
    .await;
    assert_eq!(listed.http, 200);
    assert_eq!(listed.grpc_status.as_deref(), Some("0"));
    assert_eq!(listed.messages.len(), 1);
    let sessions = ListSessionsResponse::decode(listed.messages[0].clone())
        .expect("a ListSessionsResponse")
        .sessions;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, id);

    let stopped = call(
        addr,
        "/mediasession.v1.MediaSession/Stop",
        StopRequest {
            session_id: id.clone(),
        },
    )
    .await;
    assert_eq!(stopped.grpc_status.as_deref(), Some("0"));
    let r = StopResponse::decode(stopped.messages[0].clone()).expect("a StopResponse");
    assert!(r.released);
    assert_eq!(common::released(&peer).len(), 1);

    let unknown = call(
        addr,
        "/mediasession.v1.MediaSession/Stop",
        StopRequest {
            session_id: "00".repeat(16),
        },
    )
    .await;
    assert_eq!(unknown.grpc_status.as_deref(), Some("5"), "NOT_FOUND");
    assert!(unknown.messages.is_empty());
}
