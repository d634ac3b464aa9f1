//! The Kurento calls that build a session, in the order that avoids the tutorial's bugs: create
//! MediaPipeline → mark it with its owner (two `addTag`s) → create WebRtcEndpoint → set its STUN/TURN
//! properties (the link's `endpoint_settings`, when the gateway has servers for the media server) →
//! subscribe its events → connect it to itself → processOffer. (gatherCandidates and the flush of early candidates follow in the
//! actor.) With the `transactions` capability the steps before processOffer travel in one `transaction`,
//! so a pipeline never exists unmarked.
//!
//! The actor may drop this future at any await (its caller left, the gateway drains): the pipeline id is
//! written to `created` the moment it is known, so the actor can still release it; a `create` still in
//! flight is released by the link when its reply finds nobody waiting.

use super::events::{ENDPOINT_EVENTS, PIPELINE_EVENTS};
use crate::error::Error;
use crate::kms::{KmsLink, LinkNotice, Registration};
use crate::owner::Owner;
use kurento::EventType;
use kurento::{Constructor, Method, ObjectId, ObjectRef, Request, ServerInfo, WebRtcEndpointOp};
use serde_json::Value;
use tokio::sync::mpsc;

/// The Kurento objects a session owns. Releasing the pipeline releases the endpoint with it.
#[derive(Clone, Debug)]
pub(crate) struct Objects {
    pub(crate) pipeline: ObjectId,
    pub(crate) endpoint: ObjectId,
    /// The media server listed `iceRestart` in its ServerManager info when the session was set up.
    pub(crate) ice_restart: bool,
}

/// The session-side context setup needs.
pub(crate) struct Setup<'a> {
    pub(crate) link: &'a KmsLink,
    /// Where the link sends this session's events.
    pub(crate) sink: &'a mpsc::Sender<LinkNotice>,
    /// Kept alive for the session's lifetime; dropping one unregisters it.
    pub(crate) registrations: &'a mut Vec<Registration>,
    /// Who the pipeline belongs to, marked on it as it is created.
    pub(crate) owner: &'a Owner,
    /// The pipeline, as soon as it exists: the caller releases it if setup fails or is dropped.
    pub(crate) created: &'a mut Option<ObjectId>,
}

/// Positions in the batched transaction: the pipeline, its two owner marks, then the endpoint.
const ENDPOINT_OP: usize = 3;

fn subscriptions(endpoint: &ObjectRef, pipeline: &ObjectRef) -> Vec<Method> {
    let on = |object: &ObjectRef, ev: &EventType| Method::subscribe(object.clone(), *ev);
    ENDPOINT_EVENTS
        .iter()
        .map(|e| on(endpoint, e))
        .chain(PIPELINE_EVENTS.iter().map(|e| on(pipeline, e)))
        .collect()
}

fn connect_to_itself(endpoint: &ObjectRef) -> Method {
    Method::invoke_op(
        endpoint.clone(),
        WebRtcEndpointOp::Connect {
            sink: endpoint.clone(),
            media_type: None,
        },
    )
}

/// Reads an object id from a `create` result: where a server-made id enters the gateway.
fn id_from(uri: &str, method: &'static str, v: Value) -> Result<ObjectId, Error> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(ObjectId::new(s)),
        other => Err(Error::Protocol {
            uri: uri.into(),
            method,
            detail: format!("expected an object id, got {other}"),
        }),
    }
}

