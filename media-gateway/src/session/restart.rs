//! RestartIce, the second half of the actor's `impl` that handles it: the new offer's ICE credentials
//! are checked here, the session's media server must list `iceRestart` (KMS 7.2 does not: it refuses a
//! second processOffer), then processOffer on the same WebRtcEndpoint and gatherCandidates again, so the
//! server's candidates for the new credentials follow on StreamCandidates as the first ones did.

use super::actor::Actor;
use super::setup::Objects;
use crate::error::Error;
use kurento::{Method, WebRtcEndpointOp};
use serde_json::Value;

/// The first `a=ice-ufrag` of `sdp` (session or media level), if it has a non-empty one.
pub(super) fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(str::trim)
        .filter(|u| !u.is_empty())
}

/// Checks that `offer` restarts ICE: it names ICE credentials, and a ufrag other than `current`
/// (RFC 8445 section 9 lets a restart change only the pwd, but browsers always change both, and the
/// ufrag is what tells the two ICE sessions' checks apart). Returns the new ufrag.
pub(super) fn check_offer<'a>(current: Option<&str>, offer: &'a str) -> Result<&'a str, Error> {
    let has_pwd = offer
        .lines()
        .filter_map(|l| l.strip_prefix("a=ice-pwd:"))
        .any(|p| !p.trim().is_empty());
    let ufrag = ice_ufrag(offer).filter(|_| has_pwd).ok_or_else(|| {
        Error::InvalidArgument(
            "sdp_offer has no a=ice-ufrag and a=ice-pwd; an ICE restart offer carries new ICE \
             credentials (RTCPeerConnection.restartIce(), then createOffer)"
                .into(),
        )
    })?;
    if current == Some(ufrag) {
        return Err(Error::InvalidArgument(
            "sdp_offer has the session's current a=ice-ufrag, so it is not an ICE restart; \
             restart ICE with new credentials"
                .into(),
        ));
    }
    Ok(ufrag)
}

impl Actor {
    /// Renegotiates ICE on the session's endpoint; the media server's answer.
    pub(super) async fn restart_ice(
        &mut self,
        offer: String,
        objects: &Objects,
    ) -> Result<String, Error> {
        let ufrag = check_offer(self.remote_ufrag.as_deref(), &offer)?.to_owned();
        if !objects.ice_restart {
            return Err(Error::CannotRenegotiate(
                "the media server holding this session cannot restart ICE \
                 (StartResponse.capabilities.ice_restart is false); Stop this session and Start a \
                 new one with a fresh offer"
                    .into(),
            ));
        }
        let process_offer = WebRtcEndpointOp::ProcessOffer { offer };
        let method = process_offer.to_params().0;
        let answer = match self
            .call(Method::invoke_op(&objects.endpoint, process_offer))
            .await?
        {
            Value::String(s) if !s.is_empty() => s,
            other => {
                return Err(Error::Protocol {
                    uri: self.link.uri().into(),
                    method,
                    detail: format!("expected an SDP answer, got {other}"),
                });
            }
        };
        self.remote_ufrag = Some(ufrag);
        // The caller's candidates of the new ICE session count afresh (the media server dropped the
        // old ones), as do the server's in the replay.
        self.candidates_taken = 0;
        self.watchers.restart_ice();
        let gather = Method::invoke_op(&objects.endpoint, WebRtcEndpointOp::GatherCandidates);
        // The answer holds the candidates the server already has, so a failed gather costs only
        // their trickled copies.
        if let Err(e) = self.call(gather).await {
            tracing::warn!(error = %e, "gatherCandidates after the ICE restart failed");
        }
        tracing::info!("ICE restarted");
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_offer_needs_new_credentials() {
        let offer = "v=0\r\na=ice-ufrag:new1\r\na=ice-pwd:pppppppppppppppppppppp\r\n";
        assert_eq!(check_offer(Some("old1"), offer).ok(), Some("new1"));
        assert_eq!(check_offer(None, offer).ok(), Some("new1"));
        assert!(matches!(
            check_offer(Some("new1"), offer),
            Err(Error::InvalidArgument(_))
        ));
        for bad in [
            "v=0\r\n",
            "v=0\r\na=ice-ufrag:x\r\n",
            "v=0\r\na=ice-ufrag: \r\na=ice-pwd:y\r\n",
            "v=0\r\na=ice-ufrag:x\r\na=ice-pwd:\r\n",
        ] {
            assert!(
                matches!(
                    check_offer(Some("old"), bad),
                    Err(Error::InvalidArgument(_))
                ),
                "{bad:?}"
            );
        }
    }
}
