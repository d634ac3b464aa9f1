//! WebRtcEndpoint: its constructor and its operations (SDP, ICE, connect, states, stored properties),
//! mapped onto the engine. Engine calls run without the state lock held.

use super::convert::{engine_error, remote_candidate, stats_report};
use super::methods::not_found;
use super::objects::{Class, MediaObject, WebRtcState, new_object_id};
use super::{Core, Ctx, MAX_CANDIDATE_BYTES, MAX_OFFER_BYTES, MAX_SDP_MID_BYTES, properties};
use crate::engine::{Endpoint, EngineError};
use kurento::{
    ErrorCode, IceCandidate, ObjectId, ObjectRef, RpcError, WebRtcEndpointOp, WebRtcEndpointParams,
};
use serde_json::{Map, Value};
use std::sync::Arc;

impl Core {
    /// `create WebRtcEndpoint`: validates the constructor, binds the endpoint's sockets, starts its
    /// event pump, and registers it as a child of its pipeline.
    pub(crate) async fn create_webrtc_endpoint(
        self: &Arc<Self>,
        session: &str,
        params: WebRtcEndpointParams,
        mut cp: Map<String, Value>,
        ctx: Ctx,
    ) -> Result<ObjectId, RpcError> {
        // `recvonly` and `sendonly` are taken and kept with the constructor parameters, and change
        // nothing here: in KMS 7.2 they only set the direction of offers the endpoint *generates*
        // (`offer-dir`, read by `generateOffer`, which this server does not implement), while
        // `processOffer` answers every m-line by RFC 3264's rule whatever they say.
        if params.use_data_channels == Some(true) {
            return Err(RpcError::new(
                ErrorCode::MediaObjectOperationNotSupported,
                "'useDataChannels' is not supported by this media server",
            ));
        }
        // A `newref:` left over here was used outside a transaction: not found, as KMS says.
        let pipeline = params.media_pipeline.into_id();
        {
            let st = self.lock();
            match st.objects.get(&pipeline) {
                Some(o) if o.class == Class::MediaPipeline => {}
                _ => return Err(not_found(&pipeline)),
            }
        }
        let (tx, rx) = self.engine.event_channel();
        let endpoint = self
            .engine
            .create_endpoint(tx)
            .map_err(|e| engine_error(e, &pipeline, ErrorCode::NotEnoughResources))?;
        let id = new_object_id(Class::WebRtcEndpoint, Some(&pipeline));
        // Kept for inspection without the parent, which the object records itself.
        cp.remove("mediaPipeline");
        let mut obj = MediaObject::new(
            Class::WebRtcEndpoint,
            id.clone(),
            Some(pipeline.clone()),
            ctx.now_ms / 1000,
        );
        obj.constructor_params = cp;
        obj.webrtc = Some(WebRtcState::new(endpoint.clone()));
        let inserted = {
            let mut st = self.lock();
            match st.objects.get_mut(&pipeline) {
                Some(parent) => {
                    parent.children.insert(id.clone());
                    st.objects.insert(id.clone(), obj);
                    st.add_ref(session, &id);
                    true
                }
                None => false,
            }
        };
        if !inserted {
            // The pipeline was released while the sockets were being bound.
            endpoint.release().await;
            return Err(not_found(&pipeline));
        }
        self.spawn_event_pump(id.clone(), rx);
        Ok(id)
    }

    fn endpoint_of(&self, id: &ObjectId) -> Result<Endpoint, RpcError> {
        self.lock()
            .objects
            .get(id)
            .and_then(|o| o.webrtc.as_ref())
            .map(|w| w.endpoint.clone())
            .ok_or_else(|| not_found(id))
    }