impl Setup<'_> {
    fn uri(&self) -> &str {
        self.link.uri()
    }

    async fn call(&self, method: Method) -> Result<Value, Error> {
        self.link
            .call(method)
            .await
            .map_err(|e| Error::from_kms(self.link.uri(), e))
    }

    fn listen(&mut self, object: &ObjectId) {
        self.registrations
            .push(self.link.register(object.clone(), self.sink.clone()));
    }

    /// Creates, marks, subscribes and connects the session's objects and negotiates `offer`; returns them
    /// with the SDP answer.
    pub(crate) async fn run(mut self, offer: &str) -> Result<(Objects, String), Error> {
        let info = self
            .link
            .server_info_when_up()
            .await
            .map_err(|e| Error::from_kms(self.link.uri(), e))?;
        let mut objects = if info.has_capability(ServerInfo::CAPABILITY_TRANSACTIONS) {
            self.batched().await?
        } else {
            self.one_by_one().await?
        };
        objects.ice_restart = info.has_capability(ServerInfo::CAPABILITY_ICE_RESTART);
        let process_offer = WebRtcEndpointOp::ProcessOffer {
            offer: offer.to_owned(),
        };
        let method = process_offer.to_params().0;
        let answer = self
            .call(Method::invoke_op(&objects.endpoint, process_offer))
            .await
            .and_then(|v| match v {
                Value::String(s) if !s.is_empty() => Ok(s),
                other => Err(Error::Protocol {
                    uri: self.uri().into(),
                    method,
                    detail: format!("expected an SDP answer, got {other}"),
                }),
            })?;
        Ok((objects, answer))
    }

    async fn one_by_one(&mut self) -> Result<Objects, Error> {
        let pipeline = self
            .call(Method::create(&Constructor::MediaPipeline))
            .await
            .and_then(|v| id_from(self.uri(), "create", v))?;
        *self.created = Some(pipeline.clone());
        self.listen(&pipeline);
        // Without transactions the marks follow the create: a gateway killed in between leaves an unmarked
        // pipeline that only the media server's own collection of dead rpc sessions reclaims.
        for m in self.owner.mark(&ObjectRef::from(&pipeline)) {
            self.call(m).await?;
        }
        let endpoint = self
            .call(Method::create(&Constructor::webrtc_endpoint(&pipeline)))
            .await
            .and_then(|v| id_from(self.uri(), "create", v))?;
        // Registered before subscribing, so no event of the endpoint can arrive unrouted.
        self.listen(&endpoint);
        for op in self.link.endpoint_settings() {
            self.call(Method::invoke_op(&endpoint, op.clone())).await?;
        }
        for m in subscriptions(&ObjectRef::from(&endpoint), &ObjectRef::from(&pipeline)) {
            self.call(m).await?;
        }
        self.call(connect_to_itself(&ObjectRef::from(&endpoint)))
            .await?;
        Ok(Objects {
            pipeline,
            endpoint,
            ice_restart: false,
        })
    }

    async fn batched(&mut self) -> Result<Objects, Error> {
        // "newref:N" names operation N's result: the pipeline is operation 0, the endpoint ENDPOINT_OP.
        let (pipeline, endpoint) = (ObjectRef::NewRef(0), ObjectRef::NewRef(ENDPOINT_OP));
        let mut ops = vec![Method::create(&Constructor::MediaPipeline)];
        ops.extend(self.owner.mark(&pipeline));
        ops.push(Method::create(&Constructor::webrtc_endpoint(
            pipeline.clone(),
        )));
        debug_assert_eq!(ops.len(), ENDPOINT_OP + 1);
        ops.extend(
            self.link
                .endpoint_settings()
                .iter()
                .map(|op| Method::invoke_op(endpoint.clone(), op.clone())),
        );
        ops.extend(subscriptions(&endpoint, &pipeline));
        ops.push(connect_to_itself(&endpoint));
        let expected = ops.len();
        let Request { method, .. } = Request::transaction(&ops, None);
        let value = self.call(method).await?;
        let uri: String = self.uri().into();
        let bad = |detail: String| Error::Protocol {
            uri: uri.clone(),
            method: "transaction",
            detail,
        };
        let outcomes = kurento::transaction_results(value).map_err(bad)?;
        // Operations run in order and stop at the first failure, without rollback: whatever was created
        // before the failure is ours to release.
        if let Some(Ok(v)) = outcomes.first() {
            *self.created = Some(id_from(&uri, "create", v.clone())?);
        }
        if let Some(Err(e)) = outcomes.iter().find(|o| o.is_err()) {
            return Err(Error::from_kms(&uri, crate::kms::KmsError::Rpc(e.clone())));
        }
        if outcomes.len() != expected {
            return Err(bad(format!(
                "{} results for {expected} operations",
                outcomes.len()
            )));
        }
        let endpoint = outcomes
            .get(ENDPOINT_OP)
            .and_then(|o| o.clone().ok())
            .ok_or_else(|| bad("no endpoint".into()))
            .and_then(|v| id_from(&uri, "create", v))?;
        // Always there by now: operation 0 succeeded, or a failure or a short result returned above.
        let pipeline = self
            .created
            .clone()
            .ok_or_else(|| bad("no pipeline".into()))?;
        self.listen(&pipeline);
        self.listen(&endpoint);
        Ok(Objects {
            pipeline,
            endpoint,
            ice_restart: false,
        })
    }
}
