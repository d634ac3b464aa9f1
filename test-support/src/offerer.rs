//! What the str0m peers share ([`crate::echo_peer`], [`crate::publisher`], [`crate::restart_peer`]): an
//! `Rtc` with Opus and VP8 only; for an offerer, a UDP socket on 127.0.0.1, an audio and a video m-line in
//! one direction, the offer (trickle: no candidates in it) with the socket's host candidate beside it, and
//! taking the answer.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::{Candidate, Rtc, RtcConfig};
use tokio::net::UdpSocket;

/// An offer made, waiting for its answer.
pub(crate) struct Offered {
    pub(crate) rtc: Rtc,
    pub(crate) socket: UdpSocket,
    pub(crate) pending: SdpPendingOffer,
    /// The m-lines by kind: audio first, then video.
    pub(crate) mids: Vec<(MediaKind, Mid)>,
    /// The offer's SDP.
    pub(crate) sdp: String,
    /// The socket's host candidate, as an SDP attribute value (`candidate:…`).
    pub(crate) candidate: String,
}

/// An `Rtc` that negotiates Opus and VP8 only.
pub(crate) fn rtc() -> Rtc {
    RtcConfig::new()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .clear_codecs()
        .enable_opus(true, false)
        .enable_vp8(true)
        .build(Instant::now())
}

/// Binds 127.0.0.1:0 and offers audio and video, both in `direction`.
pub(crate) async fn offer(direction: Direction) -> anyhow::Result<Offered> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let mut rtc = rtc();
    let mut api = rtc.sdp_api();
    let mids = [MediaKind::Audio, MediaKind::Video]
        .map(|kind| (kind, api.add_media(kind, direction, None, None, None)))
        .to_vec();
    let (offer, pending) = api.apply().context("no offer")?;
    let candidate = rtc
        .add_local_candidate(Candidate::host(socket.local_addr()?, "udp")?)
        .context("candidate refused")?
        .to_sdp_string();
    Ok(Offered {
        rtc,
        socket,
        pending,
        mids,
        sdp: offer.to_sdp_string(),
        candidate,
    })
}

/// Takes the answer to `pending` and the other side's candidates (`candidate:…` values).
pub(crate) fn accept(
    rtc: &mut Rtc,
    pending: SdpPendingOffer,
    answer: &str,
    remote: &[String],
) -> anyhow::Result<()> {
    rtc.sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(answer)?)?;
    for c in remote {
        rtc.add_remote_candidate(Candidate::from_sdp_string(c)?);
    }
    Ok(())
}
