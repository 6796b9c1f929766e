//! The [`TokenCredential`] trait, its blanket impls, and a closure adapter.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{AccessToken, CredentialError, TokenRequestOptions};

/// Something that can produce an access token for a set of scopes.
///
/// Every credential in this workspace implements it, and every client (such as
/// the Key Vault `SecretClient`) accepts any implementation.
///
/// ```
/// use credential_core::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions};
/// use time::OffsetDateTime;
///
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait::async_trait]
/// impl TokenCredential for Fixed {
///     async fn get_token(
///         &self,
///         _scopes: &[&str],
///         _options: &TokenRequestOptions,
///     ) -> Result<AccessToken, CredentialError> {
///         Ok(AccessToken::new("token", OffsetDateTime::UNIX_EPOCH))
///     }
/// }
/// ```
#[async_trait]
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// Gets a token for `scopes` (for example `https://vault.azure.net/.default`).
    ///
    /// # Errors
    /// A [`CredentialError`] saying why no token could be had:
    /// [`Unavailable`](CredentialError::Unavailable) when the credential is not
    /// set up here (a chain moves on), and otherwise
    /// [`InvalidConfiguration`](CredentialError::InvalidConfiguration),
    /// [`Authentication`](CredentialError::Authentication),
    /// [`DeveloperTool`](CredentialError::DeveloperTool),
    /// [`Transport`](CredentialError::Transport),
    /// [`UnexpectedResponse`](CredentialError::UnexpectedResponse) or, for a
    /// chain, [`ChainFailed`](CredentialError::ChainFailed). Each credential's
    /// documentation says which it returns when.
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError>;
}

// The blanket impls forward the callee's boxed future as it is, rather than
// boxing it a second time (which `#[async_trait]` on these impls would do).
// The signature is the one `#[async_trait]` generates for the trait method.
macro_rules! forward_token_credential {
    ($wrapper:ident) => {
        impl<T: TokenCredential + ?Sized> TokenCredential for $wrapper<T> {
            fn get_token<'life0, 'life1, 'life2, 'life3, 'async_trait>(
                &'life0 self,
                scopes: &'life1 [&'life2 str],
                options: &'life3 TokenRequestOptions,
            ) -> Pin<
                Box<
                    dyn Future<Output = Result<AccessToken, CredentialError>> + Send + 'async_trait,
                >,
            >
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                'life3: 'async_trait,
                Self: 'async_trait,
            {
                (**self).get_token(scopes, options)
            }
        }
    };
}

forward_token_credential!(Arc);
forward_token_credential!(Box);

type BoxedTokenFuture = Pin<Box<dyn Future<Output = Result<AccessToken, CredentialError>> + Send>>;
type TokenFn = dyn Fn(Vec<String>, TokenRequestOptions) -> BoxedTokenFuture + Send + Sync;

/// A credential made from an async closure: see [`token_credential_fn`].
#[derive(Clone)]
pub struct FnCredential {
    name: &'static str,
    f: Arc<TokenFn>,
}

impl fmt::Debug for FnCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCredential")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for FnCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        (self.f)(scopes, options.clone()).await
    }
}

/// Turns an async closure into a [`TokenCredential`] named `name`, for custom
/// token sources and for tests.
///
/// ```
/// use credential_core::{token_credential_fn, AccessToken, TokenCredential, TokenRequestOptions};
/// use time::{Duration, OffsetDateTime};
///
/// let credential = token_credential_fn("MyCredential", |scopes, _options| async move {
///     Ok(AccessToken::new(format!("token-for-{}", scopes[0]), OffsetDateTime::UNIX_EPOCH + Duration::days(1)))
/// });
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let token = rt.block_on(credential.get_token(&["a"], &TokenRequestOptions::default())).unwrap();
/// assert_eq!(token.token.expose_secret(), "token-for-a");
/// ```
pub fn token_credential_fn<F, Fut>(name: &'static str, f: F) -> FnCredential
where
    F: Fn(Vec<String>, TokenRequestOptions) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
{
    FnCredential {
        name,
        f: Arc::new(move |scopes, options| Box::pin(f(scopes, options))),
    }
}
