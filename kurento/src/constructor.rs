//! What `create` makes: one typed constructor per factory, with its `constructorParams` encoding and
//! KMS's validation messages for decoding them.

use crate::class::Factory;
use crate::error::RpcError;
use crate::ids::ObjectRef;
use crate::params::{Params, marshall};
use serde_json::{Map, Value};

/// A `create` request's `type` and `constructorParams`, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Constructor {
    /// `type: "MediaPipeline"`, which takes no `constructorParams`.
    MediaPipeline,
    /// `type: "WebRtcEndpoint"`, with its constructor parameters.
    WebRtcEndpoint(WebRtcEndpointParams),
}

/// The WebRtcEndpoint constructor's parameters (`None`: left out, KMS's default applies).
#[derive(Clone, Debug, PartialEq)]
pub struct WebRtcEndpointParams {
    /// The pipeline the endpoint lives in (a `newref:` inside a transaction).
    pub media_pipeline: ObjectRef,
    /// `recvonly`: make a single-direction, receive-only endpoint.
    pub recvonly: Option<bool>,
    /// `sendonly`: make a single-direction, send-only endpoint.
    pub sendonly: Option<bool>,
    /// `useDataChannels`: turn on WebRTC data channel support.
    pub use_data_channels: Option<bool>,
    /// `certificateKeyType`: the key type of the endpoint's DTLS certificate.
    pub certificate_key_type: Option<CertificateKeyType>,
    /// `qosDscp`: the DSCP value for traffic the endpoint sends. Read as a string and not interpreted further.
    pub qos_dscp: Option<String>,
}

/// The DTLS certificate an endpoint generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateKeyType {
    /// An RSA key, `"RSA"` on the wire.
    Rsa,
    /// An ECDSA key, `"ECDSA"` on the wire.
    Ecdsa,
}

impl CertificateKeyType {
    /// The `certificateKeyType` string KMS expects.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKeyType::Rsa => "RSA",
            CertificateKeyType::Ecdsa => "ECDSA",
        }
    }
}

impl Constructor {
    /// A WebRtcEndpoint in `pipeline` with every other parameter left to its default.
    pub fn webrtc_endpoint(pipeline: impl Into<ObjectRef>) -> Self {
        Constructor::WebRtcEndpoint(WebRtcEndpointParams {
            media_pipeline: pipeline.into(),
            recvonly: None,
            sendonly: None,
            use_data_channels: None,
            certificate_key_type: None,
            qos_dscp: None,
        })
    }

    /// The factory `create` names in `type` for this constructor.
    pub fn factory(&self) -> Factory {
        match self {
            Constructor::MediaPipeline => Factory::MediaPipeline,
            Constructor::WebRtcEndpoint(_) => Factory::WebRtcEndpoint,
        }
    }

    /// `constructorParams` (empty for a pipeline, which [`crate::Request::params`] then leaves out).
    pub fn to_params(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Constructor::WebRtcEndpoint(p) = self {
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            };
            put("mediaPipeline", Some(p.media_pipeline.to_wire().into()));
            put("recvonly", p.recvonly.map(Value::from));
            put("sendonly", p.sendonly.map(Value::from));
            put("useDataChannels", p.use_data_channels.map(Value::from));
            put(
                "certificateKeyType",
                p.certificate_key_type.map(|c| c.as_str().into()),
            );
            put("qosDscp", p.qos_dscp.clone().map(Value::from));
        }
        m
    }

    /// Reads the constructor of `factory` as KMS does: a WebRtcEndpoint requires `mediaPipeline`
    /// (a string), and each optional parameter must have its declared type.
    pub fn parse(factory: Factory, params: &Map<String, Value>) -> Result<Self, RpcError> {
        let p = Params(Some(params));
        Ok(match factory {
            Factory::MediaPipeline => Constructor::MediaPipeline,
            Factory::WebRtcEndpoint => Constructor::WebRtcEndpoint(WebRtcEndpointParams {
                media_pipeline: ObjectRef::parse(p.str("mediaPipeline")?),
                recvonly: p.opt_bool("recvonly")?,
                sendonly: p.opt_bool("sendonly")?,
                use_data_channels: p.opt_bool("useDataChannels")?,
                certificate_key_type: match p.opt_str("certificateKeyType")? {
                    None => None,
                    Some("RSA") => Some(CertificateKeyType::Rsa),
                    Some("ECDSA") => Some(CertificateKeyType::Ecdsa),
                    Some(other) => {
                        return Err(marshall(format!(
                            "'certificateKeyType' parameter should be RSA or ECDSA, not '{other}'"
                        )));
                    }
                },
                qos_dscp: p.opt_str("qosDscp")?.map(str::to_owned),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_back_what_it_writes() {
        let c = Constructor::webrtc_endpoint(ObjectRef::NewRef(0));
        assert_eq!(
            c.to_params(),
            *json!({"mediaPipeline":"newref:0"}).as_object().unwrap()
        );
        assert_eq!(Constructor::parse(c.factory(), &c.to_params()).unwrap(), c);
        assert!(Constructor::MediaPipeline.to_params().is_empty());
        let e = Constructor::parse(Factory::WebRtcEndpoint, &Map::new()).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (40001, "'mediaPipeline' parameter is required")
        );
        let bad = json!({"mediaPipeline":"P","certificateKeyType":"DSA"});
        let e = Constructor::parse(Factory::WebRtcEndpoint, bad.as_object().unwrap()).unwrap_err();
        assert_eq!(
            e.message,
            "'certificateKeyType' parameter should be RSA or ECDSA, not 'DSA'"
        );
    }
}
