//! Helpers the workspace's integration tests share, each written once: waits that poll an observable
//! condition, WebSocket frame readers, a raw HTTP GET, a fault-injecting TCP proxy, the scripted Kurento
//! peer, the str0m echo peer and sendonly publisher, the fake MediaSession gRPC server, seeded frame
//! mutations and the real Chromium offer.
//!
//! A dev-dependency only (`publish = false`). It uses only the public API of the product crates, and
//! each module sits behind a feature so a crate's tests build only what they use:
//!
//! | feature  | modules                                         |
//! |----------|-------------------------------------------------|
//! | `mutate` | [`mutate`]                                      |
//! | `net`    | [`wait`], [`ws`], [`http`], [`kurento_peer`], [`process`], [`proxy`], [`coturn`], [`elsewhere`], [`netns`] |
//! | `webrtc` | [`echo_peer`], [`publisher`] (and `net`)        |
//! | `grpc`   | [`fake_gateway`] (and `webrtc`)                 |
//!
//! # Time
//!
//! The waits run on tokio's clock, so they also work under `tokio::time::pause`: while every task is idle
//! the paused clock jumps to the next timer. That is also why a test whose progress depends on a real
//! socket or a child process cannot use the paused clock: the clock would jump past the deadline before
//! the bytes arrive.
#![forbid(unsafe_code)]

#[cfg(feature = "net")]
pub mod coturn;
#[cfg(feature = "webrtc")]
pub mod echo_peer;
#[cfg(feature = "net")]
pub mod elsewhere;
#[cfg(feature = "grpc")]
pub mod fake_gateway;
#[cfg(feature = "net")]
pub mod http;
#[cfg(feature = "net")]
pub mod kurento_peer;
#[cfg(feature = "mutate")]
pub mod mutate;
#[cfg(feature = "net")]
pub mod netns;
#[cfg(feature = "webrtc")]
mod offerer;
#[cfg(feature = "net")]
pub mod process;
#[cfg(feature = "net")]
pub mod proxy;
#[cfg(feature = "webrtc")]
pub mod publisher;
#[cfg(feature = "webrtc")]
pub mod restart_peer;
#[cfg(feature = "net")]
pub mod wait;
#[cfg(feature = "net")]
pub mod ws;

/// A real Chromium offer (audio + video, BUNDLE, trickle ICE, CRLF line ends as on the wire) that the
/// embedded media server negotiates.
pub const CHROMIUM_OFFER: &str = include_str!("../data/chromium-offer-trickle.sdp");

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// The direction attribute of each media section of `sdp`, in order (`"sendrecv"`, `"recvonly"`, …);
/// `"none"` for a section without one.
pub fn media_directions(sdp: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in sdp.lines() {
        if line.starts_with("m=") {
            out.push("none");
        } else if let Some(dir) = line.strip_prefix("a=")
            && ["sendrecv", "sendonly", "recvonly", "inactive"].contains(&dir.trim_end())
            && let Some(last) = out.last_mut()
        {
            *last = dir.trim_end();
        }
    }
    out
}

/// [`CHROMIUM_OFFER`] with every media section's direction set to `direction`.
pub fn chromium_offer_with(direction: &str) -> String {
    CHROMIUM_OFFER.replace("a=sendrecv", &format!("a={direction}"))
}

/// [`CHROMIUM_OFFER`] as Chromium writes it after `restartIce()`: the same m-lines and fingerprint,
/// a new `ice-ufrag`/`ice-pwd` (`round` makes each restart's different).
pub fn chromium_offer_restarted(round: u32) -> String {
    CHROMIUM_OFFER
        .replace("a=ice-ufrag:wKVo", &format!("a=ice-ufrag:rS{round:02}"))
        .replace(
            "a=ice-pwd:ELgrCB3Bh5hX4AV7xogqk9D0",
            &format!("a=ice-pwd:RestartedPassword{round:05}xx"),
        )
}

/// The first `a=ice-ufrag` of `sdp`.
pub fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(str::trim)
}
