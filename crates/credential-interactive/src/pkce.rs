//! PKCE (RFC 7636) and the `state` parameter: random values and the S256
//! challenge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::{CredentialError, Secret};
use ring::rand::{SecureRandom, SystemRandom};

/// A PKCE pair: the verifier (kept) and its S256 challenge (sent).
#[derive(Debug, Clone)]
pub(crate) struct Pkce {
    pub(crate) verifier: Secret,
    pub(crate) challenge: String,
}

impl Pkce {
    /// A new pair: 32 random bytes as base64url (43 characters of
    /// `[A-Za-z0-9-_]`), challenge `base64url(SHA-256(verifier))`.
    pub(crate) fn new(credential: &'static str) -> Result<Self, CredentialError> {
        let verifier = random_string(credential, 32)?;
        let challenge = challenge(&verifier);
        Ok(Self {
            verifier: Secret::new(verifier),
            challenge,
        })
    }
}

/// `base64url(SHA-256(verifier))`, unpadded.
pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// `bytes` random bytes as unpadded base64url.
pub(crate) fn random_string(
    credential: &'static str,
    bytes: usize,
) -> Result<String, CredentialError> {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new().fill(&mut buffer).map_err(|_| {
        CredentialError::invalid_configuration(
            credential,
            "the system's secure random generator failed",
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_url_safe_characters_and_differ() {
        let a = Pkce::new("C").unwrap();
        let b = Pkce::new("C").unwrap();
        let v = a.verifier.expose_secret();
        assert_eq!(v.len(), 43);
        assert!(
            v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge(v));
    }
}
