//! `invoke`: finds the object and runs the operation, trying the class's own operations first and
//! the MediaObject ones (id, name, tags, parent, children, creation time) last.

use super::methods::not_found;
use super::objects::{Class, MediaObject};
use super::params::Params;
use super::{Core, Ctx, MAX_TAGS_PER_OBJECT, too_many};
use kurento::{ErrorCode, RpcError, SERVER_MANAGER};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// What an operation handler answers: `Ok(None)` means "not mine", so the next layer can try.
pub(crate) type Outcome = Result<Option<Value>, RpcError>;

pub(crate) fn method_not_found(operation: &str, params: Params<'_>) -> RpcError {
    RpcError::new(
        ErrorCode::MalformedTransaction,
        format!(
            "Method '{operation}' with {} parameters not found",
            params.count()
        ),
    )
}

impl Core {
    pub(crate) async fn invoke(
        self: &Arc<Self>,
        object: &str,
        operation: &str,
        operation_params: Option<&Map<String, Value>>,
        ctx: Ctx,
    ) -> Result<Value, RpcError> {
        let params = Params(operation_params);
        if object == SERVER_MANAGER {
            return self.invoke_manager(operation, params).await;
        }
        let class = self
            .lock()
            .objects
            .get(object)
            .map(|o| o.class)
            .ok_or_else(|| not_found(object))?;
        if class == Class::WebRtcEndpoint
            && let Some(v) = self.invoke_webrtc(object, operation, params, ctx).await?
        {
            return Ok(v);
        }
        let mut st = self.lock();
        let obj = st
            .objects
            .get_mut(object)
            .ok_or_else(|| not_found(object))?;
        media_object_op(obj, operation, params)?.ok_or_else(|| method_not_found(operation, params))
    }
}

/// The operations every MediaObject has.
fn media_object_op(obj: &mut MediaObject, operation: &str, p: Params<'_>) -> Outcome {
    Ok(Some(match operation {
        "getId" => obj.id.clone().into(),
        // KMS names an object after its id until setName is called.
        "getName" => obj.name.clone().unwrap_or_else(|| obj.id.clone()).into(),
        "setName" => {
            obj.name = Some(p.str("name")?.to_owned());
            Value::Null
        }
        "getParent" => obj.parent.clone().map_or(Value::Null, Value::from),
        "getMediaPipeline" => obj.pipeline_id().to_owned().into(),
        "getChildren" => json!(obj.children),
        "getCreationTime" => obj.creation_time.into(),
        "getSendTagsInEvents" => obj.send_tags_in_events.into(),
        "setSendTagsInEvents" => {
            obj.send_tags_in_events = p.opt_bool("sendTagsInEvents")?.ok_or_else(|| {
                super::params::marshall("'sendTagsInEvents' parameter is required")
            })?;
            Value::Null
        }
        "addTag" => {
            let (k, v) = (p.str("key")?, p.str("value")?);
            if !obj.tags.contains_key(k) && obj.tags.len() >= MAX_TAGS_PER_OBJECT {
                return Err(too_many("tags", MAX_TAGS_PER_OBJECT));
            }
            obj.tags.insert(k.to_owned(), v.to_owned());
            Value::Null
        }
        "removeTag" => {
            obj.tags.remove(p.str("key")?);
            Value::Null
        }
        "getTag" => {
            let k = p.str("key")?;
            obj.tags.get(k).cloned().map(Value::from).ok_or_else(|| {
                RpcError::new(
                    ErrorCode::MediaObjectTagKeyNotFound,
                    format!("Tag key '{k}' not found"),
                )
            })?
        }
        "getTags" => Value::Array(obj.tag_values()),
        _ => return Ok(None),
    }))
}
