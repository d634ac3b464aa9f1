//! The gRPC channel to the gateway: plain HTTP/2 or TLS (system roots plus an optional private CA), connected
//! lazily, and the interceptor that puts the bearer token on every call.

use std::path::Path;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};

use crate::Error;
use crate::config::GatewayToken;

/// The channel every gateway client (MediaSession, health) is built on.
pub(crate) type GatewayChannel = InterceptedService<Channel, BearerToken>;

/// Adds `authorization: Bearer <token>` when a token is configured; passes calls through otherwise.
#[derive(Clone)]
pub(crate) struct BearerToken(Option<MetadataValue<Ascii>>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "BearerToken(<redacted>)"
        } else {
            "BearerToken(none)"
        })
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

impl BearerToken {
    fn new(token: Option<&GatewayToken>) -> Result<Self, Error> {
        let Some(token) = token else {
            return Ok(Self(None));
        };
        let token = token.expose().trim();
        if token.is_empty() {
            return Err(Error::GatewayToken("it is empty".to_owned()));
        }
        let mut value: MetadataValue<Ascii> = format!("Bearer {token}")
            .parse()
            .map_err(|_| Error::GatewayToken("it must be visible ASCII".to_owned()))?;
        // Keeps the token out of any Debug output of the request's metadata.
        value.set_sensitive(true);
        Ok(Self(Some(value)))
    }
}

/// Prepares the channel without connecting, so the bridge serves the page even while the gateway is down.
pub(crate) fn open(
    uri: &str,
    token: Option<&GatewayToken>,
    ca: Option<&Path>,
) -> Result<GatewayChannel, Error> {
    let invalid = |reason: String| Error::GatewayUri {
        uri: uri.to_owned(),
        reason,
    };
    let mut endpoint = Endpoint::from_shared(uri.to_owned())
        .map_err(|e| invalid(e.to_string()))?
        .connect_timeout(Duration::from_secs(5));
    match endpoint.uri().scheme_str() {
        Some("https") => {
            let mut tls = ClientTlsConfig::new().with_enabled_roots();
            if let Some(path) = ca {
                let pem = std::fs::read(path).map_err(|source| Error::GatewayCa {
                    path: path.to_owned(),
                    source,
                })?;
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|e| Error::GatewayTls(e.to_string()))?;
        }
        Some("http") => {
            if ca.is_some() {
                return Err(Error::GatewayTls(
                    "a gateway CA was given but the gateway address is http://; use https://"
                        .into(),
                ));
            }
        }
        _ => return Err(invalid("the scheme must be http:// or https://".to_owned())),
    }
    Ok(InterceptedService::new(
        endpoint.connect_lazy(),
        BearerToken::new(token)?,
    ))
}
