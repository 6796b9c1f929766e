//! [`get_bearer_token_provider`]: a credential as a plain async function
//! that returns a bearer token, for clients outside this workspace.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{CredentialError, TokenCredential, TokenRequestOptions};

/// What a bearer token provider returns: the token, or why there is none.
pub type BearerTokenFuture = Pin<Box<dyn Future<Output = Result<String, CredentialError>> + Send>>;

/// A cheap, cloneable `Fn() -> Future<Output = Result<String, CredentialError>>`
/// that gets a token for `scopes` from `credential` (through its cache) and
/// returns the bare token, for clients that know nothing of
/// [`TokenCredential`]: reqwest middleware, tonic interceptors, anything
/// that sets `Authorization: Bearer …` itself. Cloning it clones an `Arc`.
///
/// `credential` is any credential, taken by value (credentials are cheap to
/// clone); an `Arc<dyn TokenCredential>` you already hold works too.
///
/// The token is a secret: put it in the header and nowhere else. It comes
/// as a plain `String`, as JavaScript's `getBearerTokenProvider` returns a
/// string, because what it serves (a header setter) takes one; unlike
/// [`AccessToken`](crate::AccessToken)'s [`Secret`](crate::Secret) it is
/// not kept out of `Debug` nor wiped when dropped.
///
/// ```
/// use credential_core::{get_bearer_token_provider, token_credential_fn, AccessToken};
/// use time::OffsetDateTime;
///
/// // Any credential: DefaultAzureCredential in a real program.
/// let credential = token_credential_fn("Example", |_scopes, _options| async {
///     Ok(AccessToken::new("eyJ0eXAi", OffsetDateTime::UNIX_EPOCH))
/// });
/// let provider = get_bearer_token_provider(credential, ["https://vault.azure.net/.default"]);
/// let for_a_task = provider.clone();
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let token = rt.block_on(for_a_task()).unwrap();
/// let header = format!("Bearer {token}");
/// # assert_eq!(header, "Bearer eyJ0eXAi");
/// ```
pub fn get_bearer_token_provider<S: Into<String>>(
    credential: impl TokenCredential + 'static,
    scopes: impl IntoIterator<Item = S>,
) -> impl Fn() -> BearerTokenFuture + Clone + Send + Sync + 'static {
    let credential = Arc::new(credential);
    let scopes: Arc<[String]> = scopes.into_iter().map(Into::into).collect();
    move || {
        let credential = Arc::clone(&credential);
        let scopes = Arc::clone(&scopes);
        Box::pin(async move {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let token = credential
                .get_token(&scopes, &TokenRequestOptions::default())
                .await?;
            Ok(token.token.expose_secret().to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, token_credential_fn};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn asks_for_the_scopes_each_call_and_passes_errors_on() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let credential = token_credential_fn("Test", move |scopes, _| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                assert_eq!(scopes, ["a/.default", "b/.default"]);
                if n == 0 {
                    Ok(AccessToken::new("t-0", time::OffsetDateTime::UNIX_EPOCH))
                } else {
                    Err(CredentialError::unavailable("Test", "gone"))
                }
            }
        });
        let provider = get_bearer_token_provider(credential, ["a/.default", "b/.default"]);
        let clone = provider.clone();
        assert_eq!(provider().await.unwrap(), "t-0");
        let err = clone().await.unwrap_err();
        assert!(err.is_unavailable());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn takes_a_shared_credential_as_well() {
        let shared: Arc<dyn TokenCredential> =
            Arc::new(token_credential_fn("Test", |_, _| async {
                Ok(AccessToken::new(
                    "t-shared",
                    time::OffsetDateTime::UNIX_EPOCH,
                ))
            }));
        let provider = get_bearer_token_provider(Arc::clone(&shared), ["a/.default"]);
        assert_eq!(provider().await.unwrap(), "t-shared");
    }
}
