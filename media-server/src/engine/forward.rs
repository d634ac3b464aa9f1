//! Media between endpoints: loopback, forwarding to sink endpoints, and keyframe requests flowing back
//! from whoever receives the media to the peer that sends it.
//!
//! Media moves as RTP packets (str0m's RTP mode), not frames: a packet is echoed or forwarded the
//! moment it arrives, with no reassembly into frames and no re-packetizing on the way out. What
//! frame mode did for us is done here: the payload type is mapped to the receiving peer's number for
//! the same codec, sequence numbers and RTP times are kept continuous per outgoing stream
//! (`rebase.rs`), and stream-level header extensions (MID, RID, transport-wide sequence numbers, send
//! times) are left to str0m to write for the outgoing stream. Losses are repaired hop by hop: str0m
//! NACKs what our peer's packets miss and answers the NACKs of whoever receives ours from its send
//! buffer (video is nackable, audio is not).

use std::sync::Arc;
use std::time::Instant;

use str0m::format::PayloadParams;
use str0m::media::{Direction, KeyframeRequest, KeyframeRequestKind, MediaKind, Mid};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, Ssrc};
use tokio::sync::mpsc;

use super::endpoint::EndpointId;
use super::event::MediaType;
use super::peer::Peer;
use super::rebase::{OutStream, Placed, Rebase};
use super::stats::Counters;

/// Missing packets in a row on an incoming video stream past which a keyframe is asked for at once;
/// fewer are left to NACK. At the tutorial's ~500 kbps that is about half a second of video.
const KEYFRAME_GAP: u64 = 32;

/// An RTP packet received by one endpoint, on its way out of another. The payload is shared (`Arc`),
/// so fan-out to several sinks copies no media bytes.
#[derive(Debug)]
pub(crate) struct ForwardedMedia {
    pub source: EndpointId,
    pub source_mid: Mid,
    pub kind: MediaKind,
    /// The codec, as the source's peer negotiated it (its payload type number means nothing here).
    pub params: PayloadParams,
    /// The source stream, its extended sequence number and RTP time.
    pub ssrc: Ssrc,
    pub seq: u64,
    pub time: u32,
    pub marker: bool,
    /// When it arrived: the wall clock str0m's sender reports relate the RTP time to.
    pub arrived: Instant,
    /// The media-level header extensions (audio level, orientation, ...), stream-level ones cleared.
    pub ext_vals: ExtensionValues,
    pub payload: Arc<[u8]>,
}

impl ForwardedMedia {
    fn share(&self) -> Self {
        ForwardedMedia {
            params: self.params,
            ext_vals: self.ext_vals.clone(),
            payload: Arc::clone(&self.payload),
            ..*self
        }
    }
}

/// What endpoints send each other over their media queues.
#[derive(Debug)]
pub(crate) enum Forwarded {
    /// Boxed: a packet with its header extensions is ten times the size of the other variant, and
    /// every slot of a media queue would be that size.
    Media(Box<ForwardedMedia>),
    /// A sink's peer lost a picture: ask our peer for a keyframe on `mid` (all video if `None`).
    KeyframeRequest {
        mid: Option<Mid>,
        kind: KeyframeRequestKind,
    },
}

/// The address of an endpoint's media queue. Holding one does not keep the endpoint alive.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub id: EndpointId,
    pub tx: mpsc::Sender<Forwarded>,
}

/// Which outgoing m-line carries which incoming stream, and how its packets are renumbered there;
/// also how keyframe requests find their way back.
#[derive(Debug, Clone, Copy)]
struct Route {
    source: EndpointId,
    source_mid: Mid,
    out_mid: Mid,
    /// Fixed at the route's first packet, and again if the source's peer changes its SSRC (its
    /// numbering starts anew then).
    rebase: Option<(Ssrc, Rebase)>,
}

