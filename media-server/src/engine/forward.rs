//! Media between endpoints: loopback, forwarding to sink endpoints, and keyframe requests flowing back
//! from whoever receives the media to the peer that sends it.

use std::sync::Arc;
use std::time::Instant;

use str0m::format::PayloadParams;
use str0m::media::{
    Direction, KeyframeRequest, KeyframeRequestKind, MediaData, MediaKind, MediaTime, Mid,
};
use tokio::sync::mpsc;

use super::endpoint::EndpointId;
use super::event::MediaType;
use super::peer::Peer;
use super::stats::Counters;

/// A frame (or audio packet) received by one endpoint, on its way out of another. The payload is
/// shared (`Arc`), so fan-out to several sinks copies no media bytes.
#[derive(Debug)]
pub(crate) struct ForwardedMedia {
    pub source: EndpointId,
    pub source_mid: Mid,
    pub kind: MediaKind,
    pub params: PayloadParams,
    pub network_time: Instant,
    pub time: MediaTime,
    pub data: Arc<[u8]>,
}

/// What endpoints send each other over their media queues.
#[derive(Debug)]
pub(crate) enum Forwarded {
    Media(ForwardedMedia),
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

/// Which outgoing m-line carries which incoming stream; also how keyframe requests find their way back.
#[derive(Debug, Clone, Copy)]
struct Route {
    source: EndpointId,
    source_mid: Mid,
    out_mid: Mid,
}

#[derive(Debug, Default)]
pub(crate) struct MediaState {
    /// Negotiated m-lines as str0m announced them (`MediaAdded`/`MediaChanged`).
    pub medias: Vec<(Mid, MediaKind, Direction)>,
    loopback: bool,
    sinks: Vec<Link>,
    sources: Vec<Link>,
    routes: Vec<Route>,
    last_keyframe_request: Vec<(Mid, Instant)>,
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

    /// Media from our peer: echo it (loopback) and hand it to every sink.
    pub(super) fn on_media_data(&mut self, data: MediaData, now: Instant) {
        let kind = if data.params.spec().codec.is_audio() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        };
        self.note_flow_in(MediaType::from_kind(kind), now);
        if !data.contiguous && kind == MediaKind::Video {
            // A gap means the decoder downstream will stall until the next keyframe.
            self.request_keyframe_from_peer(data.mid, KeyframeRequestKind::Fir, now);
        }
        let media = ForwardedMedia {
            source: self.id,
            source_mid: data.mid,
            kind,
            params: data.params,
            network_time: data.network_time,
            time: data.time,
            data: data.data,
        };
        for sink in &self.media.sinks {
            let copy = ForwardedMedia {
                data: Arc::clone(&media.data),
                ..media
            };
            if sink.tx.try_send(Forwarded::Media(copy)).is_err() {
                Counters::add(&self.counters.media_dropped, 1);
            }
        }
        if self.media.loopback {
            self.write_out(media, now);
        }
    }

    pub(super) fn handle_forwarded(&mut self, forwarded: Forwarded, now: Instant) {
        match forwarded {
            Forwarded::Media(media) => {
                // Media from a source we were disconnected from may still be queued; drop it.
                if self.media.sources.iter().any(|s| s.id == media.source) {
                    self.write_out(media, now);
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
        let Some(mut writer) = self.rtc.writer(mid) else {
            return;
        };
        // Peers negotiate PLI and/or FIR; use whichever this stream supports.
        let kind = if writer.is_request_keyframe_possible(kind) {
            kind
        } else if writer.is_request_keyframe_possible(KeyframeRequestKind::Pli) {
            KeyframeRequestKind::Pli
        } else {
            KeyframeRequestKind::Fir
        };
        if let Err(e) = writer.request_keyframe(None, kind) {
            tracing::debug!(endpoint = %self.id, "keyframe request on {mid} not possible: {e}");
        }
    }

    fn write_out(&mut self, media: ForwardedMedia, now: Instant) {
        if !self.peer_receives(media.kind) {
            // The peer answered sendonly or inactive for this kind (a publisher looped back to itself,
            // say): it wants none of it, so nothing is lost and nothing is counted.
            return;
        }
        let Some(out_mid) = self.route(media.source, media.source_mid, media.kind) else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        let Some(writer) = self.rtc.writer(out_mid) else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        // Same codec, this peer's payload type number for it; no match means we would need to transcode.
        let Some(pt) = writer.match_params(media.params) else {
            Counters::add(&self.counters.media_dropped, 1);
            return;
        };
        match writer.write(pt, media.network_time, media.time, media.data) {
            Ok(()) => self.note_flow_out(MediaType::from_kind(media.kind), now),
            Err(e) => tracing::debug!(endpoint = %self.id, "write on {out_mid} failed: {e}"),
        }
    }

    /// Whether some negotiated m-line of `kind` lets us send to the peer.
    fn peer_receives(&self, kind: MediaKind) -> bool {
        self.media
            .medias
            .iter()
            .any(|(_, k, d)| *k == kind && d.is_sending())
    }

    /// The outgoing m-line for a stream: the same one for loopback, else the first sending m-line of that
    /// kind not yet taken by another stream.
    fn route(&mut self, source: EndpointId, source_mid: Mid, kind: MediaKind) -> Option<Mid> {
        let routes = &mut self.media.routes;
        if let Some(r) = routes
            .iter()
            .find(|r| r.source == source && r.source_mid == source_mid)
        {
            return Some(r.out_mid);
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
        });
        Some(out_mid)
    }
}
