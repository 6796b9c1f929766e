//! The chain engine [`ChainedTokenCredential`](crate::ChainedTokenCredential)
//! and `DefaultAzureCredential` run on: links tried in order, with the
//! default chain's extra rules as options ([`ChainLink`], [`Chain`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use futures_util::future::{Either, select};
use tokio::sync::Mutex;

use crate::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions};

const NONE_SELECTED: usize = usize::MAX;

/// One link of a [`Chain`]: a credential (or why it could not be built)
/// under a name, with the rules for its errors.
#[doc(hidden)]
#[derive(Clone)]
pub struct ChainLink {
    pub(crate) name: &'static str,
    credential: Result<Arc<dyn TokenCredential>, CredentialError>,
    lenient: bool,
    setup_hint: Option<&'static str>,
    concurrent: bool,
}

impl ChainLink {
    /// A link over a built credential.
    pub fn new(name: &'static str, credential: Arc<dyn TokenCredential>) -> Self {
        Self::from_build(name, Ok(credential))
    }

    /// A link over a build result. A build error is kept and returned by
    /// every `get_token`, so that one link never stops the chain from being
    /// constructed: "unavailable" (the link's inputs are absent) moves the
    /// chain on; anything else (inputs present but wrong) stops it.
    pub fn from_build(
        name: &'static str,
        credential: Result<Arc<dyn TokenCredential>, CredentialError>,
    ) -> Self {
        if let Err(error) = &credential {
            tracing::debug!(credential = name, %error, "could not create the credential; it will be skipped");
        }
        Self {
            name,
            credential,
            lenient: false,
            setup_hint: None,
            concurrent: false,
        }
    }

    /// A failure other than a configuration error counts as unavailable, so
    /// the chain moves on (the developer tools, as Python's chain treats
    /// them).
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// What a user does to make this link work, for [`ChainHelp::Guide`].
    pub fn setup_hint(mut self, hint: &'static str) -> Self {
        self.setup_hint = Some(hint);
        self
    }

    /// On a walk of the chain, this link runs concurrently with the links
    /// after it (one after another); the result is still the one the
    /// ordered chain gives, and a stopping error or token from this link
    /// drops the later links' work. A configuration error of this link
    /// stops the chain before any later link starts.
    pub fn concurrent(mut self, concurrent: bool) -> Self {
        self.concurrent = concurrent;
        self
    }

    /// The configuration error that stops the chain at this link before it
    /// runs: its inputs are present but wrong.
    fn misconfiguration(&self) -> Option<CredentialError> {
        match &self.credential {
            Err(error) if !error.is_unavailable() => Some(error.clone()),
            _ => None,
        }
    }

    /// A token, with the link's rules applied:
    /// - a link that could not be built because its inputs are absent is
    ///   unavailable, with the reason; one whose inputs are present but wrong
    ///   returns that configuration error, which stops the chain;
    /// - a lenient link's failure other than `InvalidConfiguration` is
    ///   unavailable, so the next link runs.
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let credential = match &self.credential {
            Ok(credential) => credential,
            Err(error) => return Err(self.build_error(error)),
        };
        match credential.get_token(scopes, options).await {
            Err(error)
                if self.lenient
                    && !error.is_unavailable()
                    && !matches!(error, CredentialError::InvalidConfiguration { .. }) =>
            {
                Err(CredentialError::unavailable(self.name, error.to_string()))
            }
            other => other,
        }
    }

    fn build_error(&self, error: &CredentialError) -> CredentialError {
        if !error.is_unavailable() || error.credential() == self.name {
            return error.clone();
        }
        CredentialError::unavailable(
            self.name,
            format!("the credential could not be created: {error}"),
        )
    }
}

impl fmt::Debug for ChainLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credential {
            Ok(credential) => f.debug_tuple(self.name).field(credential).finish(),
            Err(error) => f
                .debug_struct(self.name)
                .field("unavailable", &error.to_string())
                .finish(),
        }
    }
}

/// What a chain's error says the user can do.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainHelp {
    /// Nothing.
    None,
    /// This text.
    Fixed(String),
    /// Built from the walk: when a link stopped the chain, how to fix or
    /// exclude it; when every link was unavailable, each link's setup hint.
    Guide,
}

