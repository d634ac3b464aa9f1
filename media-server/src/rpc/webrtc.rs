//! WebRtcEndpoint: its constructor and its operations (SDP, ICE, connect, states, stored properties),
//! mapped onto the engine. Engine calls run without the state lock held.

use super::invoke::Outcome;
use super::methods::not_found;
use super::objects::{Class, MediaObject, WebRtcState, new_object_id};
use super::params::{Params, marshall};
use super::properties::property_op;
use super::{Core, Ctx};
use crate::engine::{Endpoint, EngineError};
use kurento::{ErrorCode, IceCandidate, RpcError};
use serde_json::{Map, Value};
use std::sync::Arc;

fn engine_error(e: EngineError, object: &str, fallback: ErrorCode) -> RpcError {
    match e {
        // KMS's exact wording, which clients may match on; the parser's detail goes to the log.
        EngineError::EmptyOffer => RpcError::new(ErrorCode::SdpParseError, "Empty offer not valid"),
        EngineError::InvalidSdp(detail) => {
            tracing::info!(object, "invalid SDP: {detail}");
            RpcError::new(ErrorCode::SdpParseError, "Invalid SDP")
        }
        EngineError::OfferNotNegotiable(d) => RpcError::new(
            ErrorCode::SdpEndPointProcessOfferError,
            format!("Error processing offer: {d}"),
        ),
        EngineError::AlreadyNegotiated => RpcError::new(
            ErrorCode::SdpEndPointAlreadyNegotiated,
            "Endpoint already negotiated",
        ),
        EngineError::Released => not_found(object),
        e @ EngineError::Bind { .. } => RpcError::new(ErrorCode::NotEnoughResources, e.to_string()),
        e => RpcError::new(fallback, e.to_string()),
    }
}

impl Core {
    /// `create WebRtcEndpoint`: validates the constructor, binds the endpoint's sockets, starts its
    /// event pump, and registers it as a child of its pipeline.
    pub(crate) async fn create_webrtc_endpoint(
        self: &Arc<Self>,
        session: &str,
        mut cp: Map<String, Value>,
        ctx: Ctx,
    ) -> Result<String, RpcError> {
        let p = Params(Some(&cp));
        let pipeline = p.str("mediaPipeline")?.to_owned();
        for flag in ["recvonly", "sendonly", "useDataChannels"] {
            if p.opt_bool(flag)? == Some(true) {
                return Err(RpcError::new(
                    ErrorCode::MediaObjectOperationNotSupported,
                    format!("'{flag}' is not supported by this media server"),
                ));
            }
        }
        match p.opt_str("certificateKeyType")? {
            None | Some("RSA" | "ECDSA") => {}
            Some(other) => {
                return Err(marshall(format!(
                    "'certificateKeyType' parameter should be RSA or ECDSA, not '{other}'"
                )));
            }
        }
        p.opt_str("qosDscp")?;
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
        crate::pump::spawn(Arc::clone(self), id.clone(), rx);
        Ok(id)
    }

