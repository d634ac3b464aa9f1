//! Connections that count against another address than the test's own: Linux answers the whole 127/8 on
//! loopback, so a socket bound to 127.0.0.2 reaches a server on 127.0.0.1 as a second host would. For the
//! per-address connection caps.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to `to` from 127.0.0.2.
pub async fn connect_from_elsewhere(to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2], 0)))?;
    socket.connect(to).await
}

/// Whether the server closes `tcp` within `within` without having been sent anything (bytes it writes
/// first, an HTTP/2 SETTINGS frame or a 503, are read past).
pub async fn closed_by_server(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}
