//! Builder options every credential in this crate shares: the core's
//! [`CommonOptions`] and `with_*` methods, plus the hooks
//! `EnvironmentCredential` uses.

pub(crate) use credential_core::__private::builder::CommonOptions;
pub(crate) use credential_core::common_builder_methods;

use credential_core::__private::entra::{AllowedTenants, validate_allowed_tenants_from};
use credential_core::__private::env_vars::AZURE_ADDITIONALLY_ALLOWED_TENANTS;
use credential_core::{CredentialError, Env};

/// `AZURE_ADDITIONALLY_ALLOWED_TENANTS`, if set, checked: every entry must
/// be `*` or a tenant id.
pub(crate) fn allowed_tenants_from_env(
    credential: &'static str,
    env: &Env,
) -> Result<Option<AllowedTenants>, CredentialError> {
    env.require_unicode(credential, &[AZURE_ADDITIONALLY_ALLOWED_TENANTS])?;
    let Some(list) = env.get(AZURE_ADDITIONALLY_ALLOWED_TENANTS) else {
        return Ok(None);
    };
    validate_allowed_tenants_from(credential, AZURE_ADDITIONALLY_ALLOWED_TENANTS, &list)?;
    Ok(Some(AllowedTenants::parse(&list)))
}

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
