//! [`DefaultAzureCredential`]: the ordered chain, sticky selection, and the
//! fast first call (managed identity concurrently with the developer tools).

use std::fmt;

use credential_core::__private::Chain;
use credential_core::{
    AccessToken, CloudConfiguration, CredentialError, TokenCredential, TokenRequestOptions,
    async_trait,
};

use crate::CredentialKind;
use crate::builder::DefaultAzureCredentialBuilder;

/// The credential that works wherever the program runs: it tries, in order,
/// [`EnvironmentCredential`](crate::EnvironmentCredential),
/// [`WorkloadIdentityCredential`](crate::WorkloadIdentityCredential),
/// [`ManagedIdentityCredential`](crate::ManagedIdentityCredential) (with a
/// 1 s IMDS probe), [`AzureCliCredential`](crate::AzureCliCredential),
/// [`AzurePowerShellCredential`](crate::AzurePowerShellCredential) and
/// [`AzureDeveloperCliCredential`](crate::AzureDeveloperCliCredential), and
/// returns the first token.
///
/// - A credential that is not set up here is skipped ("unavailable"). Any
///   other failure of the environment, workload identity or managed identity
///   credential stops the chain (a misconfigured production identity must not
///   fall through to a developer login); a developer tool's failure other
///   than a configuration error moves on to the next tool.
/// - After the first success, every later call goes straight to the
///   credential that succeeded (per instance).
/// - On the first call, the managed identity attempt runs concurrently with
///   the developer tools (still one after another, in order); the result is
///   always the one the ordered chain gives. See the crate docs.
/// - Concurrent first calls share one walk of the chain: the first caller
///   walks it while the others wait; then they use the selected credential
///   (whose cache already holds the token, so no second `az` process or
///   managed identity probe starts), or get the same error when they asked
///   for the same token.
/// - When every credential fails, the error lists each one and why, in
///   order, and says what to do.
///
/// ```no_run
/// use credential_default::{DefaultAzureCredential, TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_default::CredentialError> {
/// let credential = DefaultAzureCredential::new()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
///
/// It runs on the same chain engine as
/// [`ChainedTokenCredential`](crate::ChainedTokenCredential), with the
/// default chain's rules as options: sticky, one shared first walk, lenient
/// developer tools, managed identity concurrent with the tools, and an
/// error that says how to set each credential up.
///
/// A clone shares everything: the links (and so their token caches), the
/// selected link and the first call's walk.
#[derive(Clone)]
pub struct DefaultAzureCredential {
    chain: Chain,
    /// The kind of each link of `chain`, in order.
    kinds: Vec<CredentialKind>,
    cloud: CloudConfiguration,
}

impl DefaultAzureCredential {
    /// The default chain with the real environment, files, network and
    /// processes. Fails only when `AZURE_TOKEN_CREDENTIALS` is invalid.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] when `AZURE_TOKEN_CREDENTIALS`
    /// is invalid (the message lists the valid values).
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A builder, to exclude credentials or set options.
    pub fn builder() -> DefaultAzureCredentialBuilder {
        DefaultAzureCredentialBuilder::default()
    }

    pub(crate) fn from_links(
        links: Vec<(CredentialKind, credential_core::__private::ChainLink)>,
        cloud: CloudConfiguration,
    ) -> Self {
        let (kinds, links): (Vec<_>, Vec<_>) = links.into_iter().unzip();
        let chain = Chain::new(crate::NAME, links)
            .sticky(true)
            .share_first_walk(true)
            .with_help(credential_core::__private::ChainHelp::Guide);
        Self {
            chain,
            kinds,
            cloud,
        }
    }

    /// The cloud the credential was built for, with its default audiences
    /// (e.g. [`CloudConfiguration::key_vault_scope`] for a Key Vault client).
    pub fn cloud(&self) -> &CloudConfiguration {
        &self.cloud
    }

    /// The credentials in the chain, in order.
    pub fn credential_kinds(&self) -> Vec<CredentialKind> {
        self.kinds.clone()
    }

    /// The credential the chain has settled on after a success, if any.
    pub fn selected(&self) -> Option<CredentialKind> {
        self.chain
            .selected_index()
            .and_then(|index| self.kinds.get(index).copied())
    }

    /// A token, with the errors of the links tried and skipped before the
    /// one that gave it, in chain order (empty when the chain had already
    /// settled on a credential, see [`selected`](Self::selected)), so a tool
    /// can say who signed in and why the earlier links did not. When no link
    /// gives a token, the error is the same as [`TokenCredential::get_token`]'s
    /// (a [`CredentialError::ChainFailed`] lists every attempt).
    ///
    /// # Errors
    /// As [`TokenCredential::get_token`]: the chain's error listing every
    /// attempt, or the selected credential's own error once one is selected.
    ///
    /// ```no_run
    /// use credential_default::{DefaultAzureCredential, TokenRequestOptions};
    /// # async fn run() -> Result<(), credential_default::CredentialError> {
    /// let credential = DefaultAzureCredential::new()?;
    /// let (_token, skipped) = credential
    ///     .get_token_with_attempts(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
    ///     .await?;
    /// for error in &skipped {
    ///     println!("skipped {}: {error}", error.credential());
    /// }
    /// println!("signed in with {:?}", credential.selected());
    /// # Ok(()) }
    /// ```
    pub async fn get_token_with_attempts(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<(AccessToken, Vec<CredentialError>), CredentialError> {
        self.chain.get_token_with_attempts(scopes, options).await
    }
}

impl fmt::Debug for DefaultAzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.chain, f)
    }
}

#[async_trait]
impl TokenCredential for DefaultAzureCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.chain.get_token(scopes, options).await
    }
}
