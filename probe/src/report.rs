//! What one probe run measured, the verdict, and the short table a person reads.

use std::fmt;
use std::time::Duration;

use media_proto::v1::{EndReason, FlowDirection, MediaKind};

use crate::echo_report::{EchoReport, KindCounts};
use crate::server_stats::ServerStream;

/// Which signaling API a probe ran against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A MediaSession gateway over gRPC ([`run`](crate::run)).
    Gateway,
    /// Janus's echotest over its HTTP API ([`run_janus`](crate::run_janus)).
    Janus,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Gateway => "gateway",
            Backend::Janus => "Janus echotest",
        })
    }
}

/// Facts about the offer and its answer (the gateway's Start; Janus's message and its answer event).
#[derive(Debug, Clone, PartialEq)]
pub struct StartFacts {
    /// Before the offer: connecting the gRPC channel, or creating the Janus session and attaching the
    /// echotest handle.
    pub setup: Duration,
    /// From sending the offer to its answer (gateway: the Start call; Janus: the message POST until the
    /// answer event arrives on the long poll).
    pub latency: Duration,
    /// Candidates already in the answer (expected without trickle).
    pub answer_candidates: usize,
}

/// The result of [`run`](crate::run).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeReport {
    /// Which API the probe spoke.
    pub backend: Backend,
    /// The server address the probe ran against, as given to [`run`](crate::run).
    pub gateway: String,
    /// The session id the gateway returned from Start.
    pub session_id: String,
    /// Whether the run used trickle ICE (from [`ProbeConfig::trickle`](crate::ProbeConfig::trickle)).
    pub trickle: bool,
    /// Whether the probe offered and checked audio.
    pub audio: bool,
    /// Whether the probe offered and checked video.
    pub video: bool,
    /// The share (0.0 to 1.0) of each kind's frames that had to come back for the verdict to pass.
    pub min_echo_ratio: f64,
    /// How long Start took and what its answer held.
    pub start: StartFacts,
    /// The probe's own candidates sent with AddIceCandidate (0 without trickle).
    pub local_candidates_sent: usize,
    /// Server candidates received on StreamCandidates.
    pub server_candidates: usize,
    /// Server candidates the probe's peer could not parse.
    pub bad_server_candidates: Vec<String>,
    /// True when the stream reported that the server finished gathering candidates.
    pub gathering_done: bool,
    /// State events from the stream, with their time since Start.
    pub states: Vec<String>,
    /// The stream's SessionEnded, if it came.
    pub ended: Option<(EndReason, String)>,
    /// Set when the stream failed instead of ending.
    pub stream_error: Option<String>,
    /// What the echo check measured.
    pub echo: EchoReport,
    /// From sending Start to the start of the echo check.
    pub echo_started_after: Duration,
    /// The server's own view of the session's media (GetSessionStats), asked at the end of the echo
    /// window, before Stop: its streams, or why the call failed (the error is reported, not part of the
    /// verdict). `None` for a backend without such a call (Janus).
    pub server_stats: Option<Result<Vec<ServerStream>, String>>,
    /// Stop's `released`: true when Stop ended the session.
    pub released: bool,
}

