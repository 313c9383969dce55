//! Which TLS certificates the engine trusts: the roots compiled into the
//! program (webpki-roots) and, beside them, the operating system's store, where
//! a company's TLS-inspecting proxy installs its own CA.
//!
//! Reading the OS store takes milliseconds to tens of milliseconds (a few
//! hundred files on Linux), which `mcp-auth token` and `discover` on loopback
//! must not pay: the store is read at the first certificate to check, once per
//! process, and only for a name that is not this computer's (a loopback name
//! is checked against the built-in roots alone). A plain-http request never
//! reads it.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Built-in roots at once; the OS store joins them when first needed.
#[derive(Debug)]
pub struct LazyRoots {
    provider: Arc<CryptoProvider>,
    built_in: OnceLock<Arc<WebPkiServerVerifier>>,
    with_system: OnceLock<Arc<WebPkiServerVerifier>>,
}

impl LazyRoots {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        LazyRoots { provider, built_in: OnceLock::new(), with_system: OnceLock::new() }
    }

    fn verifier(&self, roots: RootCertStore) -> Arc<WebPkiServerVerifier> {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .expect("the built-in roots are never empty")
    }

    fn built_in(&self) -> &WebPkiServerVerifier {
        self.built_in.get_or_init(|| self.verifier(RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }))
    }

    /// The built-in roots and every certificate of the OS store that parses
    /// (one bad file in the store does not cost the others).
    fn with_system(&self) -> &WebPkiServerVerifier {
        self.with_system.get_or_init(|| {
            let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let found = rustls_native_certs::load_native_certs();
            let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
            self.verifier(roots)
        })
    }

    /// The OS store has been read (the tests check it is read lazily).
    #[cfg(test)]
    fn system_store_read(&self) -> bool {
        self.with_system.get().is_some()
    }
}

fn is_this_computer(name: &ServerName<'_>) -> bool {
    match name {
        ServerName::DnsName(d) => {
            let d = d.as_ref().trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).is_loopback(),
        _ => false,
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verifier = if is_this_computer(server_name) { self.built_in() } else { self.with_system() };
        verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_never_read_the_system_store() {
        let roots = LazyRoots::new(Arc::new(rustls::crypto::ring::default_provider()));
        let junk = CertificateDer::from(vec![0u8; 8]);
        for name in ["localhost", "app.localhost", "127.0.0.1"] {
            let name = ServerName::try_from(name).unwrap();
            assert!(roots.verify_server_cert(&junk, &[], &name, &[], UnixTime::now()).is_err());
        }
        assert!(!roots.system_store_read(), "a loopback name is checked against the built-in roots alone");
        let far = ServerName::try_from("mcp.example.com").unwrap();
        assert!(roots.verify_server_cert(&junk, &[], &far, &[], UnixTime::now()).is_err());
        assert!(roots.system_store_read(), "the first name farther out reads it");
    }
}
