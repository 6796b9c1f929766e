//! [`TokenRequestOptions`]: per-request knobs for `get_token`.

/// Options for one token request.
///
/// `#[non_exhaustive]`: build it with [`TokenRequestOptions::default`] and the
/// `with_*` methods so new options do not break callers.
///
/// ```
/// use credential_core::TokenRequestOptions;
/// let options = TokenRequestOptions::default().with_tenant_id("contoso.onmicrosoft.com");
/// assert_eq!(options.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TokenRequestOptions {
    /// Ask for a token from this tenant instead of the credential's own; honoured
    /// only where the credential allows it (see `additionally_allowed_tenants`).
    pub tenant_id: Option<String>,
    /// A claims challenge (JSON) from a resource. A request with claims always
    /// goes to the token endpoint; the cache is not consulted.
    pub claims: Option<String>,
    /// Ask for a token that supports Continuous Access Evaluation.
    pub enable_cae: bool,
}

impl TokenRequestOptions {
    /// Sets [`TokenRequestOptions::tenant_id`].
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets [`TokenRequestOptions::claims`].
    pub fn with_claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Sets [`TokenRequestOptions::enable_cae`].
    pub fn with_cae(mut self, enable_cae: bool) -> Self {
        self.enable_cae = enable_cae;
        self
    }

    /// The claims, if any that are not blank.
    pub fn claims(&self) -> Option<&str> {
        self.claims.as_deref().filter(|c| !c.trim().is_empty())
    }

    /// The tenant, if one that is not blank was asked for.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref().filter(|t| !t.trim().is_empty())
    }
}
