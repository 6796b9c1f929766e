//! [`FromAzureCore`]: an `azure_core::credentials::TokenCredential` as one of
//! ours, so an official credential can sit in our chains.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials as az;
use credential_core::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions};

use crate::convert::{options_to_azure, token_from_azure};
use crate::errors::from_azure_error;

/// The name [`FromAzureCore`] errors carry unless
/// [`FromAzureCore::with_name`] gave another.
pub(crate) const DEFAULT_NAME: &str = "AzureCoreCredential";

/// An `azure_core` credential (for example one from `azure_identity`) as our
/// [`TokenCredential`].
///
/// Errors are mapped by [`crate::from_azure_error`]: text starting with
/// `unavailable: ` makes the error "unavailable" (a chain tries its next
/// credential); every other failure stops a chain.
///
/// `azure_core` 1.x cannot take a tenant or claims with a token request: a
/// requested tenant is ignored (the credential uses its own), and a request
/// carrying a claims challenge fails with [`CredentialError::Authentication`]
/// rather than returning a token the resource has already refused.
///
/// `Debug` shows only the name, never the wrapped credential.
///
/// ```
/// use std::sync::Arc;
/// use credential_azure_core::FromAzureCore;
/// # #[derive(Debug)] struct Official;
/// # #[async_trait::async_trait]
/// # impl azure_core::credentials::TokenCredential for Official {
/// #     async fn get_token(&self, _: &[&str], _: Option<azure_core::credentials::TokenRequestOptions<'_>>)
/// #         -> azure_core::Result<azure_core::credentials::AccessToken> { unimplemented!() }
/// # }
/// let official: Arc<dyn azure_core::credentials::TokenCredential> = Arc::new(Official);
/// let ours = FromAzureCore::new(official).with_name("OfficialCredential");
/// assert_eq!(format!("{ours:?}"), "FromAzureCore { name: \"OfficialCredential\", .. }");
/// ```
#[derive(Clone)]
pub struct FromAzureCore {
    inner: Arc<dyn az::TokenCredential>,
    name: &'static str,
}

impl FromAzureCore {
    /// Wraps `credential`; errors name it `AzureCoreCredential`.
    pub fn new(credential: Arc<dyn az::TokenCredential>) -> Self {
        Self {
            inner: credential,
            name: DEFAULT_NAME,
        }
    }

    /// The name errors carry (for example the official credential's type).
    pub fn with_name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// The wrapped credential.
    pub fn inner(&self) -> &Arc<dyn az::TokenCredential> {
        &self.inner
    }
}

impl fmt::Debug for FromAzureCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromAzureCore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for FromAzureCore {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        if options.claims().is_some() {
            return Err(CredentialError::authentication(
                self.name,
                "the resource sent a claims challenge, and an azure_core credential cannot \
                 take claims with a token request (azure_core 1.x has no field for them); \
                 use one of our credentials for this resource",
            ));
        }
        let azure_options = options_to_azure(options);
        self.inner
            .get_token(scopes, Some(azure_options))
            .await
            .map(|token| token_from_azure(&token))
            .map_err(|error| from_azure_error(self.name, &error))
    }
}