    fn endpoint_of(&self, id: &str) -> Result<Endpoint, RpcError> {
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
        object: &str,
        operation: &str,
        p: Params<'_>,
        _ctx: Ctx,
    ) -> Outcome {
        let void = |r: Result<(), EngineError>, code| {
            r.map(|()| Some(Value::Null))
                .map_err(|e| engine_error(e, object, code))
        };
        match operation {
            "processOffer" => {
                let offer = p.str("offer")?;
                let ep = self.endpoint_of(object)?;
                let answer = ep.process_offer(offer).await.map_err(|e| {
                    engine_error(e, object, ErrorCode::SdpEndPointProcessOfferError)
                })?;
                Ok(Some(answer.into()))
            }
            "gatherCandidates" => {
                let ep = self.endpoint_of(object)?;
                void(
                    ep.gather_candidates().await,
                    ErrorCode::IceGatherCandidatesError,
                )
            }
            "addIceCandidate" => {
                let c = IceCandidate::from_value(p.value("candidate")?)?;
                let ep = self.endpoint_of(object)?;
                let mid = (!c.sdp_mid.is_empty()).then_some(c.sdp_mid.as_str());
                void(
                    ep.add_ice_candidate(&c.candidate, mid, c.sdp_m_line_index)
                        .await,
                    ErrorCode::IceAddCandidateError,
                )
            }
            "connect" | "disconnect" => {
                let sink_id = p.str("sink")?;
                p.opt_str("mediaType")?;
                let ep = self.endpoint_of(object)?;
                let sink = self.endpoint_of(sink_id)?;
                if operation == "connect" {
                    void(ep.connect(&sink).await, ErrorCode::ConnectError)?;
                } else {
                    void(ep.disconnect(&sink).await, ErrorCode::ConnectError)?;
                }
                if let Some(w) = self
                    .lock()
                    .objects
                    .get_mut(object)
                    .and_then(|o| o.webrtc.as_mut())
                {
                    if operation == "connect" {
                        w.sinks.insert(sink_id.to_owned());
                    } else {
                        w.sinks.remove(sink_id);
                    }
                }
                Ok(Some(Value::Null))
            }
            "getLocalSessionDescriptor" | "getRemoteSessionDescriptor" => {
                let ep = self.endpoint_of(object)?;
                let local = operation == "getLocalSessionDescriptor";
                let sdp = if local {
                    ep.local_sdp().await
                } else {
                    ep.remote_sdp().await
                }
                .map_err(|e| engine_error(e, object, ErrorCode::UnexpectedError))?;
                match sdp {
                    Some(s) => Ok(Some(s.into())),
                    None if local => Err(RpcError::new(
                        ErrorCode::SdpEndPointNoLocalSdpError,
                        "Local SDP not available: the endpoint is not negotiated yet",
                    )),
                    None => Err(RpcError::new(
                        ErrorCode::SdpEndPointNoRemoteSdpError,
                        "Remote SDP not available: the endpoint is not negotiated yet",
                    )),
                }
            }
            "requestKeyframe" => {
                let ep = self.endpoint_of(object)?;
                void(ep.request_keyframe().await, ErrorCode::UnexpectedError)
            }
            _ => self.webrtc_state_op(object, operation, p),
        }
    }

    /// Operations answered from the stored state: media/connection states, flow, properties.
    fn webrtc_state_op(&self, object: &str, operation: &str, p: Params<'_>) -> Outcome {
        let mut st = self.lock();
        let w = st
            .objects
            .get_mut(object)
            .and_then(|o| o.webrtc.as_mut())
            .ok_or_else(|| not_found(object))?;
        let state = |b: bool| if b { "CONNECTED" } else { "DISCONNECTED" };
        match operation {
            "getMediaState" => return Ok(Some(state(w.media_connected).into())),
            "getConnectionState" => return Ok(Some(state(w.connection_connected).into())),
            "isMediaFlowingIn" | "isMediaFlowingOut" => {
                let kind = p.str("mediaType")?;
                if !matches!(kind, "AUDIO" | "VIDEO" | "DATA") {
                    return Err(marshall(format!(
                        "'mediaType' parameter should be AUDIO, VIDEO or DATA, not '{kind}'"
                    )));
                }
                let flows = if operation == "isMediaFlowingIn" {
                    &w.flowing_in
                } else {
                    &w.flowing_out
                };
                return Ok(Some(flows.get(kind).copied().unwrap_or(false).into()));
            }
            "getSinkConnections" => {
                let source = object.to_owned();
                let v: Vec<Value> = w
                    .sinks
                    .iter()
                    .flat_map(|sink| ["AUDIO", "VIDEO"].map(|t| connection_data(&source, sink, t)))
                    .collect();
                return Ok(Some(Value::Array(v)));
            }
            _ => {}
        }
        property_op(&mut w.properties, operation, p)
    }
}

fn connection_data(source: &str, sink: &str, media_type: &str) -> Value {
    let mut m = Map::new();
    m.insert("source".into(), source.into());
    m.insert("sink".into(), sink.into());
    m.insert("type".into(), media_type.into());
    m.insert("sourceDescription".into(), "default".into());
    m.insert("sinkDescription".into(), "default".into());
    kurento::types::tagged("ElementConnectionData", m)
}
