//! The Kurento calls that build a session, in the order that avoids the tutorial's bugs: create
//! MediaPipeline → create WebRtcEndpoint → subscribe its events → connect it to itself → processOffer.
//! (gatherCandidates and the flush of early candidates follow in the actor.) With the `transactions`
//! capability the steps before processOffer travel in one `transaction`.

use super::events::{ENDPOINT_EVENTS, PIPELINE_EVENTS};
use crate::error::Error;
use crate::kms::{KmsLink, LinkNotice, Registration};
use kurento::{Constructor, Method, ObjectId, ObjectRef, Request, ServerInfo, WebRtcEndpointOp};
use kurento::{EventType, Message};
use serde_json::Value;
use tokio::sync::mpsc;

/// The Kurento objects a session owns. Releasing the pipeline releases the endpoint with it.
#[derive(Clone, Debug)]
pub(crate) struct Objects {
    pub(crate) pipeline: ObjectId,
    pub(crate) endpoint: ObjectId,
}

/// A failed setup: the error for the caller, and the pipeline to release if one was created.
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) created: Option<ObjectId>,
}

/// The session-side context setup needs.
pub(crate) struct Setup<'a> {
    pub(crate) link: &'a KmsLink,
    /// Where the link sends this session's events.
    pub(crate) sink: &'a mpsc::Sender<LinkNotice>,
    /// Kept alive for the session's lifetime; dropping one unregisters it.
    pub(crate) registrations: &'a mut Vec<Registration>,
    /// True once the Start caller has gone: no point taking further steps.
    pub(crate) abandoned: &'a (dyn Fn() -> bool + Sync),
}

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

    fn check_abandoned(&self) -> Result<(), Error> {
        if (self.abandoned)() {
            return Err(Error::Ended("the Start caller went away".into()));
        }
        Ok(())
    }

    /// Creates, subscribes and connects the session's objects and negotiates `offer`; returns them with the
    /// SDP answer.
    pub(crate) async fn run(mut self, offer: &str) -> Result<(Objects, String), Failed> {
        let batched = self
            .link
            .server_info()
            .is_some_and(|i| i.has_capability(ServerInfo::CAPABILITY_TRANSACTIONS));
        let objects = if batched {
            self.batched().await?
        } else {
            self.one_by_one().await?
        };
        let created = Some(objects.pipeline.clone());
        let fail = |error| Failed {
            error,
            created: created.clone(),
        };
        self.check_abandoned().map_err(fail)?;
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
            })
            .map_err(fail)?;
        Ok((objects, answer))
    }

    async fn one_by_one(&mut self) -> Result<Objects, Failed> {
        let pipeline = self
            .call(Method::create(&Constructor::MediaPipeline))
            .await
            .and_then(|v| id_from(self.uri(), "create", v))
            .map_err(|error| Failed {
                error,
                created: None,
            })?;
        let created = Some(pipeline.clone());
        let fail = |error| Failed {
            error,
            created: created.clone(),
        };
        self.listen(&pipeline);
        self.check_abandoned().map_err(fail)?;
        let endpoint = self
            .call(Method::create(&Constructor::webrtc_endpoint(&pipeline)))
            .await
            .and_then(|v| id_from(self.uri(), "create", v))
            .map_err(fail)?;
        // Registered before subscribing, so no event of the endpoint can arrive unrouted.
        self.listen(&endpoint);
        for m in subscriptions(&ObjectRef::from(&endpoint), &ObjectRef::from(&pipeline)) {
            self.check_abandoned().map_err(fail)?;
            self.call(m).await.map_err(fail)?;
        }
        self.check_abandoned().map_err(fail)?;
        self.call(connect_to_itself(&ObjectRef::from(&endpoint)))
            .await
            .map_err(fail)?;
        Ok(Objects { pipeline, endpoint })
    }

    async fn batched(&mut self) -> Result<Objects, Failed> {
        // "newref:N" names operation N's result; the endpoint is operation 1.
        let (pipeline, endpoint) = (ObjectRef::NewRef(0), ObjectRef::NewRef(1));
        let mut ops = vec![
            Method::create(&Constructor::MediaPipeline),
            Method::create(&Constructor::webrtc_endpoint(pipeline.clone())),
        ];
        ops.extend(subscriptions(&endpoint, &pipeline));
        ops.push(connect_to_itself(&endpoint));
        let expected = ops.len();
        let Request { method, .. } = Request::transaction(&ops, None);
        let value = self.call(method).await.map_err(|error| Failed {
            error,
            created: None,
        })?;
        let outcomes = self.outcomes(value).map_err(|error| Failed {
            error,
            created: None,
        })?;
        // Operations run in order and stop at the first failure, without rollback: whatever was created
        // before the failure is ours to release.
        let pipeline = match outcomes.first() {
            Some(Ok(v)) => Some(id_from(self.uri(), "create", v.clone())),
            _ => None,
        }
        .transpose()
        .map_err(|error| Failed {
            error,
            created: None,
        })?;
        let fail = |error| Failed {
            error,
            created: pipeline.clone(),
        };
        if let Some(Err(e)) = outcomes.iter().find(|o| o.is_err()) {
            return Err(fail(Error::from_kms(
                self.uri(),
                crate::kms::KmsError::Rpc(e.clone()),
            )));
        }
        if outcomes.len() != expected {
            return Err(fail(Error::Protocol {
                uri: self.uri().into(),
                method: "transaction",
                detail: format!("{} results for {expected} operations", outcomes.len()),
            }));
        }
        let endpoint = outcomes
            .get(1)
            .and_then(|o| o.clone().ok())
            .ok_or_else(|| {
                fail(Error::Protocol {
                    uri: self.uri().into(),
                    method: "transaction",
                    detail: "no endpoint".into(),
                })
            })
            .and_then(|v| id_from(self.uri(), "create", v).map_err(fail))?;
        // Always there by now: operation 0 succeeded, or a failure or a short result returned above.
        let pipeline = pipeline.unwrap_or_else(|| ObjectId::new(String::new()));
        self.listen(&pipeline);
        self.listen(&endpoint);
        Ok(Objects { pipeline, endpoint })
    }

    /// Reads a transaction's `value`: one full JSON-RPC response per operation that ran.
    fn outcomes(&self, value: Value) -> Result<Vec<Result<Value, kurento::RpcError>>, Error> {
        let bad = |detail: String| Error::Protocol {
            uri: self.uri().into(),
            method: "transaction",
            detail,
        };
        let Value::Array(items) = value else {
            return Err(bad(format!("expected an array of responses, got {value}")));
        };
        items
            .into_iter()
            .map(|item| match Message::from_value(item) {
                Ok(Message::Response(r)) => Ok(r.outcome.map(|result| match result {
                    // Each response's result is `{"sessionId", "value"}` like any other reply.
                    Value::Object(mut m) => m.remove("value").unwrap_or(Value::Null),
                    other => other,
                })),
                Ok(Message::Request(_)) => Err(bad("a request among the responses".into())),
                Err(e) => Err(bad(e.to_string())),
            })
            .collect()
    }
}
