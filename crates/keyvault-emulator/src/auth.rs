//! The access tokens the emulator issues (HS256 JWTs signed with a key made
//! at start, or kept in the data directory) and their checks on the vault.

use std::sync::Mutex;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The claims of an emulator token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub sub: String,
    pub appid: String,
    pub oid: String,
    pub tid: String,
    pub ver: String,
}

/// Signs and checks tokens.
pub(crate) struct TokenAuthority {
    key: Vec<u8>,
    issuer: String,
    tenant_id: String,
    lifetime: Mutex<Duration>,
    audiences: Vec<String>,
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

/// Normalises an audience or resource: no trailing `/` or `/.default`.
pub(crate) fn normalize_resource(resource: &str) -> String {
    let r = resource.trim();
    let r = r.strip_suffix("/.default").unwrap_or(r);
    r.trim_end_matches('/').to_ascii_lowercase()
}

impl TokenAuthority {
    pub(crate) fn new(
        key: Vec<u8>,
        issuer: String,
        tenant_id: String,
        lifetime: Duration,
        audiences: Vec<String>,
    ) -> Self {
        Self {
            key,
            issuer,
            tenant_id,
            lifetime: Mutex::new(lifetime),
            audiences: audiences.iter().map(|a| normalize_resource(a)).collect(),
        }
    }

    pub(crate) fn lifetime(&self) -> Duration {
        *self.lifetime.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_lifetime(&self, lifetime: Duration) {
        *self.lifetime.lock().unwrap_or_else(|e| e.into_inner()) = lifetime;
    }

    /// Issues a token for `resource` to `subject`, at unix time `now`.
    /// Returns the token and its expiry (unix seconds).
    pub(crate) fn issue(&self, resource: &str, subject: &str, now: i64) -> (String, i64) {
        let lifetime = i64::try_from(self.lifetime().as_secs()).unwrap_or(i64::MAX / 2);
        let exp = now.saturating_add(lifetime);
        let claims = Claims {
            aud: resource.trim_end_matches('/').to_owned(),
            iss: self.issuer.clone(),
            iat: now,
            nbf: now,
            exp,
            sub: subject.to_owned(),
            appid: subject.to_owned(),
            oid: subject.to_owned(),
            tid: self.tenant_id.clone(),
            ver: "2.0".to_owned(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.key),
        )
        // Encoding fixed claims with an HMAC key cannot fail; an empty
        // token would simply be refused later.
        .unwrap_or_default();
        (token, exp)
    }

    /// The `iss` of issued tokens.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs any claims (user sign-in tokens carry more than [`Claims`]).
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&self.key),
        )
        .unwrap_or_default()
    }

    /// Decodes a token this authority issued, unexpired at unix time `now`
    /// (any audience).
    pub(crate) fn decode<T: DeserializeOwned>(&self, token: &str, now: i64) -> Result<T, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let value = jsonwebtoken::decode::<serde_json::Value>(
            token.trim(),
            &DecodingKey::from_secret(&self.key),
            &validation,
        )
        .map_err(|e| format!("not a token of this emulator ({e})"))?
        .claims;
        if value.get("iss").and_then(|v| v.as_str()) != Some(self.issuer.as_str()) {
            return Err("the token's issuer is not this emulator".to_owned());
        }
        if value
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .is_none_or(|exp| now >= exp)
        {
            return Err("the token has expired".to_owned());
        }
        serde_json::from_value(value).map_err(|e| format!("the token lacks user claims ({e})"))
    }

    /// Checks an `Authorization` header value at unix time `now`. The error
    /// is the message of the 401 body.
    #[cfg(test)]
    pub(crate) fn verify(&self, authorization: Option<&str>, now: i64) -> Result<Claims, String> {
        self.verify_also(authorization, now, "")
    }

    /// [`verify`](Self::verify), also accepting the audience `also` (a
    /// named vault's challenge resource).
    pub(crate) fn verify_also(
        &self,
        authorization: Option<&str>,
        now: i64,
        also: &str,
    ) -> Result<Claims, String> {
        const MISSING: &str = "AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token.";
        let value = authorization.map(str::trim).unwrap_or_default();
        let Some((scheme, token)) = value.split_once(' ') else {
            return Err(MISSING.to_owned());
        };
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(MISSING.to_owned());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(
            token.trim(),
            &DecodingKey::from_secret(&self.key),
            &validation,
        )
        .map_err(|e| {
            format!("AKV10016: Bearer token is not valid: signature or format check failed ({e}).")
        })?;
        let claims = data.claims;
        if claims.iss != self.issuer {
            return Err(format!(
                "AKV10032: Invalid issuer. Expected {}.",
                self.issuer
            ));
        }
        if now >= claims.exp {
            return Err("AKV10020: The token has expired.".to_owned());
        }
        if now < claims.nbf {
            return Err("AKV10021: The token is not yet valid.".to_owned());
        }
        let aud = normalize_resource(&claims.aud);
        if !self.audiences.contains(&aud) && (also.is_empty() || aud != normalize_resource(also)) {
            return Err(format!(
                "AKV10022: Invalid audience. Expected one of {:?}, found: {}.",
                self.audiences, claims.aud
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority() -> TokenAuthority {
        TokenAuthority::new(
            vec![7; 32],
            "http://127.0.0.1:1/t/v2.0".to_owned(),
            "t".to_owned(),
            Duration::from_secs(60),
            vec![
                "http://127.0.0.1:1".to_owned(),
                "https://vault.azure.net".to_owned(),
            ],
        )
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let a = authority();
        let (token, exp) = a.issue("https://vault.azure.net", "client", 1_000);
        assert_eq!(exp, 1_060);
        let header = format!("Bearer {token}");
        assert_eq!(a.verify(Some(&header), 1_000).unwrap().sub, "client");
        assert!(
            a.verify(Some(&header), 1_060)
                .unwrap_err()
                .contains("expired")
        );
    }

    #[test]
    fn wrong_audience_signature_or_scheme_is_refused() {
        let a = authority();
        let (token, _) = a.issue("https://storage.azure.com", "client", 1_000);
        let err = a
            .verify(Some(&format!("Bearer {token}")), 1_000)
            .unwrap_err();
        assert!(err.contains("Invalid audience"), "{err}");
        let (good, _) = a.issue("http://127.0.0.1:1/", "client", 1_000);
        let mut tampered = good.clone();
        tampered.push('x');
        assert!(
            a.verify(Some(&format!("Bearer {tampered}")), 1_000)
                .is_err()
        );
        assert!(
            a.verify(Some(&format!("Basic {good}")), 1_000)
                .unwrap_err()
                .contains("AKV10000")
        );
        assert!(a.verify(None, 1_000).unwrap_err().contains("AKV10000"));
    }
}
