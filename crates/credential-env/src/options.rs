//! Builder options every credential in this crate shares.

use credential_core::entra::AllowedTenants;
use credential_core::retry::RetryPolicy;
use credential_core::{PersistentTokenCache, ProviderContext};

/// The options behind every builder's `with_authority_host`,
/// `with_additionally_allowed_tenants`, `with_retry_policy`,
/// `with_request_timeout` and `with_context`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommonOptions {
    pub(crate) authority_host: Option<String>,
    pub(crate) additionally_allowed_tenants: Option<AllowedTenants>,
    pub(crate) retry_policy: Option<RetryPolicy>,
    pub(crate) request_timeout: Option<std::time::Duration>,
    pub(crate) context: Option<ProviderContext>,
    pub(crate) persistent_cache: Option<PersistentTokenCache>,
}

impl CommonOptions {
    /// The injected context, or the real system.
    pub(crate) fn context(&self) -> ProviderContext {
        self.context.clone().unwrap_or_else(ProviderContext::system)
    }
}

/// Adds the shared `with_*` methods to a builder with a `common` field.
macro_rules! common_builder_methods {
    () => {
        /// The Entra ID authority host, e.g. `https://login.microsoftonline.us`
        /// (`credential_core::entra::AZURE_US_GOVERNMENT`). Default:
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
                credential_core::entra::AllowedTenants::new(tenants.into_iter().map(Into::into)),
            );
            self
        }

        /// How token requests are retried (default: 3 retries of 408, 429,
        /// 5xx and connection failures, exponential backoff from 0.8 s).
        pub fn with_retry_policy(mut self, policy: credential_core::retry::RetryPolicy) -> Self {
            self.common.retry_policy = Some(policy);
            self
        }

        /// How long one try of a token request may take before it is
        /// abandoned as timed out (and retried under the retry policy).
        /// Default: 30 s (`credential_core::entra::TOKEN_REQUEST_TIMEOUT`).
        pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.request_timeout = Some(timeout);
            self
        }

        /// The environment, filesystem, clock and HTTP client to use
        /// (default: `ProviderContext::system()`).
        pub fn with_context(mut self, context: credential_core::ProviderContext) -> Self {
            self.common.context = Some(context);
            self
        }

        /// Also keeps tokens in this named persistent cache, shared with other
        /// processes, so that a new process reuses a valid token (off by
        /// default). Only access tokens are stored, never the secret,
        /// certificate or assertion.
        pub fn with_persistent_token_cache(
            mut self,
            cache: credential_core::PersistentTokenCache,
        ) -> Self {
            self.common.persistent_cache = Some(cache);
            self
        }
    };
}

pub(crate) use common_builder_methods;

/// Adds `with_common` and `named`, with which `EnvironmentCredential` hands a
/// builder (with `common` and `name` fields) its options and its name.
macro_rules! environment_builder_methods {
    () => {
        /// Replaces the shared options (for `EnvironmentCredential`).
        pub(crate) fn with_common(mut self, common: $crate::options::CommonOptions) -> Self {
            self.common = common;
            self
        }

        /// Names the credential in errors (for `EnvironmentCredential`).
        pub(crate) fn named(mut self, name: &'static str) -> Self {
            self.name = name;
            self
        }
    };
}

pub(crate) use environment_builder_methods;
