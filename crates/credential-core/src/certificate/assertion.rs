//! The client assertion: a PS256 JWT signed with the certificate's key.

use crate::{CredentialError, Secret};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use time::OffsetDateTime;
use url::Url;

use super::load::ClientCertificate;

/// How long an assertion is valid.
pub const ASSERTION_LIFETIME_SECONDS: i64 = 600;

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// A fresh assertion for `audience` (the token endpoint): header `alg`
/// PS256, `typ` JWT, `x5t#S256`, and `x5c` (leaf first) when `send_chain`;
/// claims `aud`, `iss` = `sub` = client id, a new `jti`, `nbf` = `iat` =
/// now, `exp` = now + 600 s.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] when the key cannot sign (it is
/// not an RSA key usable for PS256).
pub fn sign_assertion(
    credential: &'static str,
    certificate: &ClientCertificate,
    client_id: &str,
    audience: &Url,
    now: OffsetDateTime,
    send_chain: bool,
) -> Result<Secret, CredentialError> {
    let mut header = Header::new(Algorithm::PS256);
    header.x5t_s256 = Some(certificate.thumbprint_sha256());
    if send_chain {
        header.x5c = Some(
            certificate
                .chain_der()
                .iter()
                .map(|der| STANDARD.encode(der))
                .collect(),
        );
    }
    let iat = now.unix_timestamp();
    let claims = Claims {
        aud: audience.as_str(),
        iss: client_id,
        sub: client_id,
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: iat,
        iat,
        exp: iat + ASSERTION_LIFETIME_SECONDS,
    };
    let key = EncodingKey::from_rsa_der(certificate.key_pkcs1());
    jsonwebtoken::encode(&header, &claims, &key)
        .map(Secret::new)
        .map_err(|e| {
            CredentialError::invalid_configuration(
                credential,
                format!("could not sign the client assertion with the certificate's key ({e})"),
            )
        })
}
