//! [`CommonOptions`]: the options every Entra ID credential builder shares,
//! and [`common_builder_methods!`](crate::common_builder_methods), which
//! gives a builder with a `common` field their `with_*` methods.

use std::time::Duration;

use url::Url;

use crate::entra::{self, AllowedTenants, TOKEN_REQUEST_TIMEOUT};
use crate::retry::RetryPolicy;
use crate::{CredentialError, Env, ProviderContext};

/// The options behind every builder's `with_authority_host`,
/// `with_additionally_allowed_tenants`, `with_retry_policy`,
/// `with_request_timeout`, `with_background_refresh` and `with_context`.
#[derive(Debug, Clone, Default)]
pub struct CommonOptions {
    /// The authority host, if set.
    pub authority_host: Option<String>,
    /// Tenants besides the configured one, if set.
    pub additionally_allowed_tenants: Option<AllowedTenants>,
    /// How token requests are retried, if set.
    pub retry_policy: Option<RetryPolicy>,
    /// The per-try timeout of token requests, if set.
    pub request_timeout: Option<std::time::Duration>,
    /// The injected context, if set.
    pub context: Option<ProviderContext>,
    /// The persistent second level of the token cache, if set.
    pub persistent_cache: Option<crate::PersistentTokenCache>,
    /// The transport, if set (it replaces the context's).
    pub http_client: Option<crate::SharedHttpClient>,
    /// Whether stale tokens are refreshed in a spawned task, if set
    /// (default: on).
    pub background_refresh: Option<bool>,
}

impl CommonOptions {
    /// The injected context, or the real system, with the transport set by
    /// `with_http_client` if any.
    pub fn context(&self) -> ProviderContext {
        let context = self.context.clone().unwrap_or_else(ProviderContext::system);
        match &self.http_client {
            Some(http) => context.with_http(http.clone()),
            None => context,
        }
    }

    /// Checks a client's ids and these options, and fills in the defaults:
    /// a non-blank valid tenant id, a non-blank client id, a non-zero
    /// timeout, the authority host (option, else `AZURE_AUTHORITY_HOST` in
    /// `env`, else the public cloud). Errors name `credential`.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] naming `credential`: a blank or
    /// malformed tenant id or client id, a zero request timeout, or an authority
    /// host that is not a URL or uses plain `http` off loopback.
    pub fn resolve(
        &self,
        credential: &'static str,
        tenant_id: &str,
        client_id: &str,
        env: &Env,
    ) -> Result<ResolvedOptions, CredentialError> {
        entra::validate_request_timeout(credential, self.request_timeout)?;
        let tenant_id = tenant_id.trim();
        if tenant_id.is_empty() {
            return Err(CredentialError::invalid_configuration(
                credential,
                "the tenant id is blank; pass your Microsoft Entra tenant (directory) id",
            ));
        }
        entra::validate_tenant_id(credential, tenant_id)?;
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(CredentialError::invalid_configuration(
                credential,
                "the client id is blank; pass the application (client) id of your app registration",
            ));
        }
        Ok(ResolvedOptions {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            authority: entra::resolve_authority_host(
                credential,
                self.authority_host.as_deref(),
                env,
            )?,
            allowed_tenants: self
                .additionally_allowed_tenants
                .clone()
                .unwrap_or_default(),
            retry_policy: self.retry_policy.clone().unwrap_or_default(),
            request_timeout: self.request_timeout.unwrap_or(TOKEN_REQUEST_TIMEOUT),
            background_refresh: self.background_refresh.unwrap_or(true),
        })
    }
}

/// [`CommonOptions`] checked and with their defaults, plus the client's ids.
#[derive(Debug, Clone)]
pub struct ResolvedOptions {
    /// The tenant id, trimmed.
    pub tenant_id: String,
    /// The client id, trimmed.
    pub client_id: String,
    /// The authority host, ending in `/`.
    pub authority: Url,
    /// Tenants besides the configured one.
    pub allowed_tenants: AllowedTenants,
    /// How token requests are retried.
    pub retry_policy: RetryPolicy,
    /// The per-try timeout of token requests.
    pub request_timeout: Duration,
    /// Whether stale tokens are refreshed in a spawned task
    /// (`TokenCache::with_background_refresh`).
    pub background_refresh: bool,
}

/// Adds the shared `with_*` methods to a builder with a
/// `common: CommonOptions` field.
#[doc(hidden)]
#[macro_export]
macro_rules! common_builder_methods {
    () => {
        /// The Entra ID authority host, e.g. `https://login.microsoftonline.us`
        /// (`CloudConfiguration::azure_us_government().authority_host()`). Default:
        /// `AZURE_AUTHORITY_HOST`, else the public cloud. Plain `http` is
        /// refused except for loopback hosts.
        pub fn with_authority_host(mut self, authority_host: impl Into<String>) -> Self {
            self.common.authority_host = Some(authority_host.into());
            self
        }

        /// Tenants besides the configured one that a request's `tenant_id` may
        /// name; `"*"` allows any tenant.
        pub fn with_additionally_allowed_tenants<T: Into<String>>(
            mut self,
            tenants: impl IntoIterator<Item = T>,
        ) -> Self {
            self.common.additionally_allowed_tenants = Some(
                $crate::__private::entra::AllowedTenants::new(tenants.into_iter().map(Into::into)),
            );
            self
        }

        /// How token requests are retried (default: 3 retries of 408, 429,
        /// 5xx and connection failures, exponential backoff from 0.8 s).
        pub fn with_retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.common.retry_policy = Some(policy);
            self
        }

        /// How long one try of a token request may take before it is
        /// abandoned as timed out (and retried under the retry policy).
        /// Default: 30 s.
        pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.request_timeout = Some(timeout);
            self
        }

        /// Sends token requests through `http` (default: the process-wide
        /// `ReqwestHttpClient`). A `reqwest::Client` of your own goes through
        /// a small adapter (see `credential_core::HttpClient`) and keeps its
        /// own timeouts. Takes precedence over the context's transport.
        pub fn with_http_client(mut self, http: $crate::SharedHttpClient) -> Self {
            self.common.http_client = Some(http);
            self
        }

        /// The environment, filesystem, clock, HTTP client and process
        /// runner to use (default: `ProviderContext::system()`).
        pub fn with_context(mut self, context: $crate::ProviderContext) -> Self {
            self.common.context = Some(context);
            self
        }

        /// Whether a token inside its refresh window is refreshed in a task
        /// spawned on the caller's tokio runtime while the caller gets the
        /// cached token (`true`, the default), or inline by the caller that
        /// finds it stale (`false`: no task is ever spawned).
        pub fn with_background_refresh(mut self, background: bool) -> Self {
            self.common.background_refresh = Some(background);
            self
        }

        /// Also keeps tokens in this named persistent cache, shared with other
        /// processes, so that a new process reuses a valid token (off by
        /// default). Only access tokens are stored, never the secret,
        /// certificate or assertion.
        pub fn with_persistent_token_cache(mut self, cache: $crate::PersistentTokenCache) -> Self {
            self.common.persistent_cache = Some(cache);
            self
        }
    };
}