impl ProbeReport {
    /// The reasons the deployment failed the probe; empty when it passed.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.echo.mismatches > 0 {
            out.push(format!(
                "{} echoed frames differ from what was sent",
                self.echo.mismatches
            ));
        }
        let mut kind = |wanted: bool, name: &str, c: &KindCounts| {
            if !wanted {
                return;
            }
            if c.sent == 0 {
                out.push(format!(
                    "no {name} was sent (m-line or codec rejected by the answer?)"
                ));
            } else if (c.echoed as f64) < self.min_echo_ratio * c.sent as f64 || c.echoed == 0 {
                out.push(format!(
                    "{name}: {} of {} frames came back, below {:.0}%",
                    c.echoed,
                    c.sent,
                    self.min_echo_ratio * 100.0
                ));
            }
        };
        kind(self.audio, "audio", &self.echo.audio);
        kind(self.video, "video", &self.echo.video);
        if !self.bad_server_candidates.is_empty() {
            out.push(format!(
                "{} server candidates could not be parsed",
                self.bad_server_candidates.len()
            ));
        }
        if !self.released {
            out.push(match self.backend {
                Backend::Gateway => {
                    "Stop reported the session as already ended (released = false)".into()
                }
                Backend::Janus => "destroy did not succeed".into(),
            });
        }
        if self.backend == Backend::Janus {
            // Janus has no SessionEnded: destroy's success is the end, and a long poll that failed
            // before it is the stream failing.
            if let Some(e) = &self.stream_error {
                out.push(format!("the long poll failed: {e}"));
            }
            return out;
        }
        match &self.ended {
            Some((EndReason::Stopped, _)) => {}
            Some((reason, message)) => out.push(format!(
                "stream ended with {} ({message})",
                reason.as_str_name()
            )),
            None => out.push(match &self.stream_error {
                Some(e) => format!("stream failed without SessionEnded: {e}"),
                None => "stream gave no SessionEnded after Stop".into(),
            }),
        }
        out
    }

    /// True when media came back intact and the session ended cleanly (the gateway's stream with
    /// END_REASON_STOPPED; Janus's destroy with success).
    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    /// The probe's own count for the stream the server reported: frames it sent (`In`) or got back
    /// intact (`Out`), one packet each. `None` for a kind the probe did not offer.
    pub fn probe_count(&self, stream: &ServerStream) -> Option<u64> {
        let counts = match stream.kind {
            MediaKind::Audio if self.audio => &self.echo.audio,
            MediaKind::Video if self.video => &self.echo.video,
            _ => return None,
        };
        match stream.direction {
            FlowDirection::In => Some(counts.sent),
            FlowDirection::Out => Some(counts.echoed),
            FlowDirection::Unspecified => None,
        }
    }

    /// From sending the offer (Start; Janus's message) to the first intact echo.
    pub fn first_echo_since_start(&self) -> Option<Duration> {
        self.echo
            .first_echo_after
            .map(|d| self.echo_started_after + d)
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One server stream's line: its counters, then the probe's count for the same stream.
fn server_stream_line(report: &ProbeReport, s: &ServerStream) -> String {
    let probe = match (report.probe_count(s), s.direction) {
        (Some(n), FlowDirection::In) => format!(" (probe sent {n})"),
        (Some(n), _) => format!(" (probe got back {n})"),
        (None, _) => String::new(),
    };
    let or_dash = |d: Option<Duration>| d.map_or_else(|| "-".to_owned(), ms);
    format!(
        "packets {}{probe}, bytes {}, lost {}, jitter {}, RTT {}, {:.1} kbit/s, {}",
        s.packets,
        s.bytes,
        s.packets_lost,
        or_dash(s.jitter),
        or_dash(s.round_trip_time),
        s.bitrate_bps as f64 / 1000.0,
        if s.codec.is_empty() {
            "codec ?"
        } else {
            &s.codec
        }
    )
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.echo;
        writeln!(
            f,
            "media-probe against {} {}  (session {})",
            self.backend, self.gateway, self.session_id
        )?;
        writeln!(
            f,
            "  trickle ICE              {}",
            if self.trickle { "yes" } else { "no" }
        )?;
        writeln!(f, "  setup                    {}", ms(self.start.setup))?;
        writeln!(f, "  offer to answer          {}", ms(self.start.latency))?;
        writeln!(
            f,
            "  candidates               sent {}, received {} on the stream, {} in the answer{}",
            self.local_candidates_sent,
            self.server_candidates,
            self.start.answer_candidates,
            if self.gathering_done {
                ", gathering done"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "  connected after          {}",
            ms(self.echo_started_after + e.connected_after)
        )?;
        let first = self
            .first_echo_since_start()
            .map_or_else(|| "never".to_owned(), ms);
        writeln!(f, "  first echo after offer   {first}")?;
        for (wanted, name, c) in [
            (self.audio, "audio", &e.audio),
            (self.video, "video", &e.video),
        ] {
            if wanted {
                writeln!(
                    f,
                    "  {name} frames             sent {}, echoed {}, duplicates {}",
                    c.sent, c.echoed, c.duplicates
                )?;
            }
        }
        writeln!(f, "  mismatches               {}", e.mismatches)?;
        for example in &e.mismatch_examples {
            writeln!(f, "    {example}")?;
        }
        match e.rtt {
            Some(r) => writeln!(
                f,
                "  RTT                      min {}, median {}, p95 {}, max {}",
                ms(r.min),
                ms(r.median),
                ms(r.p95),
                ms(r.max)
            )?,
            None => writeln!(f, "  RTT                      no echo")?,
        }
        writeln!(f, "  keyframe requests        {}", e.keyframe_requests)?;
        match &self.server_stats {
            None => {}
            Some(Err(error)) => writeln!(
                f,
                "  server stats             GetSessionStats failed (not part of the verdict): {error}"
            )?,
            Some(Ok(streams)) if streams.is_empty() => {
                writeln!(f, "  server stats             none reported")?;
            }
            Some(Ok(streams)) => {
                writeln!(
                    f,
                    "  server stats             GetSessionStats at the end of the echo window"
                )?;
                for s in streams {
                    writeln!(f, "    {:<23}{}", s.label(), server_stream_line(self, s))?;
                }
            }
        }
        match self.backend {
            Backend::Gateway => {
                let ended = self
                    .ended
                    .as_ref()
                    .map_or("no SessionEnded", |(r, _)| r.as_str_name());
                writeln!(
                    f,
                    "  Stop                     released {}, stream ended with {ended}",
                    self.released
                )?;
            }
            Backend::Janus => writeln!(
                f,
                "  destroy                  {}",
                if self.released { "success" } else { "failed" }
            )?,
        }
        for state in &self.states {
            writeln!(f, "    {state}")?;
        }
        let failures = self.failures();
        if failures.is_empty() {
            write!(f, "  verdict                  PASS")
        } else {
            write!(f, "  verdict                  FAIL")?;
            for failure in failures {
                write!(f, "\n    {failure}")?;
            }
            Ok(())
        }
    }
}
