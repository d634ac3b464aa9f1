//! `invoke`: finds the object, reads the operation as one of its class's (`kurento::Operation`), and
//! runs it: the ServerManager's, a WebRtcEndpoint's own, or the MediaObject ones every object has.

use super::methods::not_found;
use super::objects::{Class, MediaObject};
use super::{Core, Ctx, MAX_TAGS_PER_OBJECT, too_many};
use kurento::{ErrorCode, MediaObjectOp, ObjectId, Operation, RpcError};
use serde_json::{Map, Value, json};
use std::sync::Arc;

impl Core {
    pub(crate) async fn invoke(
        self: &Arc<Self>,
        object: &ObjectId,
        operation: &str,
        operation_params: Option<&Map<String, Value>>,
        ctx: Ctx,
    ) -> Result<Value, RpcError> {
        let class = if object.is_server_manager() {
            Class::ServerManager
        } else {
            self.lock()
                .objects
                .get(object)
                .map(|o| o.class)
                .ok_or_else(|| not_found(object))?
        };
        match Operation::parse(class, operation, operation_params)? {
            Operation::ServerManager(op) => self.invoke_manager(op).await,
            Operation::WebRtcEndpoint(op) => self.invoke_webrtc(object, op, ctx).await,
            Operation::MediaObject(op) => {
                let mut st = self.lock();
                let obj = st
                    .objects
                    .get_mut(object)
                    .ok_or_else(|| not_found(object))?;
                media_object_op(obj, op)
            }
        }
    }
}

/// The operations every MediaObject has.
fn media_object_op(obj: &mut MediaObject, op: MediaObjectOp) -> Result<Value, RpcError> {
    Ok(match op {
        MediaObjectOp::GetId => obj.id.as_str().into(),
        // KMS names an object after its id until setName is called.
        MediaObjectOp::GetName => obj
            .name
            .clone()
            .unwrap_or_else(|| obj.id.to_string())
            .into(),
        MediaObjectOp::SetName { name } => {
            obj.name = Some(name);
            Value::Null
        }
        MediaObjectOp::GetParent => obj
            .parent
            .as_ref()
            .map_or(Value::Null, |p| p.as_str().into()),
        MediaObjectOp::GetMediaPipeline => obj.pipeline_id().as_str().into(),
        MediaObjectOp::GetChildren => json!(obj.children),
        MediaObjectOp::GetCreationTime => obj.creation_time.into(),
        MediaObjectOp::GetSendTagsInEvents => obj.send_tags_in_events.into(),
        MediaObjectOp::SetSendTagsInEvents { send } => {
            obj.send_tags_in_events = send;
            Value::Null
        }
        MediaObjectOp::AddTag { key, value } => {
            if !obj.tags.contains_key(&key) && obj.tags.len() >= MAX_TAGS_PER_OBJECT {
                return Err(too_many("tags", MAX_TAGS_PER_OBJECT));
            }
            obj.tags.insert(key, value);
            Value::Null
        }
        MediaObjectOp::RemoveTag { key } => {
            obj.tags.remove(&key);
            Value::Null
        }
        MediaObjectOp::GetTag { key } => {
            obj.tags
                .get(&key)
                .cloned()
                .map(Value::from)
                .ok_or_else(|| {
                    RpcError::new(
                        ErrorCode::MediaObjectTagKeyNotFound,
                        format!("Tag key '{key}' not found"),
                    )
                })?
        }
        MediaObjectOp::GetTags => Value::Array(obj.tag_values()),
    })
}