#[derive(Debug, Default)]
pub(crate) struct MediaState {
    /// Negotiated m-lines as str0m announced them (`MediaAdded`/`MediaChanged`).
    pub medias: Vec<(Mid, MediaKind, Direction)>,
    loopback: bool,
    sinks: Vec<Link>,
    sources: Vec<Link>,
    routes: Vec<Route>,
    /// What each outgoing m-line has sent, so a new source continues its numbering.
    out_streams: Vec<(Mid, OutStream)>,
    last_keyframe_request: Vec<(Mid, Instant)>,
    /// The highest sequence number received on each incoming video m-line (and the stream it was
    /// on), to see gaps.
    highest_in: Vec<(Mid, Ssrc, u64)>,
}

impl Peer {
    pub(super) fn add_sink(&mut self, link: Link) {
        if link.id == self.id {
            self.media.loopback = true;
        } else if !self.media.sinks.iter().any(|s| s.id == link.id) {
            self.media.sinks.push(link);
        }
    }

    pub(super) fn remove_sink(&mut self, id: EndpointId) {
        if id == self.id {
            self.media.loopback = false;
            self.media.routes.retain(|r| r.source != id);
        } else {
            self.media.sinks.retain(|s| s.id != id);
        }
    }

    pub(super) fn add_source(&mut self, link: Link) {
        if !self.media.sources.iter().any(|s| s.id == link.id) {
            self.media.sources.push(link);
        }
    }

    pub(super) fn remove_source(&mut self, id: EndpointId) {
        self.media.sources.retain(|s| s.id != id);
        self.media.routes.retain(|r| r.source != id);
    }