/// The chain engine: links tried in order, moving on past an unavailable
/// link and stopping at any other failure, with options for remembering the
/// link that worked ([`Chain::sticky`]), sharing one walk between
/// concurrent first calls ([`Chain::share_first_walk`]), the error's help
/// ([`Chain::with_help`]), and each link's own rules ([`ChainLink`]).
/// A clone shares the selection and the first walk.
#[doc(hidden)]
#[derive(Clone)]
pub struct Chain {
    pub(crate) name: &'static str,
    pub(crate) links: Vec<ChainLink>,
    pub(crate) sticky: bool,
    selected: Arc<AtomicUsize>,
    help: ChainHelp,
    shared_walk: Option<Arc<SharedWalk>>,
}

/// One walk at a time for the first calls of a sticky chain.
struct SharedWalk {
    /// Held while a first call walks the chain; keeps the last walk's
    /// failure for the callers that waited on it.
    gate: Mutex<Option<FailedWalk>>,
    /// How many walks have finished.
    walks: AtomicU64,
}

/// The request and error of a walk of the chain that failed.
struct FailedWalk {
    scopes: Vec<String>,
    options: TokenRequestOptions,
    error: CredentialError,
}

/// What the links after a concurrent link did, held until it reports.
struct RestOutcome {
    /// The index and token of the link that succeeded.
    token: Option<(usize, AccessToken)>,
    /// Every link's error, in order (the last may have stopped the walk).
    attempts: Vec<CredentialError>,
}

impl Chain {
    /// A chain named `name` over `links`: not sticky, no help.
    pub fn new(name: &'static str, links: Vec<ChainLink>) -> Self {
        Self {
            name,
            links,
            sticky: false,
            selected: Arc::new(AtomicUsize::new(NONE_SELECTED)),
            help: ChainHelp::None,
            shared_walk: None,
        }
    }

    /// After the first success, use only the link that succeeded.
    pub fn sticky(mut self, sticky: bool) -> Self {
        self.sticky = sticky;
        self
    }

    /// Concurrent first calls share one walk: the first caller walks while
    /// the others wait, then use the selected link, or get the same error
    /// when they asked for the same token.
    pub fn share_first_walk(mut self, share: bool) -> Self {
        self.shared_walk = share.then(|| {
            Arc::new(SharedWalk {
                gate: Mutex::new(None),
                walks: AtomicU64::new(0),
            })
        });
        self
    }

    /// The help of the chain's error.
    pub fn with_help(mut self, help: ChainHelp) -> Self {
        self.help = help;
        self
    }

    /// The index of the link a sticky chain has settled on, if any.
    pub fn selected_index(&self) -> Option<usize> {
        let index = self.selected.load(Ordering::Acquire);
        (index < self.links.len()).then_some(index)
    }

    fn selected_link(&self) -> Option<&ChainLink> {
        let link = self.links.get(self.selected.load(Ordering::Acquire))?;
        tracing::trace!(
            chain = self.name,
            credential = link.name,
            "using the selected credential"
        );
        Some(link)
    }

    fn select(&self, index: usize) {
        if let Some(link) = self.links.get(index) {
            tracing::info!(
                chain = self.name,
                credential = link.name,
                sticky = self.sticky,
                "credential produced a token"
            );
        }
        if self.sticky {
            self.selected.store(index, Ordering::Release);
        }
    }