    /// The WebRtcEndpoint operations (including those of its ancestors up to MediaElement).
    pub(crate) async fn invoke_webrtc(
        self: &Arc<Self>,
        object: &ObjectId,
        op: WebRtcEndpointOp,
        ctx: Ctx,
    ) -> Result<Value, RpcError> {
        let void = |r: Result<(), EngineError>, code| {
            r.map(|()| Value::Null)
                .map_err(|e| engine_error(e, object, code))
        };
        match op {
            WebRtcEndpointOp::ProcessOffer { offer } => {
                if offer.len() > MAX_OFFER_BYTES {
                    return Err(RpcError::new(
                        ErrorCode::SdpParseError,
                        format!(
                            "the offer is too large: {} bytes, at most {MAX_OFFER_BYTES}",
                            offer.len()
                        ),
                    ));
                }
                let ep = self.endpoint_of(object)?;
                let answer = ep.process_offer(&offer).await.map_err(|e| {
                    engine_error(e, object, ErrorCode::SdpEndPointProcessOfferError)
                })?;
                Ok(answer.into())
            }
            WebRtcEndpointOp::GatherCandidates => {
                let ep = self.endpoint_of(object)?;
                // KMS's stunServerAddress/stunServerPort, when the client set them on this endpoint.
                let stun = self
                    .lock()
                    .objects
                    .get(object)
                    .and_then(|o| o.webrtc.as_ref())
                    .and_then(|w| properties::stun_server(&w.properties));
                void(
                    ep.gather_candidates_with(stun).await,
                    ErrorCode::IceGatherCandidatesError,
                )
            }
            WebRtcEndpointOp::AddIceCandidate { candidate } => {
                check_candidate_sizes(&candidate)?;
                let ep = self.endpoint_of(object)?;
                let (candidate, mid, index) = remote_candidate(&candidate);
                void(
                    ep.add_ice_candidate(candidate, mid, index).await,
                    ErrorCode::IceAddCandidateError,
                )
            }
            WebRtcEndpointOp::Connect { sink, .. } => self.link(object, &sink, true).await,
            WebRtcEndpointOp::Disconnect { sink, .. } => self.link(object, &sink, false).await,
            WebRtcEndpointOp::GetLocalSessionDescriptor => {
                let ep = self.endpoint_of(object)?;
                let sdp = ep
                    .local_sdp()
                    .await
                    .map_err(|e| engine_error(e, object, ErrorCode::UnexpectedError))?;
                sdp.map(Value::from).ok_or_else(|| {
                    RpcError::new(
                        ErrorCode::SdpEndPointNoLocalSdpError,
                        "Local SDP not available: the endpoint is not negotiated yet",
                    )
                })
            }
            WebRtcEndpointOp::GetRemoteSessionDescriptor => {
                let ep = self.endpoint_of(object)?;
                let sdp = ep
                    .remote_sdp()
                    .await
                    .map_err(|e| engine_error(e, object, ErrorCode::UnexpectedError))?;
                sdp.map(Value::from).ok_or_else(|| {
                    RpcError::new(
                        ErrorCode::SdpEndPointNoRemoteSdpError,
                        "Remote SDP not available: the endpoint is not negotiated yet",
                    )
                })
            }
            WebRtcEndpointOp::RequestKeyframe => {
                let ep = self.endpoint_of(object)?;
                void(ep.request_keyframe().await, ErrorCode::UnexpectedError)
            }
            WebRtcEndpointOp::GetStats { media_type } => {
                let ep = self.endpoint_of(object)?;
                let streams = ep
                    .stats()
                    .await
                    .map_err(|e| engine_error(e, object, ErrorCode::UnexpectedError))?;
                Ok(stats_report(&streams, media_type, ctx.now_ms).to_value())
            }
            WebRtcEndpointOp::GetMediaState => {
                self.with_state(object, |w| state(w.media_connected).into())
            }
            WebRtcEndpointOp::GetConnectionState => {
                self.with_state(object, |w| state(w.connection_connected).into())
            }
            WebRtcEndpointOp::IsMediaFlowingIn { media_type } => self.with_state(object, |w| {
                w.flowing_in
                    .get(&media_type)
                    .copied()
                    .unwrap_or(false)
                    .into()
            }),
            WebRtcEndpointOp::IsMediaFlowingOut { media_type } => self.with_state(object, |w| {
                w.flowing_out
                    .get(&media_type)
                    .copied()
                    .unwrap_or(false)
                    .into()
            }),
            WebRtcEndpointOp::GetSinkConnections => self.with_state(object, |w| {
                let v: Vec<Value> = w
                    .sinks
                    .iter()
                    .flat_map(|sink| ["AUDIO", "VIDEO"].map(|t| connection_data(object, sink, t)))
                    .collect();
                Value::Array(v)
            }),
            WebRtcEndpointOp::GetProperty(p) => {
                self.with_state(object, |w| properties::get(&w.properties, p))
            }
            WebRtcEndpointOp::SetProperty(p, v) => self.with_state(object, |w| {
                w.properties.insert(p, v);
                Value::Null
            }),
        }
    }

    /// `connect` (or with `on` false, `disconnect`) of `object`'s media to `sink`.
    async fn link(&self, object: &ObjectId, sink: &ObjectRef, on: bool) -> Result<Value, RpcError> {
        let sink_id = sink.clone().into_id();
        let ep = self.endpoint_of(object)?;
        let sink = self.endpoint_of(&sink_id)?;
        let linked = if on {
            ep.connect(&sink).await
        } else {
            ep.disconnect(&sink).await
        };
        linked.map_err(|e| engine_error(e, object, ErrorCode::ConnectError))?;
        if let Some(w) = self
            .lock()
            .objects
            .get_mut(object)
            .and_then(|o| o.webrtc.as_mut())
        {
            if on {
                w.sinks.insert(sink_id);
            } else {
                w.sinks.remove(&sink_id);
            }
        }
        Ok(Value::Null)
    }

    /// Answers from the endpoint's stored state (media/connection states, flow, properties).
    fn with_state(
        &self,
        object: &ObjectId,
        f: impl FnOnce(&mut WebRtcState) -> Value,
    ) -> Result<Value, RpcError> {
        let mut st = self.lock();
        let w = st
            .objects
            .get_mut(object)
            .and_then(|o| o.webrtc.as_mut())
            .ok_or_else(|| not_found(object))?;
        Ok(f(w))
    }
}

/// KMS takes strings of any size; ours are stored per endpoint, so both are bounded.
fn check_candidate_sizes(c: &IceCandidate) -> Result<(), RpcError> {
    for (name, value, max) in [
        ("candidate", &c.candidate, MAX_CANDIDATE_BYTES),
        ("sdpMid", &c.sdp_mid, MAX_SDP_MID_BYTES),
    ] {
        if value.len() > max {
            return Err(RpcError::new(
                ErrorCode::MediaObjectIllegalParamError,
                format!("'{name}' is too long: {} bytes, at most {max}", value.len()),
            ));
        }
    }
    Ok(())
}

fn state(connected: bool) -> &'static str {
    if connected {
        "CONNECTED"
    } else {
        "DISCONNECTED"
    }
}

fn connection_data(source: &ObjectId, sink: &ObjectId, media_type: &str) -> Value {
    let mut m = Map::new();
    m.insert("source".into(), source.as_str().into());
    m.insert("sink".into(), sink.as_str().into());
    m.insert("type".into(), media_type.into());
    m.insert("sourceDescription".into(), "default".into());
    m.insert("sinkDescription".into(), "default".into());
    kurento::types::tagged("ElementConnectionData", m)
}
