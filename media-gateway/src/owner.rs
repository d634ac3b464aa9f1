//! Owner marks: the two MediaObject tags every pipeline this gateway creates carries from its creation,
//! naming the gateway instance and the session. Reconciliation reads them back (`getTags`) to find the
//! pipelines this instance owns that no live session holds. Tags are what KMS itself offers for this
//! (`addTag`/`getTags` on every MediaObject, core.kmd.json); they survive a gateway restart because they
//! live on the media server.

use kurento::{MediaObjectOp, Method, ObjectRef};
use serde_json::Value;

/// The tag naming the gateway instance (`--instance-id`).
pub(crate) const INSTANCE_TAG: &str = "media-gateway.instance";
/// The tag naming the MediaSession session the pipeline belongs to.
pub(crate) const SESSION_TAG: &str = "media-gateway.session";

/// Who a pipeline belongs to, as its tags say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) instance: String,
    pub(crate) session: String,
}

impl Owner {
    /// The `addTag` calls that mark `pipeline` as this owner's.
    pub(crate) fn mark(&self, pipeline: &ObjectRef) -> [Method; 2] {
        let tag = |key: &str, value: &str| {
            Method::invoke_op(
                pipeline.clone(),
                MediaObjectOp::AddTag {
                    key: key.to_owned(),
                    value: value.to_owned(),
                },
            )
        };
        [
            tag(INSTANCE_TAG, &self.instance),
            tag(SESSION_TAG, &self.session),
        ]
    }

    /// Reads a `getTags` result (an array of `kurento.Tag` `{key, value}`); `None` when the marks are not
    /// both there (a pipeline someone else made, or one whose marking was cut short).
    pub(crate) fn from_tags(tags: &Value) -> Option<Owner> {
        let find = |key: &str| {
            tags.as_array()?.iter().find_map(|t| {
                (t.get("key")?.as_str()? == key)
                    .then(|| t.get("value")?.as_str().map(str::to_owned))
                    .flatten()
            })
        };
        Some(Owner {
            instance: find(INSTANCE_TAG)?,
            session: find(SESSION_TAG)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurento::{ObjectId, Request};
    use serde_json::json;

    #[test]
    fn marks_read_back_from_tags() {
        let owner = Owner {
            instance: "gw-1".into(),
            session: "s-1".into(),
        };
        let [a, b] = owner.mark(&ObjectRef::from(&ObjectId::new("P")));
        let frame = Request::new(a, None).encode(kurento::Id::from(1));
        assert!(frame.contains(r#""operation":"addTag""#), "{frame}");
        assert!(
            frame.contains(INSTANCE_TAG) && frame.contains("gw-1"),
            "{frame}"
        );
        assert!(
            Request::new(b, None)
                .encode(kurento::Id::from(2))
                .contains("s-1")
        );
        let tags = json!([
            {"__module__": "kurento", "__type__": "Tag", "key": "other", "value": "x"},
            {"__module__": "kurento", "__type__": "Tag", "key": SESSION_TAG, "value": "s-1"},
            {"__module__": "kurento", "__type__": "Tag", "key": INSTANCE_TAG, "value": "gw-1"},
        ]);
        assert_eq!(Owner::from_tags(&tags), Some(owner));
        let half = json!([{"key": INSTANCE_TAG, "value": "gw-1"}]);
        assert_eq!(Owner::from_tags(&half), None);
        assert_eq!(Owner::from_tags(&json!("nope")), None);
        assert_eq!(Owner::from_tags(&json!([{"key": INSTANCE_TAG}])), None);
    }
}
