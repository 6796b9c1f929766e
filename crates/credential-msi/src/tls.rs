//! Certificate pinning for Service Fabric: its token endpoint presents a
//! self-signed certificate, trusted only when its SHA-1 thumbprint equals
//! `IDENTITY_SERVER_THUMBPRINT` (as MSAL for Python does). The handshake's
//! signature is still verified against that certificate's key, so holding a
//! copy of the (public) certificate is not enough to impersonate the server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credential_core::__private::transport_error_kind;
use credential_core::{
    CredentialError, HttpClient, HttpRequest, HttpResponse, SharedHttpClient, TransportError,
    async_trait,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::NAME;

/// A SHA-1 certificate thumbprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Thumbprint([u8; 20]);

impl Thumbprint {
    /// Parses 40 hexadecimal digits, ignoring spaces, `:`, tabs and line breaks.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for anything but 40
    /// hexadecimal digits (separators aside).
    pub fn parse(text: &str) -> Result<Self, CredentialError> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !matches!(b, b' ' | b':' | b'\t' | b'\r' | b'\n'))
            .collect();
        let invalid = || {
            CredentialError::invalid_configuration(
                NAME,
                "IDENTITY_SERVER_THUMBPRINT is not a SHA-1 thumbprint; set it to the 40 \
                 hexadecimal digits of the Service Fabric cluster's server certificate \
                 thumbprint (as the cluster sets it), or unset it outside Service Fabric",
            )
        };
        if digits.len() != 40 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 20];
        for (i, pair) in digits.chunks(2).enumerate() {
            let hex = std::str::from_utf8(pair).map_err(|_| invalid())?;
            bytes[i] = u8::from_str_radix(hex, 16).map_err(|_| invalid())?;
        }
        Ok(Self(bytes))
    }

    /// The thumbprint of a DER certificate.
    pub fn of(certificate: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate);
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }
}

impl fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Thumbprint({self})")
    }
}

/// A rustls verifier that accepts exactly the certificate with a given
/// thumbprint (whatever its issuer, name or dates) and checks handshake
/// signatures with its key.
#[derive(Debug)]
pub struct ThumbprintVerifier {
    thumbprint: Thumbprint,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ThumbprintVerifier {
    /// A verifier pinning `thumbprint`, with ring's signature algorithms.
    pub fn new(thumbprint: Thumbprint) -> Self {
        Self {
            thumbprint,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for ThumbprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Thumbprint::of(end_entity.as_ref()) == self.thumbprint {
            Ok(ServerCertVerified::assertion())
        } else {
            tracing::warn!(
                expected = %self.thumbprint,
                "the Service Fabric endpoint's certificate does not match IDENTITY_SERVER_THUMBPRINT"
            );
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// An HTTP client that trusts only the server certificate with `thumbprint`.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] when the HTTP client cannot be
/// built.
pub fn pinned_http_client(thumbprint: Thumbprint) -> Result<SharedHttpClient, CredentialError> {
    let failed = |what: String| {
        CredentialError::invalid_configuration(
            NAME,
            format!("could not set up the Service Fabric HTTPS client: {what}"),
        )
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ThumbprintVerifier::new(thumbprint)))
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    Ok(Arc::new(PinnedHttpClient(client)))
}

/// The pinned `reqwest` client as an [`HttpClient`]: its own 30 s timeout
/// unless a request names a per-try timeout.
#[derive(Debug)]
struct PinnedHttpClient(reqwest::Client);

#[async_trait]
impl HttpClient for PinnedHttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut outgoing = reqwest::Request::new(request.method, request.url);
        *outgoing.headers_mut() = request.headers;
        *outgoing.body_mut() = request.body.map(reqwest::Body::from);
        *outgoing.timeout_mut() = request.timeout;
        let response = self.0.execute(outgoing).await.map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_error)?;
        Ok(HttpResponse::new(status, headers, body))
    }
}

fn transport_error(error: reqwest::Error) -> TransportError {
    let kind = transport_error_kind(
        error.is_connect(),
        error.is_timeout(),
        error.is_body() || error.is_decode(),
    );
    TransportError::new(kind, "the Service Fabric token request failed")
        .with_source(error.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_parses_hex_with_separators() {
        let t = Thumbprint::parse("A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D")
            .unwrap();
        assert_eq!(t.to_string(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(Thumbprint::parse("abc").is_err());
    }

    // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d.
    const CERT: &[u8] = b"abc";
    const CERT_SHA1: &str = "A9993E364706816ABA3E25717850C26C9CD0D89D";

    fn verify(
        verifier: &ThumbprintVerifier,
        der: &[u8],
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = ServerName::try_from("localhost").unwrap();
        verifier.verify_server_cert(
            &CertificateDer::from(der.to_vec()),
            &[],
            &name,
            &[],
            UnixTime::since_unix_epoch(Duration::from_secs(1_900_000_000)),
        )
    }

    #[test]
    fn right_thumbprint_is_accepted() {
        let verifier = ThumbprintVerifier::new(Thumbprint::parse(CERT_SHA1).unwrap());
        assert!(verify(&verifier, CERT).is_ok());
    }

    #[test]
    fn wrong_thumbprint_is_refused() {
        let verifier = ThumbprintVerifier::new(Thumbprint::parse(CERT_SHA1).unwrap());
        let err = verify(&verifier, b"abd").unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
        );
        let other = ThumbprintVerifier::new(Thumbprint::parse(&"0".repeat(40)).unwrap());
        assert!(verify(&other, CERT).is_err());
    }

    #[test]
    fn thumbprint_formats() {
        let spaced = "a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d\r\n";
        assert_eq!(Thumbprint::parse(spaced).unwrap(), Thumbprint::of(CERT));
        assert!(Thumbprint::parse(&"g".repeat(40)).is_err());
        assert!(Thumbprint::parse(&"a".repeat(42)).is_err());
    }

    #[test]
    fn pinned_client_builds() {
        assert!(pinned_http_client(Thumbprint::of(CERT)).is_ok());
    }
}
