//! Builder options: the core's [`CommonOptions`] (authority host, allowed
//! tenants, retries, timeout, context) and, for user sign-in, [`SignIn`]
//! with the methods that set it.

pub(crate) use credential_core::__private::builder::CommonOptions;
pub(crate) use credential_core::common_builder_methods;

/// The tenant of user sign-in when none is given: any work or school account.
pub const DEFAULT_TENANT: &str = "organizations";

/// The options of a user sign-in builder besides [`CommonOptions`].
#[derive(Debug, Clone, Default)]
pub(crate) struct SignIn {
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    /// The account signed in before.
    pub(crate) record: Option<crate::AuthenticationRecord>,
    /// `get_token` may not prompt by itself.
    pub(crate) no_automatic_prompt: bool,
}

/// Adds `with_tenant_id`, `with_client_id`, `with_authentication_record`
/// and `with_automatic_authentication` to a builder with a `sign_in` field.
macro_rules! sign_in_builder_methods {
    () => {
        /// The tenant to sign in to (default `organizations`: any work or
        /// school account).
        pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
            self.sign_in.tenant_id = Some(tenant_id.into());
            self
        }

        /// The application (client) id (default: the Azure developer
        /// sign-on application, `04b07795-8ddb-461a-bbee-02f9e1bf7b46`).
        pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
            self.sign_in.client_id = Some(client_id.into());
            self
        }

        /// The account signed in before (from `authenticate`): its tenant
        /// becomes the default tenant and its user name the login hint.
        pub fn with_authentication_record(mut self, record: crate::AuthenticationRecord) -> Self {
            self.sign_in.record = Some(record);
            self
        }

        /// Whether `get_token` may prompt the user by itself (default
        /// `true`). When `false`, it returns an "unavailable" error until
        /// `authenticate` has signed in, and a "sign in again" error when
        /// the refresh token is refused.
        pub fn with_automatic_authentication(mut self, automatic: bool) -> Self {
            self.sign_in.no_automatic_prompt = !automatic;
            self
        }
    };
}

pub(crate) use sign_in_builder_methods;
