//! [`ChainedTokenCredential`]: try credentials in order.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions};

const NONE_SELECTED: usize = usize::MAX;

/// Tries its credentials in order and returns the first token.
///
/// It moves past a credential only when that credential is *unavailable*
/// (not set up here). Any other error stops the chain: the returned
/// [`CredentialError::ChainFailed`] lists every attempt in order and names
/// the one that stopped it, whose error is the `source()` (printed once, by
/// whoever reports the chain's causes). With [`ChainedTokenCredential::sticky`]
/// the chain remembers the credential that worked and later calls go straight
/// to it.
///
/// ```
/// use credential_core::{token_credential_fn, AccessToken, ChainedTokenCredential,
///     CredentialError, TokenCredential, TokenRequestOptions};
/// use time::OffsetDateTime;
///
/// let chain = ChainedTokenCredential::new()
///     .with("First", token_credential_fn("First", |_, _| async {
///         Err(CredentialError::unavailable("First", "not configured"))
///     }))
///     .with("Second", token_credential_fn("Second", |_, _| async {
///         Ok(AccessToken::new("t", OffsetDateTime::UNIX_EPOCH))
///     }));
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let token = rt.block_on(chain.get_token(&["scope"], &TokenRequestOptions::default())).unwrap();
/// assert_eq!(token.token.expose_secret(), "t");
/// ```
pub struct ChainedTokenCredential {
    name: &'static str,
    sources: Vec<(&'static str, Arc<dyn TokenCredential>)>,
    sticky: bool,
    selected: AtomicUsize,
    help: Option<String>,
}

impl ChainedTokenCredential {
    /// An empty chain named `ChainedTokenCredential`.
    pub fn new() -> Self {
        Self {
            name: "ChainedTokenCredential",
            sources: Vec::new(),
            sticky: false,
            selected: AtomicUsize::new(NONE_SELECTED),
            help: None,
        }
    }

    /// Appends a credential under `name` (used in logs).
    pub fn with(mut self, name: &'static str, credential: impl TokenCredential + 'static) -> Self {
        self.sources.push((name, Arc::new(credential)));
        self
    }

    /// Appends a shared credential under `name`.
    pub fn with_shared(mut self, name: &'static str, credential: Arc<dyn TokenCredential>) -> Self {
        self.sources.push((name, credential));
        self
    }

    /// Names the chain in errors and logs (e.g. `DefaultAzureCredential`).
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// After the first success, use only the credential that succeeded.
    pub fn sticky(mut self, sticky: bool) -> Self {
        self.sticky = sticky;
        self
    }

    /// Advice appended to the error when every credential fails.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The names of the credentials, in order.
    pub fn source_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sources.iter().map(|(name, _)| *name)
    }

    /// The name of the credential a sticky chain has settled on, if any.
    pub fn selected(&self) -> Option<&'static str> {
        self.sources
            .get(self.selected.load(Ordering::Acquire))
            .map(|(name, _)| *name)
    }
}

impl Default for ChainedTokenCredential {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ChainedTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainedTokenCredential")
            .field("name", &self.name)
            .field("sources", &self.source_names().collect::<Vec<_>>())
            .field("sticky", &self.sticky)
            .field("selected", &self.selected())
            .finish()
    }
}

#[async_trait]
impl TokenCredential for ChainedTokenCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        if self.sticky
            && let Some((name, credential)) =
                self.sources.get(self.selected.load(Ordering::Acquire))
        {
            tracing::trace!(
                chain = self.name,
                credential = name,
                "using the selected credential"
            );
            return credential.get_token(scopes, options).await;
        }
        let mut attempts = Vec::new();
        for (index, (name, credential)) in self.sources.iter().enumerate() {
            match credential.get_token(scopes, options).await {
                Ok(token) => {
                    tracing::info!(
                        chain = self.name,
                        credential = name,
                        "credential produced a token"
                    );
                    if self.sticky {
                        self.selected.store(index, Ordering::Release);
                    }
                    return Ok(token);
                }
                Err(error) if error.is_unavailable() => {
                    tracing::debug!(chain = self.name, credential = name, error = %error, "credential unavailable; trying the next");
                    attempts.push(error);
                }
                Err(error) => {
                    tracing::warn!(chain = self.name, credential = name, error = %error, "credential failed; stopping the chain");
                    attempts.push(error);
                    break;
                }
            }
        }
        Err(CredentialError::chain_failed(
            self.name,
            attempts,
            self.help.clone(),
        ))
    }
}
