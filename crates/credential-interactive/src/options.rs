//! Builder options every credential in this crate shares, and the builder
//! methods that set them.

use std::time::Duration;

use credential_core::ProviderContext;
use credential_core::entra::AllowedTenants;
use credential_core::retry::RetryPolicy;

/// The tenant of user sign-in when none is given: any work or school account.
pub const DEFAULT_TENANT: &str = "organizations";

/// The options behind every builder's `with_tenant_id`, `with_client_id`,
/// `with_authority_host`, `with_additionally_allowed_tenants`,
/// `with_retry_policy`, `with_request_timeout` and `with_context`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommonOptions {
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) authority_host: Option<String>,
    pub(crate) additionally_allowed_tenants: Option<AllowedTenants>,
    pub(crate) retry_policy: Option<RetryPolicy>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) context: Option<ProviderContext>,
    /// User sign-in only: the account signed in before.
    pub(crate) record: Option<crate::AuthenticationRecord>,
    /// User sign-in only: `get_token` may not prompt by itself.
    pub(crate) no_automatic_prompt: bool,
}

/// Adds the shared `with_*` methods to a builder with a `common` field.
macro_rules! common_builder_methods {
    () => {
        /// The Entra ID authority host, e.g. `https://login.microsoftonline.us`.
        /// Default: `AZURE_AUTHORITY_HOST`, else the public cloud. Plain
        /// `http` is refused except for loopback hosts (a local emulator).
        pub fn with_authority_host(mut self, authority_host: impl Into<String>) -> Self {
            self.common.authority_host = Some(authority_host.into());
            self
        }

        /// Tenants besides the configured one that a request's `tenant_id`
        /// may name; `"*"` allows any tenant.
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

        /// How long one try of a token request may take (default 30 s).
        pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.request_timeout = Some(timeout);
            self
        }

        /// The environment, filesystem, clock, HTTP client and process runner
        /// to use (default: `ProviderContext::system()`).
        pub fn with_context(mut self, context: credential_core::ProviderContext) -> Self {
            self.common.context = Some(context);
            self
        }
    };
}

/// Adds `with_tenant_id`, `with_client_id`, `with_authentication_record`
/// and `with_automatic_authentication` to a user sign-in builder.
macro_rules! public_client_builder_methods {
    () => {
        /// The tenant to sign in to (default `organizations`: any work or
        /// school account).
        pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
            self.common.tenant_id = Some(tenant_id.into());
            self
        }

        /// The application (client) id (default: the Azure developer
        /// sign-on application, `04b07795-8ddb-461a-bbee-02f9e1bf7b46`).
        pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
            self.common.client_id = Some(client_id.into());
            self
        }

        /// The account signed in before (from `authenticate`): its tenant
        /// becomes the default tenant and its user name the login hint.
        pub fn with_authentication_record(mut self, record: crate::AuthenticationRecord) -> Self {
            self.common.record = Some(record);
            self
        }

        /// Whether `get_token` may prompt the user by itself (default
        /// `true`). When `false`, it returns an "unavailable" error until
        /// `authenticate` has signed in, and a "sign in again" error when
        /// the refresh token is refused.
        pub fn with_automatic_authentication(mut self, automatic: bool) -> Self {
            self.common.no_automatic_prompt = !automatic;
            self
        }
    };
}

pub(crate) use common_builder_methods;
pub(crate) use public_client_builder_methods;
