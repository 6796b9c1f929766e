//! [`ChainedTokenCredential`]: try credentials in order.

use std::fmt;

use async_trait::async_trait;

use crate::chain::{Chain, ChainHelp, ChainLink};
use crate::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions, credential_names};

/// Tries its credentials in order and returns the first token.
///
/// It moves past a credential only when that credential is *unavailable*
/// (not set up here). Any other error stops the chain: the returned
/// [`CredentialError::ChainFailed`] lists every attempt in order and names
/// the one that stopped it, whose error is the `source()` (printed once, by
/// whoever reports the chain's causes). With
/// [`with_sticky`](ChainedTokenCredentialBuilder::with_sticky) the chain
/// remembers the credential that worked and later calls go straight to it.
///
/// ```
/// use credential_core::{token_credential_fn, AccessToken, ChainedTokenCredential,
///     CredentialError, TokenCredential, TokenRequestOptions};
/// use time::OffsetDateTime;
///
/// let chain = ChainedTokenCredential::builder()
///     .with_credential("First", token_credential_fn("First", |_, _| async {
///         Err(CredentialError::unavailable("First", "not configured"))
///     }))
///     .with_credential("Second", token_credential_fn("Second", |_, _| async {
///         Ok(AccessToken::new("t", OffsetDateTime::UNIX_EPOCH))
///     }))
///     .build()?;
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let token = rt.block_on(chain.get_token(&["scope"], &TokenRequestOptions::default()))?;
/// assert_eq!(token.token.expose_secret(), "t");
/// # Ok::<(), CredentialError>(())
/// ```
///
/// A clone shares the credentials (and so their token caches) and, with
/// `with_sticky`, the selection.
#[derive(Clone)]
pub struct ChainedTokenCredential {
    chain: Chain,
}

/// Builds a [`ChainedTokenCredential`]: the credentials in the order they
/// are tried, and how the chain reports and remembers.
#[derive(Debug)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ChainedTokenCredentialBuilder {
    name: &'static str,
    links: Vec<ChainLink>,
    sticky: bool,
    help: Option<String>,
}

impl ChainedTokenCredential {
    /// A builder for a chain; add at least one credential with
    /// [`with_credential`](ChainedTokenCredentialBuilder::with_credential).
    pub fn builder() -> ChainedTokenCredentialBuilder {
        ChainedTokenCredentialBuilder {
            name: credential_names::CHAINED,
            links: Vec::new(),
            sticky: false,
            help: None,
        }
    }

    /// The names of the credentials, in order.
    pub fn source_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.chain.links.iter().map(|link| link.name)
    }

    /// The name of the credential a sticky chain has settled on, if any.
    pub fn selected(&self) -> Option<&'static str> {
        self.chain
            .selected_index()
            .map(|index| self.chain.links[index].name)
    }
}

impl ChainedTokenCredentialBuilder {
    /// Appends a credential under `name` (used in errors and logs). An
    /// `Arc<dyn TokenCredential>` is a credential too, for one shared with
    /// other clients.
    pub fn with_credential(
        mut self,
        name: &'static str,
        credential: impl TokenCredential + 'static,
    ) -> Self {
        self.links
            .push(ChainLink::new(name, std::sync::Arc::new(credential)));
        self
    }

    /// Names the chain in errors and logs (`ChainedTokenCredential` by
    /// default).
    pub fn with_name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// After the first success, use only the credential that succeeded
    /// (off by default).
    pub fn with_sticky(mut self, sticky: bool) -> Self {
        self.sticky = sticky;
        self
    }

    /// Advice appended to the error when every credential fails.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The chain.
    ///
    /// # Errors
    ///
    /// [`CredentialError::InvalidConfiguration`] when no credential was
    /// added: an empty chain could never return a token.
    pub fn build(self) -> Result<ChainedTokenCredential, CredentialError> {
        if self.links.is_empty() {
            return Err(CredentialError::invalid_configuration(
                self.name,
                "the chain has no credential; add one with with_credential",
            ));
        }
        let help = self.help.map_or(ChainHelp::None, ChainHelp::Fixed);
        let chain = Chain::new(self.name, self.links)
            .sticky(self.sticky)
            .with_help(help);
        Ok(ChainedTokenCredential { chain })
    }
}

impl fmt::Debug for ChainedTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(credential_names::CHAINED)
            .field("name", &self.chain.name)
            .field("sources", &self.source_names().collect::<Vec<_>>())
            .field("sticky", &self.chain.sticky)
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
        self.chain.get_token(scopes, options).await
    }
}
