//! [`DefaultAzureCredential`]: the ordered chain, sticky selection, and the
//! fast first call (managed identity concurrently with the developer tools).

use std::fmt;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use credential_core::{
    AccessToken, CloudConfiguration, CredentialError, TokenCredential, TokenRequestOptions,
    async_trait,
};
use futures::future::{Either, select};
use futures::lock::Mutex;

use crate::builder::DefaultAzureCredentialBuilder;
use crate::link::Link;
use crate::{CredentialKind, NAME};

const NONE_SELECTED: usize = usize::MAX;

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
pub struct DefaultAzureCredential {
    links: Vec<Link>,
    selected: AtomicUsize,
    /// Held while a first call walks the chain; keeps the last walk's
    /// failure for the callers that waited on it.
    first_call: Mutex<Option<FailedWalk>>,
    /// How many walks have finished.
    walks: AtomicU64,
    cloud: CloudConfiguration,
}

/// The request and error of a walk of the chain that failed.
struct FailedWalk {
    scopes: Vec<String>,
    options: TokenRequestOptions,
    error: CredentialError,
}

/// What the developer tools did, held until managed identity reports.
struct ToolsOutcome {
    /// The index and token of the tool that succeeded.
    token: Option<(usize, AccessToken)>,
    /// Every tool's error, in order (the last may have stopped the tools).
    attempts: Vec<CredentialError>,
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

    pub(crate) fn from_links(links: Vec<Link>, cloud: CloudConfiguration) -> Self {
        Self {
            cloud,
            links,
            selected: AtomicUsize::new(NONE_SELECTED),
            first_call: Mutex::new(None),
            walks: AtomicU64::new(0),
        }
    }

    /// The cloud the credential was built for, with its default audiences
    /// (e.g. [`CloudConfiguration::key_vault_scope`] for a Key Vault client).
    pub fn cloud(&self) -> &CloudConfiguration {
        &self.cloud
    }

    /// The credentials in the chain, in order.
    pub fn credential_kinds(&self) -> Vec<CredentialKind> {
        self.links.iter().map(|l| l.kind).collect()
    }

    /// The credential the chain has settled on after a success, if any.
    pub fn selected(&self) -> Option<CredentialKind> {
        self.links
            .get(self.selected.load(Ordering::Acquire))
            .map(|l| l.kind)
    }

    fn selected_link(&self) -> Option<&Link> {
        let link = self.links.get(self.selected.load(Ordering::Acquire))?;
        tracing::trace!(
            chain = NAME,
            credential = link.kind.name(),
            "using the selected credential"
        );
        Some(link)
    }

