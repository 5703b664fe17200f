//! go-plugin's automatic mutual TLS, as Terraform speaks it.
//!
//! Terraform generates a throwaway client certificate for every plugin it starts and passes it in
//! `PLUGIN_CLIENT_CERT`. That certificate is self-signed, marked as a CA, and its key is ECDSA on
//! P-521: neither fits a stock rustls client verifier (webpki refuses a CA certificate as the
//! client's own, and rustls's ring provider cannot verify P-521 signatures). So the plugin pins
//! the exact certificate Terraform sent, and checks the handshake signature with a P-521 verifier
//! of RustCrypto's `p521` next to ring's algorithms. The plugin's own certificate is a
//! self-signed P-256 one for `localhost`, which Terraform trusts because the handshake line
//! carries it.

use std::fmt;
use std::sync::Arc;

use p521::ecdsa::signature::Verifier;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer, SignatureVerificationAlgorithm,
    UnixTime, alg_id,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// ECDSA on P-521 with SHA-512: the signature of go-plugin's client certificates.
#[derive(Debug)]
struct EcdsaP521Sha512;

impl SignatureVerificationAlgorithm for EcdsaP521Sha512 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let signature = p521::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify(message, &signature).map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }
}

static P521_SHA512: EcdsaP521Sha512 = EcdsaP521Sha512;

static P521_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[&P521_SHA512],
    mapping: &[(SignatureScheme::ECDSA_NISTP521_SHA512, &[&P521_SHA512])],
};

/// Accepts exactly the client certificate Terraform put in `PLUGIN_CLIENT_CERT`.
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    /// ring's algorithms, for a client key on another curve or RSA.
    others: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedClientCert").finish_non_exhaustive()
    }
}

impl PinnedClientCert {
    fn algorithms(&self, scheme: SignatureScheme) -> &WebPkiSupportedAlgorithms {
        if scheme == SignatureScheme::ECDSA_NISTP521_SHA512 { &P521_ALGORITHMS } else { &self.others }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hint: Terraform then sends its only certificate.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, self.algorithms(dss.scheme))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, self.algorithms(dss.scheme))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = vec![SignatureScheme::ECDSA_NISTP521_SHA512];
        schemes.extend(self.others.supported_schemes());
        schemes
    }
}

/// The plugin's certificate: self-signed, for `localhost` (the name go-plugin checks), usable as
/// its own CA as go-plugin's certificates are. Returns its DER and PEM, and the key's PEM.
fn plugin_certificate() -> Result<(CertificateDer<'static>, String), String> {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("cannot build the plugin certificate: {e}"))?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = name;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate the plugin key: {e}"))?;
    let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the plugin certificate: {e}"))?;
    Ok((cert.der().clone(), key.serialize_pem()))
}

/// The TLS configuration for serving Terraform, given the PEM of its client certificate; and the
/// DER of the plugin's certificate, for the handshake line.
pub fn server_config(client_cert_pem: &str) -> Result<(Arc<rustls::ServerConfig>, Vec<u8>), String> {
    let expected = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        Arc::new(PinnedClientCert { expected, others: provider.signature_verification_algorithms });
    let (cert, key_pem) = plugin_certificate()?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| format!("cannot read the plugin key: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert.clone()], key)
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    // gRPC runs over HTTP/2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(config), cert.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p521::ecdsa::signature::Signer;

    #[test]
    fn verifies_p521_signatures_and_rejects_tampered_ones() {
        let mut scalar = [7u8; 66];
        scalar[0] = 0;
        let key = p521::ecdsa::SigningKey::from_slice(&scalar).unwrap();
        let public = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        let signature: p521::ecdsa::Signature = key.sign(b"tls 1.3 certificate verify");
        let der = signature.to_der();
        assert!(
            P521_SHA512
                .verify_signature(public.as_bytes(), b"tls 1.3 certificate verify", der.as_bytes())
                .is_ok()
        );
        assert!(P521_SHA512.verify_signature(public.as_bytes(), b"another message", der.as_bytes()).is_err());
        assert!(P521_SHA512.verify_signature(&public.as_bytes()[1..], b"x", der.as_bytes()).is_err());
    }

    #[test]
    fn only_the_pinned_certificate_is_accepted() {
        let (cert, _) = plugin_certificate().unwrap();
        let (other, _) = plugin_certificate().unwrap();
        let verifier = PinnedClientCert {
            expected: cert.clone(),
            others: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        };
        assert!(verifier.verify_client_cert(&cert, &[], UnixTime::now()).is_ok());
        assert!(verifier.verify_client_cert(&other, &[], UnixTime::now()).is_err());
        assert!(verifier.client_auth_mandatory());
        assert_eq!(verifier.supported_verify_schemes()[0], SignatureScheme::ECDSA_NISTP521_SHA512);
    }

    #[test]
    fn server_config_reads_the_client_certificate_pem() {
        let (cert, _) = plugin_certificate().unwrap();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, cert.as_ref())
        );
        let (config, der) = server_config(&pem).unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec()]);
        assert!(!der.is_empty());
        assert!(server_config("not a certificate").is_err());
    }
}
