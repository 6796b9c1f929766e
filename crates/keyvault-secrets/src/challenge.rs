//! Challenge-based authentication: parsing `WWW-Authenticate`, checking the
//! challenge against the vault, and the per-client challenge cache with a
//! single-flight discovery.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use base64::Engine;
use credential_core::__private::per_thread::PerThread;
use credential_core::TokenRequestOptions;
use url::Url;

use crate::error::Error;

/// What a `Bearer` challenge said, keys lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedChallenge {
    params: HashMap<String, String>,
}

impl ParsedChallenge {
    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// `authorization_uri`, else `authorization`.
    pub(crate) fn authorization(&self) -> Option<&str> {
        self.get("authorization_uri")
            .or_else(|| self.get("authorization"))
    }

    /// A CAE claims challenge: `error="insufficient_claims"` with `claims`.
    pub(crate) fn is_claims_challenge(&self) -> bool {
        self.get("error") == Some("insufficient_claims") && self.get("claims").is_some()
    }

    /// The decoded `claims` (base64, padding optional).
    pub(crate) fn claims(&self) -> Result<String, Error> {
        let raw = self
            .get("claims")
            .unwrap_or_default()
            .trim()
            .trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
            .map_err(|_| Error::challenge("the claims challenge's 'claims' is not valid base64"))?;
        String::from_utf8(bytes)
            .map_err(|_| Error::challenge("the claims challenge's 'claims' is not UTF-8 text"))
    }
}

/// Parses a `WWW-Authenticate` header with the `Bearer` scheme. Returns
/// `None` for another scheme or a header with no parameters.
pub(crate) fn parse_www_authenticate(header: &str) -> Option<ParsedChallenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.insert(key.to_ascii_lowercase(), value);
    }
    (!params.is_empty()).then_some(ParsedChallenge { params })
}

/// An accepted challenge: what to ask the credential for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// The token scope: `{resource}/.default`, or the challenge's `scope`.
    pub scope: String,
    /// The tenant from the authorization URI's path, if any.
    pub tenant_id: Option<String>,
    /// What to ask the credential for: this tenant, CAE on (built once,
    /// not per request).
    pub token_options: TokenRequestOptions,
}

impl Challenge {
    /// Turns a parsed challenge into scope and tenant, verifying (unless
    /// `verify` is off) that `vault_host` is the resource's host or a
    /// subdomain of it.
    pub(crate) fn accept(
        parsed: &ParsedChallenge,
        vault_host: &str,
        verify: bool,
    ) -> Result<Self, Error> {
        let (scope, audience) = match (parsed.get("resource"), parsed.get("scope")) {
            (Some(resource), _) => {
                let resource = resource.trim().trim_end_matches('/');
                (format!("{resource}/.default"), resource.to_owned())
            }
            (None, Some(scope)) => (scope.trim().to_owned(), scope.trim().to_owned()),
            (None, None) => {
                return Err(Error::challenge(
                    "the challenge names neither a 'resource' nor a 'scope'",
                ));
            }
        };
        if verify {
            let host = Url::parse(&audience)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    Error::challenge(format!(
                        "the challenge contains an invalid resource '{audience}'"
                    ))
                })?;
            let vault_host = vault_host.to_ascii_lowercase();
            if vault_host != host && !vault_host.ends_with(&format!(".{host}")) {
                return Err(Error::challenge(format!(
                    "the challenge resource '{host}' does not match the vault's host '{vault_host}', so no token was sent. \
                     If the vault really is served under that resource, disable the check with \
                     SecretClientBuilder::with_verify_challenge_resource(false). See https://aka.ms/azsdk/blog/vault-uri"
                )));
            }
        }
        let tenant_id = parsed
            .authorization()
            .and_then(|a| Url::parse(a).ok())
            .and_then(|u| {
                u.path_segments()
                    .and_then(|mut s| s.find(|s| !s.is_empty()).map(str::to_owned))
            })
            .filter(|t| !t.eq_ignore_ascii_case("adfs"));
        let mut token_options = TokenRequestOptions::default().with_cae(true);
        if let Some(tenant) = &tenant_id {
            token_options = token_options.with_tenant_id(tenant.clone());
        }
        Ok(Self {
            scope,
            tenant_id,
            token_options,
        })
    }
}

/// The challenge a client has accepted, and the lock that makes concurrent
/// first requests share one discovery.
#[derive(Debug, Default)]
pub(crate) struct ChallengeCache {
    /// One copy per thread slot: every request clones the challenge, and
    /// one shared `Arc` would have every thread write its count.
    current: ArcSwapOption<PerThread<Arc<Challenge>>>,
    pub(crate) discovery: tokio::sync::Mutex<()>,
}

