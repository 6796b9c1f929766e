//! The self-signed certificate for `--tls`, made with rcgen (ring), and the
//! rustls server configuration.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::EmulatorError;
use crate::store::write_atomic;

/// The certificate file's name in the data directory.
pub(crate) const CERT_FILE: &str = "tls-cert.pem";
/// The key file's name in the data directory.
pub(crate) const KEY_FILE: &str = "tls-key.pem";

/// A certificate and its private key, as PEM.
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    pub cert_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").finish_non_exhaustive()
    }
}

/// Makes a self-signed certificate for `hosts` (names or IP addresses),
/// loopback and `*.vault.localhost`.
pub(crate) fn generate(hosts: &[String]) -> Result<TlsMaterial, EmulatorError> {
    let mut names: Vec<String> = vec![
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
        // Named vaults: NAME.vault.localhost.
        "*.vault.localhost".into(),
    ];
    for h in hosts {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    let mut params = rcgen::CertificateParams::new(names)
        .map_err(|e| EmulatorError::Tls(format!("certificate parameters: {e}")))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Key Vault emulator (local)");
    let key = rcgen::KeyPair::generate().map_err(|e| EmulatorError::Tls(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| EmulatorError::Tls(e.to_string()))?;
    Ok(TlsMaterial {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Loads the certificate kept in `dir`, or makes one and keeps it there.
pub(crate) async fn load_or_generate(
    dir: Option<&Path>,
    hosts: &[String],
) -> Result<TlsMaterial, EmulatorError> {
    let Some(dir) = dir else {
        return generate(hosts);
    };
    let cert = tokio::fs::read_to_string(dir.join(CERT_FILE)).await;
    let key = tokio::fs::read_to_string(dir.join(KEY_FILE)).await;
    if let (Ok(cert_pem), Ok(key_pem)) = (cert, key) {
        let material = TlsMaterial { cert_pem, key_pem };
        if server_config(&material).is_ok() {
            return Ok(material);
        }
        tracing::warn!("the kept TLS certificate is unusable; making a new one");
    }
    let material = generate(hosts)?;
    write_atomic(dir, KEY_FILE, material.key_pem.as_bytes())
        .and_then(|()| write_atomic(dir, CERT_FILE, material.cert_pem.as_bytes()))
        .map_err(|e| EmulatorError::DataDir(format!("cannot write the TLS certificate: {e}")))?;
    Ok(material)
}

/// The rustls server configuration (ring provider, HTTP/1.1).
pub(crate) fn server_config(
    material: &TlsMaterial,
) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
    let cert = CertificateDer::from_pem_slice(material.cert_pem.as_bytes())
        .map_err(|e| EmulatorError::Tls(format!("certificate PEM: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes())
        .map_err(|e| EmulatorError::Tls(format!("key PEM: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| EmulatorError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .map_err(|e| EmulatorError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
