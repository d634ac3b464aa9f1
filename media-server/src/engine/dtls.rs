//! DTLS for every endpoint from one checked dimpl configuration.
//!
//! str0m's aws-lc-rs backend builds a new `dimpl::Config` for every `Rtc`, and building one runs dimpl's
//! self-check of its crypto provider: key exchanges on X25519, P-256 and P-384 and ECDSA signatures and
//! verifications. perf put that check at most of the media server's CPU per Start (three curves' scalar
//! multiplications per endpoint, before any peer has sent a byte). Nothing in the configuration is per
//! endpoint except the MTU str0m asks for, so it is built (and checked) once per MTU and shared; each
//! endpoint still gets its own DTLS state, and its certificate, SRTP and hashing stay with the stock
//! provider.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use str0m::crypto::dtls::{
    DtlsCert, DtlsImplError, DtlsInstance, DtlsOutput, DtlsProvider, DtlsVersion, ProtocolVersion,
};
use str0m::crypto::{CryptoError, CryptoProvider, from_feature_flags};

/// The stock provider with its DTLS instances made from shared configurations.
pub(super) fn provider() -> CryptoProvider {
    static DTLS: SharedConfigDtls = SharedConfigDtls {
        configs: Mutex::new(Vec::new()),
    };
    CryptoProvider {
        dtls_provider: &DTLS,
        ..from_feature_flags()
    }
}

/// Makes DTLS instances as the stock aws-lc-rs provider does, from a configuration built once per MTU.
#[derive(Debug)]
struct SharedConfigDtls {
    /// By requested MTU; str0m asks with one value per server, so this holds one or two entries.
    configs: Mutex<Vec<(Option<usize>, Arc<dimpl::Config>)>>,
}

impl SharedConfigDtls {
    fn config(&self, mtu: Option<usize>) -> Result<Arc<dimpl::Config>, CryptoError> {
        let mut configs = self.configs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, config)) = configs.iter().find(|(m, _)| *m == mtu) {
            return Ok(Arc::clone(config));
        }
        // As the stock provider: ICE has proved the peer's address before DTLS starts, so a server
        // cookie would only cost a round trip.
        let mut builder = dimpl::Config::builder().use_server_cookie(false);
        if let Some(mtu) = mtu {
            builder = builder.mtu(mtu);
        }
        let config = Arc::new(
            builder
                .build()
                .map_err(|e| CryptoError::Other(format!("DTLS configuration refused: {e}")))?,
        );
        configs.push((mtu, Arc::clone(&config)));
        Ok(config)
    }
}

impl DtlsProvider for SharedConfigDtls {
    fn generate_certificate(&self) -> Option<DtlsCert> {
        from_feature_flags().dtls_provider.generate_certificate()
    }

    fn new_dtls(
        &self,
        cert: &DtlsCert,
        now: Instant,
        dtls_version: DtlsVersion,
        mtu: Option<usize>,
    ) -> Result<Box<dyn DtlsInstance>, CryptoError> {
        let config = self.config(mtu)?;
        let cert = cert.clone();
        let dtls = match dtls_version {
            DtlsVersion::Dtls12 => dimpl::Dtls::new_12(config, cert, now),
            DtlsVersion::Dtls13 => dimpl::Dtls::new_13(config, cert, now),
            DtlsVersion::Auto => dimpl::Dtls::new_auto(config, cert, now),
            other => {
                return Err(CryptoError::Other(format!(
                    "unsupported DTLS version {other}"
                )));
            }
        };
        Ok(Box::new(Instance(dtls)))
    }
}

/// One endpoint's DTLS state; every call goes straight to dimpl.
struct Instance(dimpl::Dtls);

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}

impl DtlsInstance for Instance {
    fn set_active(&mut self, active: bool) {
        self.0.set_active(active);
    }

    fn handle_packet(&mut self, packet: &[u8]) -> Result<(), DtlsImplError> {
        self.0.handle_packet(packet)
    }

    fn poll_output<'a>(&mut self, buf: &'a mut [u8]) -> DtlsOutput<'a> {
        self.0.poll_output(buf)
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsImplError> {
        self.0.handle_timeout(now)
    }

    fn send_application_data(&mut self, data: &[u8]) -> Result<usize, DtlsImplError> {
        self.0.send_application_data(data)
    }

    fn is_active(&self) -> bool {
        self.0.is_active()
    }

    fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.0.protocol_version()
    }

    fn is_closing(&self) -> bool {
        self.0.is_closing()
    }

    fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    fn close(&mut self) -> Result<(), DtlsImplError> {
        self.0.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_configuration_per_mtu_is_built() {
        let dtls = SharedConfigDtls {
            configs: Mutex::new(Vec::new()),
        };
        let a = dtls.config(Some(1150)).unwrap();
        let b = dtls.config(Some(1150)).unwrap();
        let c = dtls.config(None).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(dtls.configs.lock().unwrap().len(), 2);
    }

    #[test]
    fn instances_come_from_the_shared_configuration() {
        let provider = provider();
        let cert = provider.dtls_provider.generate_certificate().unwrap();
        let now = Instant::now();
        for _ in 0..3 {
            let dtls = provider
                .dtls_provider
                .new_dtls(&cert, now, DtlsVersion::Dtls12, Some(1150))
                .unwrap();
            assert!(!dtls.is_closing() && !dtls.is_closed());
        }
    }
}