    fn select(&self, index: usize) {
        if let Some(link) = self.links.get(index) {
            tracing::info!(
                chain = NAME,
                credential = link.kind.name(),
                "credential produced a token; later calls use it directly"
            );
        }
        self.selected.store(index, Ordering::Release);
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
        if let Some(link) = self.selected_link() {
            return Ok((link.get_token(scopes, options).await?, Vec::new()));
        }
        // One walk at a time, as in `get_token`.
        let _walking = self.first_call.lock().await;
        if let Some(link) = self.selected_link() {
            return Ok((link.get_token(scopes, options).await?, Vec::new()));
        }
        let result = self.first_call(scopes, options).await;
        self.walks.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// The first call: the links before managed identity in order, then
    /// managed identity concurrently with the developer tools. Gives the
    /// token and the errors of the links skipped before it.
    async fn first_call(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<(AccessToken, Vec<CredentialError>), CredentialError> {
        let mut attempts = Vec::new();
        let mi = self
            .links
            .iter()
            .position(|l| l.kind == CredentialKind::ManagedIdentity);
        let sequential_end = mi.unwrap_or(self.links.len());
        for index in 0..sequential_end {
            let link = &self.links[index];
            match link.get_token(scopes, options).await {
                Ok(token) => {
                    self.select(index);
                    return Ok((token, attempts));
                }
                Err(error) => {
                    let stop = !error.is_unavailable();
                    log_failure(link.kind, &error, stop);
                    attempts.push(error);
                    if stop {
                        return Err(self.failed(attempts));
                    }
                }
            }
        }
        let Some(mi) = mi else {
            return Err(self.failed(attempts));
        };
        let mi_link = &self.links[mi];
        if let Some(error) = mi_link.misconfiguration() {
            // Inputs present but wrong: stop before any developer tool starts.
            log_failure(mi_link.kind, &error, true);
            attempts.push(error);
            return Err(self.failed(attempts));
        }
        let mi_future = pin!(mi_link.get_token(scopes, options));
        let tools_future = pin!(self.run_tools(mi + 1, scopes, options));
        let (mi_result, tools) = match select(mi_future, tools_future).await {
            Either::Left((mi_result, tools_future)) => {
                if mi_result
                    .as_ref()
                    .is_err_and(CredentialError::is_unavailable)
                {
                    (mi_result, tools_future.await)
                } else {
                    // Managed identity decided the chain: the tools' future is
                    // dropped here, which stops a running tool's process.
                    (mi_result, ToolsOutcome::empty())
                }
            }
            // The tools finished first: hold their outcome (the finished
            // future is gone and never polled again) until managed identity
            // reports.
            Either::Right((tools, mi_future)) => (mi_future.await, tools),
        };
        match mi_result {
            Ok(token) => {
                if tools.token.is_some() {
                    tracing::debug!(
                        chain = NAME,
                        "a developer tool answered first, but managed identity comes first in the chain"
                    );
                }
                self.select(mi);
                Ok((token, attempts))
            }
            Err(error) => {
                let stop = !error.is_unavailable();
                log_failure(CredentialKind::ManagedIdentity, &error, stop);
                attempts.push(error);
                if stop {
                    return Err(self.failed(attempts));
                }
                attempts.extend(tools.attempts);
                match tools.token {
                    Some((index, token)) => {
                        self.select(index);
                        Ok((token, attempts))
                    }
                    None => Err(self.failed(attempts)),
                }
            }
        }
    }

    /// The links from `start` on, one after another, until one gives a token
    /// or stops the chain.
    async fn run_tools(
        &self,
        start: usize,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> ToolsOutcome {
        let mut attempts = Vec::new();
        for (index, link) in self.links.iter().enumerate().skip(start) {
            match link.get_token(scopes, options).await {
                Ok(token) => {
                    return ToolsOutcome {
                        token: Some((index, token)),
                        attempts,
                    };
                }
                Err(error) => {
                    let stop = !error.is_unavailable();
                    log_failure(link.kind, &error, stop);
                    attempts.push(error);
                    if stop {
                        break;
                    }
                }
            }
        }
        ToolsOutcome {
            token: None,
            attempts,
        }
    }

    /// The chain's error over `attempts`, with what to do about it.
    fn failed(&self, attempts: Vec<CredentialError>) -> CredentialError {
        let help = match attempts.last() {
            Some(last) if !last.is_unavailable() => format!(
                "{name} is set up here but failed, so {NAME} stopped instead of trying the \
                 next credential. Fix its error (the cause of this one), or exclude {name} from the chain.",
                name = last.credential()
            ),
            _ => {
                let mut help = String::from("To fix this, set up one of these credentials:");
                for link in &self.links {
                    help.push_str(&format!(
                        "\n  - {}: {}",
                        link.kind.name(),
                        link.kind.setup_hint()
                    ));
                }
                help
            }
        };
        let error = CredentialError::chain_failed(NAME, attempts, Some(help));
        tracing::warn!(chain = NAME, %error, "no credential produced a token");
        error
    }
}

impl ToolsOutcome {
    fn empty() -> Self {
        Self {
            token: None,
            attempts: Vec::new(),
        }
    }
}

fn log_failure(kind: CredentialKind, error: &CredentialError, stop: bool) {
    if stop {
        tracing::warn!(chain = NAME, credential = kind.name(), %error, "credential failed; stopping the chain");
    } else {
        tracing::debug!(chain = NAME, credential = kind.name(), %error, "credential unavailable; trying the next");
    }
}

impl fmt::Debug for DefaultAzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("links", &self.links)
            .field("selected", &self.selected())
            .finish()
    }
}

#[async_trait]
impl TokenCredential for DefaultAzureCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        if let Some(link) = self.selected_link() {
            return link.get_token(scopes, options).await;
        }
        let walks_before = self.walks.load(Ordering::Acquire);
        let mut last_failure = self.first_call.lock().await;
        // A walk that finished while this caller waited decided for it.
        if let Some(link) = self.selected_link() {
            drop(last_failure);
            return link.get_token(scopes, options).await;
        }
        if self.walks.load(Ordering::Acquire) != walks_before
            && let Some(failed) = last_failure
                .as_ref()
                .filter(|f| f.options == *options && f.scopes.iter().eq(scopes.iter()))
        {
            return Err(failed.error.clone());
        }
        let result = self
            .first_call(scopes, options)
            .await
            .map(|(token, _skipped)| token);
        *last_failure = result.as_ref().err().map(|error| FailedWalk {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            options: options.clone(),
            error: error.clone(),
        });
        self.walks.fetch_add(1, Ordering::AcqRel);
        result
    }
}
