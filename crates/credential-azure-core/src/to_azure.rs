//! [`AzureCoreCredential`]: one of our credentials as an
//! `azure_core::credentials::TokenCredential`.

use std::sync::Arc;

use azure_core::credentials as az;
use credential_core::TokenCredential;

use crate::convert::{options_from_azure, token_to_azure};
use crate::errors::to_azure_error;

/// Any of our [`TokenCredential`]s as an
/// [`azure_core::credentials::TokenCredential`], for the official Azure SDK
/// clients.
///
/// Scopes pass through unchanged; the token and its expiry are copied (the
/// refresh hint is dropped, `azure_core` has no field for it); errors become
/// `azure_core::Error`s of kind `Credential` (see [`crate::to_azure_error`]).
///
/// ```
/// use std::sync::Arc;
/// use credential_azure_core::AzureCoreCredential;
/// use credential_core::{token_credential_fn, AccessToken};
/// use time::OffsetDateTime;
///
/// let ours = token_credential_fn("Fixed", |_scopes, _options| async {
///     Ok(AccessToken::new("token", OffsetDateTime::UNIX_EPOCH))
/// });
/// let theirs: Arc<dyn azure_core::credentials::TokenCredential> =
///     Arc::new(AzureCoreCredential::new(ours));
/// ```
#[derive(Debug, Clone)]
pub struct AzureCoreCredential<T> {
    inner: T,
}

impl<T: TokenCredential> AzureCoreCredential<T> {
    /// Wraps `credential`.
    pub fn new(credential: T) -> Self {
        Self { inner: credential }
    }

    /// The wrapped credential.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Unwraps the credential.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

#[async_trait::async_trait]
impl<T: TokenCredential> az::TokenCredential for AzureCoreCredential<T> {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<az::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<az::AccessToken> {
        let options = options_from_azure(options.as_ref());
        match self.inner.get_token(scopes, &options).await {
            Ok(token) => Ok(token_to_azure(&token)),
            Err(error) => Err(to_azure_error(error)),
        }
    }
}

/// `credential` as the `Arc<dyn azure_core::credentials::TokenCredential>`
/// every official client takes.
///
/// ```
/// use credential_core::{token_credential_fn, AccessToken};
/// use time::OffsetDateTime;
///
/// let ours = token_credential_fn("Fixed", |_scopes, _options| async {
///     Ok(AccessToken::new("token", OffsetDateTime::UNIX_EPOCH))
/// });
/// let theirs = credential_azure_core::into_azure_core(ours);
/// # let _: std::sync::Arc<dyn azure_core::credentials::TokenCredential> = theirs;
/// ```
pub fn into_azure_core<T>(credential: T) -> Arc<dyn az::TokenCredential>
where
    T: TokenCredential + 'static,
{
    Arc::new(AzureCoreCredential::new(credential))
}
