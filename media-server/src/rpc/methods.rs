//! The JSON-RPC methods (`ServerMethods` in KMS): sessions, describe, create, subscribe, release and the rest.
//! `invoke` and `transaction` have their own files.

use super::objects::{Class, MediaObject, new_object_id};
use super::{
    Core, Ctx, MAX_SESSION_ID_BYTES, MAX_SUBSCRIPTIONS_PER_EVENT, new_session_id, too_many,
};
use kurento::jsonrpc::RawRequest;
use kurento::{
    Constructor, ErrorCode, EventData, EventType, Factory, Method, ObjectId, Request, RpcError,
};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// 40101, or 40109 for a `newref:` id used outside a transaction.
pub(crate) fn not_found(id: &ObjectId) -> RpcError {
    if id.looks_like_newref() {
        RpcError::new(
            ErrorCode::MediaObjectNotFoundTransactionNoCommit,
            format!("Object '{id}' not found: 'newref:' ids are only valid inside a transaction"),
        )
    } else {
        RpcError::new(
            ErrorCode::MediaObjectNotFound,
            format!("Object '{id}' not found"),
        )
    }
}

fn invalid_session() -> RpcError {
    RpcError::new(ErrorCode::InvalidSession, "Invalid session")
}

fn session_only(session: &str) -> Value {
    json!({ "sessionId": session })
}

fn with_value(session: &str, value: Value) -> Value {
    json!({ "sessionId": session, "value": value })
}

impl Core {
    /// Runs one request (already carrying any injected session id).
    pub(crate) async fn handle_request(
        self: &Arc<Self>,
        raw: &RawRequest,
        ctx: Ctx,
    ) -> Result<Value, RpcError> {
        let req = Request::parse(raw)?;
        // Plain text from here on: the registry's lookups take `&str`.
        let given = req.session_id.map(String::from);
        if given
            .as_ref()
            .is_some_and(|s| s.len() > MAX_SESSION_ID_BYTES)
        {
            return Err(RpcError::new(
                ErrorCode::ServerError,
                format!("'sessionId' parameter is too long (limit {MAX_SESSION_ID_BYTES} bytes)"),
            ));
        }
        if matches!(
            req.method,
            Method::Describe { .. }
                | Method::Create { .. }
                | Method::Invoke { .. }
                | Method::Subscribe { .. }
                | Method::Ref { .. }
                | Method::Transaction { .. }
        ) {
            self.admit_session(given.as_deref())?;
        }
        let session = || given.clone().unwrap_or_else(|| new_session_id().into());
        match req.method {
            Method::Ping { .. } => Ok(match &given {
                Some(s) => json!({"sessionId": s, "value": "pong"}),
                None => json!({"value": "pong"}),
            }),
            Method::Connect => self.connect(given),
            Method::KeepAlive => {
                let s = given.ok_or_else(|| {
                    RpcError::new(ErrorCode::ServerError, "'sessionId' parameter is required")
                })?;
                let mut st = self.lock();
                if !st.sessions.contains_key(s.as_str()) {
                    return Err(invalid_session());
                }
                st.mark(&s);
                Ok(session_only(&s))
            }
            // Object ids enter here: from now on they are `ObjectId`s.
            Method::Describe { object } => self.describe(&session(), &ObjectId::new(object)),
            Method::Create {
                type_name,
                constructor_params,
                ..
            } => {
                let s = session();
                self.lock().register_session(&s);
                let id = self.create(&s, &type_name, constructor_params, ctx).await?;
                Ok(with_value(&s, id.into_string().into()))
            }
            Method::Invoke {
                object,
                operation,
                operation_params,
            } => {
                let s = session();
                self.lock().register_session(&s);
                let object = ObjectId::new(object);
                let v = self
                    .invoke(&object, &operation, operation_params.as_ref(), ctx)
                    .await?;
                Ok(with_value(&s, v))
            }
            Method::Subscribe { object, event_type } => {
                let s = session();
                let sub = self.subscribe(&s, &ObjectId::new(object), &event_type)?;
                Ok(with_value(&s, sub.into()))
            }
            Method::Unsubscribe {
                object,
                subscription,
            } => {
                let s = session();
                let object = ObjectId::new(object);
                if let Some(table) = self.lock().subscriptions_mut(&object) {
                    for by_session in table.values_mut() {
                        if let Some(ids) = by_session.get_mut(s.as_str()) {
                            ids.remove(&subscription);
                        }
                        by_session.retain(|_, ids| !ids.is_empty());
                    }
                }
                Ok(session_only(&s))
            }
            Method::Release { object } => {
                let s = session();
                let gone = self.lock().remove_tree(&ObjectId::new(object));
                self.finish_release(gone, ctx.now_ms).await;
                Ok(session_only(&s))
            }
            Method::Ref { object } => {
                let s = session();
                let object = ObjectId::new(object);
                let mut st = self.lock();
                if !object.is_server_manager() && !st.objects.contains_key(&object) {
                    return Err(not_found(&object));
                }
                st.add_ref(&s, &object);
                Ok(session_only(&s))
            }
            Method::Unref { object } => {
                let s = session();
                let object = ObjectId::new(object);
                let gone = {
                    let mut st = self.lock();
                    if !object.is_server_manager() && !st.objects.contains_key(&object) {
                        return Err(not_found(&object));
                    }
                    st.unref(&s, &object)
                };
                self.finish_release(gone, ctx.now_ms).await;
                Ok(session_only(&s))
            }
            Method::CloseSession { release } => {
                if let Some(s) = given {
                    let gone = self.lock().drop_session(&s, release);
                    self.finish_release(gone, ctx.now_ms).await;
                }
                Ok(Value::Null)
            }
            Method::Transaction { operations } => {
                let s = session();
                self.lock().register_session(&s);
                let results = self.transaction(&s, operations, ctx).await?;
                Ok(with_value(&s, Value::Array(results)))
            }
        }
    }