    /// A token from the selected link, else from a walk of the chain.
    ///
    /// # Errors
    /// The selected link's own error, or the chain's
    /// [`CredentialError::ChainFailed`] listing every attempt.
    pub async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        if let Some(link) = self.selected_link() {
            return link.get_token(scopes, options).await;
        }
        let Some(shared) = &self.shared_walk else {
            return self.walk(scopes, options).await.map(|(token, _)| token);
        };
        let walks_before = shared.walks.load(Ordering::Acquire);
        let mut last_failure = shared.gate.lock().await;
        // A walk that finished while this caller waited decided for it.
        if let Some(link) = self.selected_link() {
            drop(last_failure);
            return link.get_token(scopes, options).await;
        }
        if shared.walks.load(Ordering::Acquire) != walks_before
            && let Some(failed) = last_failure
                .as_ref()
                .filter(|f| f.options == *options && f.scopes.iter().eq(scopes.iter()))
        {
            return Err(failed.error.clone());
        }
        let result = self
            .walk(scopes, options)
            .await
            .map(|(token, _skipped)| token);
        *last_failure = result.as_ref().err().map(|error| FailedWalk {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            options: options.clone(),
            error: error.clone(),
        });
        shared.walks.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// A token, with the errors of the links tried and skipped before the
    /// one that gave it (empty when the chain had already settled on a
    /// link).
    ///
    /// # Errors
    /// As [`Chain::get_token`].
    pub async fn get_token_with_attempts(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<(AccessToken, Vec<CredentialError>), CredentialError> {
        if let Some(link) = self.selected_link() {
            return Ok((link.get_token(scopes, options).await?, Vec::new()));
        }
        let Some(shared) = &self.shared_walk else {
            return self.walk(scopes, options).await;
        };
        // One walk at a time, as in `get_token`.
        let _walking = shared.gate.lock().await;
        if let Some(link) = self.selected_link() {
            return Ok((link.get_token(scopes, options).await?, Vec::new()));
        }
        let result = self.walk(scopes, options).await;
        shared.walks.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// One walk: the links in order until one gives a token or stops the
    /// chain; a concurrent link runs alongside the links after it.
    async fn walk(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<(AccessToken, Vec<CredentialError>), CredentialError> {
        let mut attempts = Vec::new();
        for (index, link) in self.links.iter().enumerate() {
            if link.concurrent && index + 1 < self.links.len() {
                return self
                    .walk_concurrently(index, attempts, scopes, options)
                    .await;
            }
            match link.get_token(scopes, options).await {
                Ok(token) => {
                    self.select(index);
                    return Ok((token, attempts));
                }
                Err(error) => {
                    let stop = self.failed_link(link, &error);
                    attempts.push(error);
                    if stop {
                        return Err(self.failed(attempts));
                    }
                }
            }
        }
        Err(self.failed(attempts))
    }

    /// The rest of a walk from the concurrent link at `index`: it runs
    /// alongside the links after it; the ordered chain's result wins.
    async fn walk_concurrently(
        &self,
        index: usize,
        mut attempts: Vec<CredentialError>,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<(AccessToken, Vec<CredentialError>), CredentialError> {
        let link = &self.links[index];
        if let Some(error) = link.misconfiguration() {
            // Inputs present but wrong: stop before any later link starts.
            self.failed_link(link, &error);
            attempts.push(error);
            return Err(self.failed(attempts));
        }
        let first = Box::pin(link.get_token(scopes, options));
        let rest = Box::pin(self.run_rest(index + 1, scopes, options));
        let (result, rest) = match select(first, rest).await {
            Either::Left((result, rest)) => {
                if result.as_ref().is_err_and(CredentialError::is_unavailable) {
                    (result, rest.await)
                } else {
                    // This link decided the chain: dropping the rest's
                    // future stops a running link's process.
                    drop(rest);
                    (result, RestOutcome::empty())
                }
            }
            // The rest finished first: hold its outcome (the finished future
            // is never polled again) until this link reports.
            Either::Right((outcome, first)) => (first.await, outcome),
        };
        match result {
            Ok(token) => {
                if rest.token.is_some() {
                    tracing::debug!(
                        chain = self.name,
                        "a later credential answered first, but {} comes first in the chain",
                        link.name
                    );
                }
                self.select(index);
                Ok((token, attempts))
            }
            Err(error) => {
                let stop = self.failed_link(link, &error);
                attempts.push(error);
                if stop {
                    return Err(self.failed(attempts));
                }
                attempts.extend(rest.attempts);
                match rest.token {
                    Some((index, token)) => {
                        self.select(index);
                        Ok((token, attempts))
                    }
                    None => Err(self.failed(attempts)),
                }
            }
        }
    }

    /// The links from `start` on, one after another, until one gives a
    /// token or stops the chain.
    async fn run_rest(
        &self,
        start: usize,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> RestOutcome {
        let mut attempts = Vec::new();
        for (index, link) in self.links.iter().enumerate().skip(start) {
            match link.get_token(scopes, options).await {
                Ok(token) => {
                    return RestOutcome {
                        token: Some((index, token)),
                        attempts,
                    };
                }
                Err(error) => {
                    let stop = self.failed_link(link, &error);
                    attempts.push(error);
                    if stop {
                        break;
                    }
                }
            }
        }
        RestOutcome {
            token: None,
            attempts,
        }
    }

    /// Logs a link's failure; whether it stops the chain.
    fn failed_link(&self, link: &ChainLink, error: &CredentialError) -> bool {
        let stop = !error.is_unavailable();
        if stop {
            tracing::warn!(chain = self.name, credential = link.name, %error, "credential failed; stopping the chain");
        } else {
            tracing::debug!(chain = self.name, credential = link.name, %error, "credential unavailable; trying the next");
        }
        stop
    }

    /// The chain's error over `attempts`, with its help.
    fn failed(&self, attempts: Vec<CredentialError>) -> CredentialError {
        let help = match &self.help {
            ChainHelp::None => None,
            ChainHelp::Fixed(help) => Some(help.clone()),
            ChainHelp::Guide => Some(self.guide(&attempts)),
        };
        let error = CredentialError::chain_failed(self.name, attempts, help);
        if self.help == ChainHelp::Guide {
            tracing::warn!(chain = self.name, %error, "no credential produced a token");
        }
        error
    }

    /// [`ChainHelp::Guide`]'s text for `attempts`.
    fn guide(&self, attempts: &[CredentialError]) -> String {
        match attempts.last() {
            Some(last) if !last.is_unavailable() => format!(
                "{name} is set up here but failed, so {chain} stopped instead of trying the \
                 next credential. Fix its error (the cause of this one), or exclude {name} from the chain.",
                name = last.credential(),
                chain = self.name,
            ),
            _ => {
                let mut help = String::from("To fix this, set up one of these credentials:");
                for link in &self.links {
                    if let Some(hint) = link.setup_hint {
                        help.push_str(&format!("\n  - {}: {hint}", link.name));
                    }
                }
                help
            }
        }
    }
}

impl RestOutcome {
    fn empty() -> Self {
        Self {
            token: None,
            attempts: Vec::new(),
        }
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("links", &self.links)
            .field(
                "selected",
                &self.selected_index().map(|index| self.links[index].name),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "ManagedIdentityCredential";

    fn link(error: CredentialError) -> ChainLink {
        ChainLink::from_build(NAME, Err(error))
    }

    #[test]
    fn only_inputs_present_but_wrong_are_a_misconfiguration() {
        let wrong = CredentialError::invalid_configuration(NAME, "bad id");
        let found = link(wrong.clone()).misconfiguration().unwrap();
        assert_eq!(found.to_string(), wrong.to_string());
        let absent = CredentialError::unavailable(NAME, "not here");
        assert!(link(absent).misconfiguration().is_none());
    }

    #[test]
    fn a_build_error_is_reported_under_the_links_name_when_unavailable() {
        let env = ChainLink::from_build(
            "EnvironmentCredential",
            Err(CredentialError::unavailable("x", "")),
        );
        let inner = CredentialError::unavailable("ClientSecretCredential", "no secret");
        let error = env.build_error(&inner);
        assert!(error.is_unavailable());
        assert_eq!(error.credential(), "EnvironmentCredential");
        assert!(
            error.to_string().contains("could not be created"),
            "{error}"
        );
        let own = CredentialError::unavailable("EnvironmentCredential", "absent");
        assert_eq!(env.build_error(&own).to_string(), own.to_string());
        let wrong = CredentialError::invalid_configuration("ClientSecretCredential", "bad");
        let error = env.build_error(&wrong);
        assert!(!error.is_unavailable());
        assert_eq!(error.credential(), "ClientSecretCredential");
    }
}