    /// A packet from our peer: echo it (loopback) and hand it to every sink.
    pub(super) fn on_rtp_packet(&mut self, packet: RtpPacket, now: Instant) {
        let RtpPacket {
            seq_no,
            header,
            payload,
            timestamp,
            ..
        } = packet;
        let Some(source_mid) = self
            .rtc
            .direct_api()
            .stream_rx(&header.ssrc)
            .map(|rx| rx.mid())
        else {
            return; // str0m only emits packets of streams it receives, so not expected
        };
        // RTX and RED arrive here as what they carry: str0m unwraps retransmissions.
        let Some(params) = self
            .rtc
            .codec_config()
            .find(|p| p.pt() == header.payload_type)
            .copied()
        else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        let kind = if params.spec().codec.is_audio() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        };
        self.note_flow_in(MediaType::from_kind(kind), now);
        if kind == MediaKind::Video && self.gap_before(source_mid, header.ssrc, *seq_no) {
            // More went missing than retransmission will bring back in time (a path that broke and
            // came back, say): every decoder downstream stalls until the next keyframe.
            self.request_keyframe_from_peer(source_mid, KeyframeRequestKind::Fir, now);
        }
        let media = ForwardedMedia {
            source: self.id,
            source_mid,
            kind,
            params,
            ssrc: header.ssrc,
            seq: *seq_no,
            time: header.timestamp,
            marker: header.marker,
            arrived: timestamp,
            ext_vals: media_extensions(header.ext_vals),
            payload,
        };
        for sink in &self.media.sinks {
            if sink
                .tx
                .try_send(Forwarded::Media(Box::new(media.share())))
                .is_err()
            {
                Counters::add(&self.counters.media_dropped, 1);
            }
        }
        if self.media.loopback {
            self.write_out(media, now);
        }
    }

    /// Whether `seq` comes after a gap of more than `KEYFRAME_GAP` packets on `mid`'s stream `ssrc`.
    fn gap_before(&mut self, mid: Mid, ssrc: Ssrc, seq: u64) -> bool {
        let highest = &mut self.media.highest_in;
        match highest.iter_mut().find(|(m, _, _)| *m == mid) {
            Some((_, on, top)) if *on != ssrc => {
                // A new stream on the m-line: its numbers start anew.
                (*on, *top) = (ssrc, seq);
                false
            }
            Some((_, _, top)) if seq > *top => {
                let gap = seq - *top - 1;
                *top = seq;
                gap > KEYFRAME_GAP
            }
            Some(_) => false, // a retransmission or a late packet
            None => {
                highest.push((mid, ssrc, seq));
                false
            }
        }
    }

    pub(super) fn handle_forwarded(&mut self, forwarded: Forwarded, now: Instant) {
        match forwarded {
            Forwarded::Media(media) => {
                // Media from a source we were disconnected from may still be queued; drop it.
                if self.media.sources.iter().any(|s| s.id == media.source) {
                    self.write_out(*media, now);
                }
            }
            Forwarded::KeyframeRequest {
                mid: Some(mid),
                kind,
            } => self.request_keyframe_from_peer(mid, kind, now),
            Forwarded::KeyframeRequest { mid: None, .. } => self.request_keyframe_all(now),
        }
    }

    /// Our peer asks for a keyframe of what we send it: pass the request to whoever sends us that media.
    pub(super) fn on_keyframe_request(&mut self, request: KeyframeRequest, now: Instant) {
        let routes: Vec<Route> = self
            .media
            .routes
            .iter()
            .filter(|r| r.out_mid == request.mid)
            .copied()
            .collect();
        if routes.is_empty() {
            // Nothing routed yet (the request beat the first frame): ask every source for all video.
            if self.media.loopback {
                self.request_keyframe_all(now);
            }
            for source in &self.media.sources {
                let ask = Forwarded::KeyframeRequest {
                    mid: None,
                    kind: request.kind,
                };
                let _ = source.tx.try_send(ask);
            }
            return;
        }
        for route in routes {
            if route.source == self.id {
                self.request_keyframe_from_peer(route.source_mid, request.kind, now);
            } else if let Some(source) = self.media.sources.iter().find(|s| s.id == route.source) {
                let ask = Forwarded::KeyframeRequest {
                    mid: Some(route.source_mid),
                    kind: request.kind,
                };
                // A full queue means the source is swamped; the peer will ask again.
                let _ = source.tx.try_send(ask);
            }
        }
    }

    pub(super) fn request_keyframe_all(&mut self, now: Instant) {
        let video: Vec<Mid> = self
            .media
            .medias
            .iter()
            .filter(|(_, kind, dir)| *kind == MediaKind::Video && dir.is_receiving())
            .map(|(mid, _, _)| *mid)
            .collect();
        for mid in video {
            self.request_keyframe_from_peer(mid, KeyframeRequestKind::Pli, now);
        }
    }

    fn request_keyframe_from_peer(&mut self, mid: Mid, kind: KeyframeRequestKind, now: Instant) {
        let min = self.timing.keyframe_min_interval;
        let last = self
            .media
            .last_keyframe_request
            .iter_mut()
            .find(|(m, _)| *m == mid);
        match last {
            Some((_, at)) if now.saturating_duration_since(*at) < min => return,
            Some((_, at)) => *at = now,
            None => self.media.last_keyframe_request.push((mid, now)),
        }
        // Peers negotiate PLI and/or FIR; use whichever this session supports.
        let possible = |kind| {
            self.rtc.codec_config().params().iter().any(|p| match kind {
                KeyframeRequestKind::Pli => p.fb_pli(),
                KeyframeRequestKind::Fir => p.fb_fir(),
            })
        };
        let kind = [kind, KeyframeRequestKind::Pli, KeyframeRequestKind::Fir]
            .into_iter()
            .find(|k| possible(*k));
        let Some(kind) = kind else {
            tracing::debug!(endpoint = %self.id, "keyframe request on {mid}: the peer takes none");
            return;
        };
        match self.rtc.direct_api().stream_rx_by_mid(mid, None) {
            Some(rx) => rx.request_keyframe(kind),
            None => {
                tracing::debug!(endpoint = %self.id, "keyframe request on {mid}: nothing received");
            }
        }
    }

    fn write_out(&mut self, media: ForwardedMedia, now: Instant) {
        if !self.peer_receives(media.kind) {
            // The peer answered sendonly or inactive for this kind (a publisher looped back to itself,
            // say): it wants none of it, so nothing is lost and nothing is counted.
            return;
        }
        let Some((route, out_mid)) = self.route(media.source, media.source_mid, media.kind) else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        // Same codec, this peer's payload type number for it; no match means we would need to transcode.
        let Some(pt) = self
            .rtc
            .codec_config()
            .match_params(media.params)
            .map(PayloadParams::pt)
        else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        let Some(placed) = self.place(route, &media, now) else {
            return; // late, from before this source took the stream over
        };
        let write = RtpWrite::new(
            pt,
            placed.seq.into(),
            placed.time,
            media.arrived,
            media.payload,
        )
        .marker(media.marker)
        .ext_vals(media.ext_vals)
        .nackable(media.kind == MediaKind::Video);
        let mut direct = self.rtc.direct_api();
        let Some(tx) = direct.stream_tx_by_mid(out_mid, None) else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        tx.write_rtp(write);
        self.note_flow_out(MediaType::from_kind(media.kind), now);
    }

    /// The packet's sequence number and RTP time on its route's outgoing stream.
    fn place(&mut self, route: usize, media: &ForwardedMedia, now: Instant) -> Option<Placed> {
        let state = &mut self.media;
        let r = state.routes.get_mut(route)?;
        let out = match state.out_streams.iter().position(|(m, _)| *m == r.out_mid) {
            Some(i) => &mut state.out_streams.get_mut(i)?.1,
            None => {
                state.out_streams.push((r.out_mid, OutStream::default()));
                &mut state.out_streams.last_mut()?.1
            }
        };
        let rebase = match r.rebase {
            Some((ssrc, rebase)) if ssrc == media.ssrc => rebase,
            _ => {
                let clock = media.params.spec().clock_rate.get();
                let rebase = Rebase::start(out, media.seq, media.time, clock, now);
                r.rebase = Some((media.ssrc, rebase));
                rebase
            }
        };
        rebase.place(out, media.seq, media.time, now)
    }

    /// Whether some negotiated m-line of `kind` lets us send to the peer.
    fn peer_receives(&self, kind: MediaKind) -> bool {
        self.media
            .medias
            .iter()
            .any(|(_, k, d)| *k == kind && d.is_sending())
    }

    /// The outgoing m-line for a stream: the same one for loopback, else the first sending m-line of that
    /// kind not yet taken by another stream. Returns the route's index and that m-line.
    fn route(
        &mut self,
        source: EndpointId,
        source_mid: Mid,
        kind: MediaKind,
    ) -> Option<(usize, Mid)> {
        let routes = &mut self.media.routes;
        if let Some(i) = routes
            .iter()
            .position(|r| r.source == source && r.source_mid == source_mid)
        {
            return routes.get(i).map(|r| (i, r.out_mid));
        }
        let sending = |mid: &Mid| {
            self.media
                .medias
                .iter()
                .any(|(m, k, d)| m == mid && *k == kind && d.is_sending())
        };
        let out_mid = if source == self.id && sending(&source_mid) {
            Some(source_mid)
        } else {
            let candidates = self
                .media
                .medias
                .iter()
                .filter(|(_, k, d)| *k == kind && d.is_sending());
            let mut free = candidates
                .clone()
                .filter(|(m, _, _)| !routes.iter().any(|r| r.out_mid == *m));
            free.next()
                .or_else(|| candidates.clone().next())
                .map(|(m, _, _)| *m)
        }?;
        routes.push(Route {
            source,
            source_mid,
            out_mid,
            rebase: None,
        });
        Some((routes.len() - 1, out_mid))
    }
}

/// The header extensions that describe the media itself and travel with it. Those that describe the
/// stream or the hop (MID, RID, transport-wide sequence number, send times) are the outgoing
/// stream's: str0m writes them for it, where negotiated.
fn media_extensions(mut ext: ExtensionValues) -> ExtensionValues {
    ext.mid = None;
    ext.rid = None;
    ext.rid_repair = None;
    ext.transport_cc = None;
    ext.abs_send_time = None;
    ext.tx_time_offs = None;
    ext
}