impl ChallengeCache {
    pub(crate) fn get(&self) -> Option<Arc<Challenge>> {
        self.current
            .load()
            .as_ref()
            .map(|copies| copies.get().clone())
    }

    pub(crate) fn set(&self, challenge: Arc<Challenge>) {
        let copies = PerThread::from_fn(|_| Arc::new(Challenge::clone(&challenge)));
        self.current.store(Some(Arc::new(copies)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KV: &str = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;

    #[test]
    fn parses_key_vault_challenge() {
        let p = parse_www_authenticate(KV).unwrap();
        let c = Challenge::accept(&p, "myvault.vault.azure.net", true).unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/.default");
        assert_eq!(
            c.tenant_id.as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert!(!p.is_claims_challenge());
    }

    #[test]
    fn scope_and_authorization_uri_forms() {
        let p = parse_www_authenticate(
            "Bearer authorization_uri=\"https://login.windows.net/t1/oauth2/authorize\",scope=\"https://managedhsm.azure.net/.default\"",
        )
        .unwrap();
        let c = Challenge::accept(&p, "h.managedhsm.azure.net", true).unwrap();
        assert_eq!(c.scope, "https://managedhsm.azure.net/.default");
        assert_eq!(c.tenant_id.as_deref(), Some("t1"));
    }

    #[test]
    fn foreign_resource_refused_unless_disabled() {
        let p = parse_www_authenticate(
            r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.evil.example""#,
        )
        .unwrap();
        let err = Challenge::accept(&p, "myvault.vault.azure.net", true).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
        // A suffix that is not a whole label does not match either.
        let p2 = parse_www_authenticate(r#"Bearer resource="https://ult.azure.net""#).unwrap();
        assert!(Challenge::accept(&p2, "myvault.vault.azure.net", true).is_err());
        assert!(Challenge::accept(&p, "myvault.vault.azure.net", false).is_ok());
    }

    #[test]
    fn claims_challenge_decodes_without_padding() {
        let p = parse_www_authenticate(
            r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNzI2MDc3NTk1In0sInhtc19jYWVlcnJvciI6eyJ2YWx1ZSI6IjEwMDEyIn19fQ""#,
        )
        .unwrap();
        assert!(p.is_claims_challenge());
        assert_eq!(
            p.claims().unwrap(),
            r#"{"access_token":{"nbf":{"essential":true,"value":"1726077595"},"xms_caeerror":{"value":"10012"}}}"#
        );
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(parse_www_authenticate("Basic realm=\"x\"").is_none());
        assert!(parse_www_authenticate("Bearer").is_none());
        assert!(parse_www_authenticate("").is_none());
        let p = parse_www_authenticate("Bearer ,,, =\"x\" realm").unwrap_or_default();
        assert!(Challenge::accept(&p, "h", true).is_err());
    }

    #[test]
    fn unquoted_values_parse_like_quoted_ones() {
        let p = parse_www_authenticate(
            "Bearer authorization=https://login.microsoftonline.com/t1, resource=https://vault.azure.net",
        )
        .unwrap();
        let c = Challenge::accept(&p, "myvault.vault.azure.net", true).unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/.default");
        assert_eq!(c.tenant_id.as_deref(), Some("t1"));
        // Spaces around '=', upper-case keys and scheme, no space after ','.
        let p = parse_www_authenticate(
            "BEARER RESOURCE = https://vault.azure.net/ ,Authorization_URI=https://login.windows.net/t2/oauth2/authorize",
        )
        .unwrap();
        let c = Challenge::accept(&p, "v.vault.azure.net", true).unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/.default");
        assert_eq!(c.tenant_id.as_deref(), Some("t2"));
        assert_eq!(c.token_options.tenant_id(), Some("t2"));
        assert!(c.token_options.enable_cae);
    }

    #[test]
    fn quoted_values_keep_commas_spaces_and_escapes() {
        let p = parse_www_authenticate(
            r#"Bearer realm="a, b", error_description="say \"hi\"", resource="https://vault.azure.net""#,
        )
        .unwrap();
        assert_eq!(p.get("realm"), Some("a, b"));
        assert_eq!(p.get("error_description"), Some(r#"say "hi""#));
        assert_eq!(p.get("resource"), Some("https://vault.azure.net"));
    }

    #[test]
    fn a_key_without_value_does_not_swallow_the_next_one() {
        let p =
            parse_www_authenticate(r#"Bearer realm resource="https://vault.azure.net""#).unwrap();
        assert_eq!(p.get("resource"), Some("https://vault.azure.net"));
        assert_eq!(p.get("realm"), None);
    }

    #[test]
    fn claims_challenge_needs_both_error_and_claims() {
        let only_error = parse_www_authenticate(r#"Bearer error="insufficient_claims""#).unwrap();
        assert!(!only_error.is_claims_challenge());
        let only_claims = parse_www_authenticate(r#"Bearer claims="e30""#).unwrap();
        assert!(!only_claims.is_claims_challenge());
        let other_error =
            parse_www_authenticate(r#"Bearer error="invalid_token", claims="e30""#).unwrap();
        assert!(!other_error.is_claims_challenge());
        let blank_claims =
            parse_www_authenticate(r#"Bearer error="insufficient_claims", claims=" ""#).unwrap();
        assert!(!blank_claims.is_claims_challenge());
        let both = parse_www_authenticate("Bearer error=insufficient_claims, claims=e30").unwrap();
        assert!(both.is_claims_challenge());
        assert_eq!(both.claims().unwrap(), "{}");
        // Neither names a resource: nothing to ask a token for.
        let err = Challenge::accept(&only_error, "v.vault.azure.net", true).unwrap_err();
        assert!(err.to_string().contains("neither"), "{err}");
    }

    #[test]
    fn claims_accept_padding_url_safe_and_reject_garbage() {
        let claims = |v: &str| {
            parse_www_authenticate(&format!(
                r#"Bearer error="insufficient_claims", claims="{v}""#
            ))
            .unwrap()
            .claims()
        };
        assert_eq!(claims("e30=").unwrap(), "{}");
        assert_eq!(claims("Pz8-").unwrap(), "??>"); // URL-safe alphabet
        assert_eq!(claims("Pz8+").unwrap(), "??>");
        let err = claims("not base64!").unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        let err = claims("_w").unwrap_err(); // 0xFF
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn scope_form_is_used_as_is_and_checked() {
        let p =
            parse_www_authenticate(r#"Bearer scope=" https://vault.azure.net/.default ""#).unwrap();
        let c = Challenge::accept(&p, "v.vault.azure.net", true).unwrap();
        assert_eq!(c.scope, "https://vault.azure.net/.default");
        assert_eq!(c.tenant_id, None);
        assert_eq!(c.token_options.tenant_id(), None);
        let p = parse_www_authenticate(r#"Bearer scope="not a url""#).unwrap();
        let err = Challenge::accept(&p, "v.vault.azure.net", true).unwrap_err();
        assert!(err.to_string().contains("invalid resource"), "{err}");
        assert!(Challenge::accept(&p, "v.vault.azure.net", false).is_ok());
    }

    #[test]
    fn vault_host_matches_exactly_or_as_a_subdomain_any_case() {
        let p = parse_www_authenticate(r#"Bearer resource="https://Vault.Azure.NET""#).unwrap();
        assert!(Challenge::accept(&p, "vault.azure.net", true).is_ok());
        assert!(Challenge::accept(&p, "MyVault.VAULT.azure.net", true).is_ok());
        assert!(Challenge::accept(&p, "myvaultvault.azure.net", true).is_err());
    }

    #[test]
    fn adfs_authority_names_no_tenant() {
        let p = parse_www_authenticate(
            r#"Bearer authorization="https://adfs.contoso.com/adfs", resource="https://vault.azure.net""#,
        )
        .unwrap();
        let c = Challenge::accept(&p, "v.vault.azure.net", true).unwrap();
        assert_eq!(c.tenant_id, None);
        let p = parse_www_authenticate(
            r#"Bearer authorization="https://login.microsoftonline.com//t3/", resource="https://vault.azure.net""#,
        )
        .unwrap();
        let c = Challenge::accept(&p, "v.vault.azure.net", true).unwrap();
        assert_eq!(c.tenant_id.as_deref(), Some("t3"));
    }

    #[test]
    fn challenge_cache_hands_back_what_was_set() {
        let cache = ChallengeCache::default();
        assert!(cache.get().is_none());
        let p = parse_www_authenticate(KV).unwrap();
        let c = Arc::new(Challenge::accept(&p, "v.vault.azure.net", true).unwrap());
        cache.set(Arc::clone(&c));
        assert_eq!(cache.get().as_deref(), Some(&*c));
    }
}