    /// Refuses a request that would register one session too many (`None`: a fresh one).
    fn admit_session(&self, session: Option<&str>) -> Result<(), RpcError> {
        let st = self.lock();
        let known = session.is_some_and(|s| st.sessions.contains_key(s));
        if !known && st.sessions.len() >= self.limits.max_sessions {
            return Err(too_many("sessions", self.limits.max_sessions));
        }
        Ok(())
    }

    fn connect(&self, given: Option<String>) -> Result<Value, RpcError> {
        let s = match given {
            Some(s) => {
                let mut st = self.lock();
                if !st.sessions.contains_key(s.as_str()) {
                    return Err(invalid_session());
                }
                st.mark(&s);
                s
            }
            // A fresh id that is only registered once it creates or describes something (as in KMS).
            None => new_session_id().into(),
        };
        Ok(json!({"serverId": self.server_id, "sessionId": s}))
    }

    fn describe(&self, session: &str, object: &ObjectId) -> Result<Value, RpcError> {
        let mut st = self.lock();
        let class = if object.is_server_manager() {
            st.register_session(session);
            Class::ServerManager
        } else {
            let class = st
                .objects
                .get(object)
                .map(|o| o.class)
                .ok_or_else(|| not_found(object))?;
            st.add_ref(session, object);
            class
        };
        Ok(json!({
            "hierarchy": class.hierarchy(),
            "qualifiedType": format!("kurento.{}", class.name()),
            "sessionId": session,
            "type": class.name(),
        }))
    }

    async fn create(
        self: &Arc<Self>,
        session: &str,
        type_name: &str,
        constructor_params: Map<String, Value>,
        ctx: Ctx,
    ) -> Result<ObjectId, RpcError> {
        let factory = Factory::parse(type_name)?;
        if self.lock().objects.len() >= self.limits.max_objects {
            return Err(RpcError::new(
                ErrorCode::NotEnoughResources,
                format!("Too many media objects (limit {})", self.limits.max_objects),
            ));
        }
        let id = match Constructor::parse(factory, &constructor_params)? {
            Constructor::MediaPipeline => {
                let class = factory.class();
                let id = new_object_id(class, None);
                let obj = MediaObject::new(class, id.clone(), None, ctx.now_ms / 1000);
                let mut st = self.lock();
                st.objects.insert(id.clone(), obj);
                st.add_ref(session, &id);
                id
            }
            Constructor::WebRtcEndpoint(params) => {
                self.create_webrtc_endpoint(session, params, constructor_params, ctx)
                    .await?
            }
        };
        tracing::debug!(object = %id, session, "created");
        let created = EventData::ObjectCreated { object: id.clone() };
        self.object_event(created, ctx.now_ms).await;
        Ok(id)
    }
    fn subscribe(
        &self,
        session: &str,
        object: &ObjectId,
        event_type: &str,
    ) -> Result<String, RpcError> {
        let mut st = self.lock();
        st.register_session(session);
        let class = if object.is_server_manager() {
            Class::ServerManager
        } else {
            st.objects
                .get(object)
                .map(|o| o.class)
                .ok_or_else(|| not_found(object))?
        };
        let event = EventType::parse(event_type)
            .filter(|e| class.supports_event(*e))
            .ok_or_else(|| EventType::not_supported(event_type))?;
        let sub = uuid::Uuid::new_v4().to_string();
        if let Some(table) = st.subscriptions_mut(object) {
            let ids = table
                .entry(event)
                .or_default()
                .entry(session.into())
                .or_default();
            if ids.len() >= MAX_SUBSCRIPTIONS_PER_EVENT {
                return Err(too_many(
                    "subscriptions to one event",
                    MAX_SUBSCRIPTIONS_PER_EVENT,
                ));
            }
            ids.insert(sub.clone());
        }
        Ok(sub)
    }
}
