//! When a WHIP resource counts as abandoned. A browser socket proves its client is there with pongs; a WHIP
//! client proves it only with media, so a resource into which no media flows for `idle_timeout` (from its
//! creation, or since the last kind of media stopped) is stopped: a publisher that crashed without DELETE
//! cannot hold its session, and a place in the bounded table, forever. Sans-IO: time is passed in.

use std::time::{Duration, Instant};

use media_proto::v1::{FlowDirection, MediaFlowChanged, MediaKind};

/// Tracks which kinds of media flow into the media server and when the resource is due to be stopped.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    idle_timeout: Duration,
    /// Audio, video, data: whether each flows in now.
    flowing: [bool; 3],
    /// `None` while media flows.
    deadline: Option<Instant>,
}

impl Liveness {
    /// A resource created at `now`, with no media yet.
    pub(crate) fn new(idle_timeout: Duration, now: Instant) -> Self {
        Self {
            idle_timeout,
            flowing: [false; 3],
            deadline: Some(now + idle_timeout),
        }
    }

    /// Takes one MediaFlow event (outgoing media says nothing about the client, so only `In` counts).
    pub(crate) fn on_flow(&mut self, flow: &MediaFlowChanged, now: Instant) {
        if flow.direction() != FlowDirection::In {
            return;
        }
        let slot = match flow.kind() {
            MediaKind::Audio => 0,
            MediaKind::Video => 1,
            MediaKind::Data => 2,
            MediaKind::Unspecified => return,
        };
        let was_flowing = self.flowing.iter().any(|f| *f);
        self.flowing[slot] = flow.flowing;
        let is_flowing = self.flowing.iter().any(|f| *f);
        if is_flowing {
            self.deadline = None;
        } else if was_flowing {
            self.deadline = Some(now + self.idle_timeout);
        }
    }

    /// When the resource is to be stopped for want of media, if nothing flows.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(kind: MediaKind, direction: FlowDirection, flowing: bool) -> MediaFlowChanged {
        MediaFlowChanged {
            direction: direction as i32,
            kind: kind as i32,
            flowing,
        }
    }

    #[test]
    fn deadline_runs_until_media_flows_in_and_again_once_all_of_it_stops() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(30);
        let mut l = Liveness::new(idle, t0);
        assert_eq!(l.deadline(), Some(t0 + idle));
        l.on_flow(&flow(MediaKind::Video, FlowDirection::Out, true), t0);
        assert_eq!(
            l.deadline(),
            Some(t0 + idle),
            "outgoing media proves nothing"
        );
        l.on_flow(&flow(MediaKind::Audio, FlowDirection::In, true), t0);
        l.on_flow(&flow(MediaKind::Video, FlowDirection::In, true), t0);
        assert_eq!(l.deadline(), None);
        let t1 = t0 + Duration::from_secs(100);
        l.on_flow(&flow(MediaKind::Audio, FlowDirection::In, false), t1);
        assert_eq!(l.deadline(), None, "video still flows");
        l.on_flow(&flow(MediaKind::Video, FlowDirection::In, false), t1);
        assert_eq!(l.deadline(), Some(t1 + idle));
        l.on_flow(&flow(MediaKind::Video, FlowDirection::In, true), t1);
        assert_eq!(l.deadline(), None);
    }
}
