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
        // `<=` would be equivalent: the index is a link's (< len) or NONE_SELECTED (usize::MAX).
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
            // `index * 1` or `<=` would be equivalent: a concurrent last link beside no
            // later link gives what the plain walk gives (a misconfiguration stops it either way).
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
        // Only logs: `!=` here is equivalent for every caller (nothing reads the log).
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

    // ---- The engine's rules, on scripted links ----

    use std::sync::Mutex as StdMutex;

    use time::OffsetDateTime;

    use crate::token_credential_fn;

    #[derive(Clone, Copy)]
    enum Answer {
        Token,
        Unavailable,
        Refused,
        Misconfigured,
    }

    /// The names of the links called, in call order.
    #[derive(Clone, Default)]
    struct Calls(Arc<StdMutex<Vec<&'static str>>>);

    impl Calls {
        fn names(&self) -> Vec<&'static str> {
            self.0.lock().unwrap().clone()
        }
    }

    /// A link that records its calls and answers `answer`, after yielding
    /// to the runtime once when `slow`.
    fn scripted(name: &'static str, answer: Answer, slow: bool, calls: &Calls) -> ChainLink {
        let calls = calls.clone();
        let credential = token_credential_fn(name, move |_, _| {
            calls.0.lock().unwrap().push(name);
            async move {
                if slow {
                    tokio::task::yield_now().await;
                }
                match answer {
                    Answer::Token => Ok(AccessToken::new(
                        format!("token-from-{name}"),
                        OffsetDateTime::UNIX_EPOCH,
                    )),
                    Answer::Unavailable => Err(CredentialError::unavailable(name, "not here")),
                    Answer::Refused => Err(CredentialError::refused(name, None, "denied")),
                    Answer::Misconfigured => {
                        Err(CredentialError::invalid_configuration(name, "bad input"))
                    }
                }
            }
        });
        ChainLink::new(name, Arc::new(credential))
    }

    fn opts() -> TokenRequestOptions {
        TokenRequestOptions::default()
    }

    fn token_of(result: Result<AccessToken, CredentialError>) -> String {
        result.unwrap().token.expose_secret().to_owned()
    }

    fn attempts_of(error: &CredentialError) -> Vec<(&'static str, bool)> {
        match error {
            CredentialError::ChainFailed { attempts, .. } => attempts
                .iter()
                .map(|e| (e.credential(), e.is_unavailable()))
                .collect(),
            other => panic!("not a chain error: {other}"),
        }
    }

    fn help_of(error: &CredentialError) -> Option<&str> {
        match error {
            CredentialError::ChainFailed { help, .. } => help.as_deref(),
            other => panic!("not a chain error: {other}"),
        }
    }

    #[tokio::test]
    async fn a_lenient_links_failure_is_unavailable_unless_misconfigured() {
        use Answer::*;
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Refused, false, &calls).lenient(true),
                scripted("B", Token, false, &calls),
            ],
        );
        let (token, attempts) = chain
            .get_token_with_attempts(&["s"], &opts())
            .await
            .unwrap();
        assert_eq!(token.token.expose_secret(), "token-from-B");
        assert_eq!(attempts.len(), 1);
        assert!(attempts[0].is_unavailable());
        assert_eq!(attempts[0].credential(), "A");
        assert!(
            attempts[0].to_string().contains("denied"),
            "{}",
            attempts[0]
        );

        // Not lenient: the same failure stops the chain.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Refused, false, &calls),
                scripted("B", Token, false, &calls),
            ],
        );
        let err = chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(attempts_of(&err), [("A", false)]);
        assert_eq!(calls.names(), ["A"]);

        // Lenient, but inputs present and wrong: that stops the chain too.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Misconfigured, false, &calls).lenient(true),
                scripted("B", Token, false, &calls),
            ],
        );
        let err = chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(attempts_of(&err), [("A", false)]);
        assert_eq!(calls.names(), ["A"]);
    }

    #[tokio::test]
    async fn guide_help_lists_the_setup_hints_or_names_the_link_that_stopped() {
        use Answer::*;
        let calls = Calls::default();
        let all_absent = Chain::new(
            "Chain",
            vec![
                scripted("A", Unavailable, false, &calls).setup_hint("do a"),
                scripted("B", Unavailable, false, &calls),
                scripted("C", Unavailable, false, &calls).setup_hint("do c"),
            ],
        );
        let err = all_absent
            .clone()
            .with_help(ChainHelp::Guide)
            .get_token(&["s"], &opts())
            .await
            .unwrap_err();
        assert_eq!(
            help_of(&err),
            Some("To fix this, set up one of these credentials:\n  - A: do a\n  - C: do c")
        );
        let err = all_absent.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(help_of(&err), None);

        let stopped = Chain::new(
            "Chain",
            vec![
                scripted("A", Unavailable, false, &calls).setup_hint("do a"),
                scripted("B", Refused, false, &calls).setup_hint("do b"),
            ],
        );
        let err = stopped
            .clone()
            .with_help(ChainHelp::Guide)
            .get_token(&["s"], &opts())
            .await
            .unwrap_err();
        let help = help_of(&err).unwrap();
        assert!(
            help.starts_with("B is set up here but failed, so Chain stopped"),
            "{help}"
        );
        let err = stopped
            .with_help(ChainHelp::Fixed("see the docs".into()))
            .get_token(&["s"], &opts())
            .await
            .unwrap_err();
        assert_eq!(help_of(&err), Some("see the docs"));
    }

    #[tokio::test]
    async fn a_link_that_is_not_concurrent_runs_alone() {
        use Answer::*;
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Token, true, &calls),
                scripted("B", Token, false, &calls),
            ],
        );
        assert_eq!(
            token_of(chain.get_token(&["s"], &opts()).await),
            "token-from-A"
        );
        assert_eq!(calls.names(), ["A"]);
    }

    #[tokio::test]
    async fn a_concurrent_link_runs_alongside_the_later_links_and_the_order_wins() {
        use Answer::*;
        // The later link answers first, but the concurrent link's token wins.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("M", Token, true, &calls).concurrent(true),
                scripted("B", Token, false, &calls),
            ],
        )
        .sticky(true);
        assert_eq!(
            token_of(chain.get_token(&["s"], &opts()).await),
            "token-from-M"
        );
        assert_eq!(calls.names(), ["M", "B"], "B ran alongside M");
        assert_eq!(chain.selected_index(), Some(0));

        // The concurrent link is unavailable: the later link's token, which
        // came first, is used, and that link is selected.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("M", Unavailable, true, &calls).concurrent(true),
                scripted("B", Token, false, &calls),
            ],
        )
        .sticky(true);
        let (token, attempts) = chain
            .get_token_with_attempts(&["s"], &opts())
            .await
            .unwrap();
        assert_eq!(token.token.expose_secret(), "token-from-B");
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].credential(), "M");
        assert_eq!(chain.selected_index(), Some(1));

        // The concurrent link is unavailable at once: the later links run
        // after it.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("M", Unavailable, false, &calls).concurrent(true),
                scripted("B", Token, true, &calls),
            ],
        );
        assert_eq!(
            token_of(chain.get_token(&["s"], &opts()).await),
            "token-from-B"
        );

        // The concurrent link stops the chain: a later token is not used.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("M", Refused, true, &calls).concurrent(true),
                scripted("B", Token, false, &calls),
            ],
        )
        .sticky(true);
        let err = chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(attempts_of(&err), [("M", false)]);
        assert_eq!(chain.selected_index(), None);
    }

    #[tokio::test]
    async fn a_concurrent_link_that_decides_at_once_starts_no_later_link() {
        use Answer::*;
        for answer in [Token, Refused] {
            let calls = Calls::default();
            let chain = Chain::new(
                "Chain",
                vec![
                    scripted("M", answer, false, &calls).concurrent(true),
                    scripted("B", Token, false, &calls),
                ],
            );
            let _ = chain.get_token(&["s"], &opts()).await;
            assert_eq!(calls.names(), ["M"]);
        }
        // Inputs present but wrong: stopped before any later link starts.
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                ChainLink::from_build(
                    "M",
                    Err(CredentialError::invalid_configuration("M", "bad id")),
                )
                .concurrent(true),
                scripted("B", Token, false, &calls),
            ],
        );
        let err = chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(attempts_of(&err), [("M", false)]);
        assert!(calls.names().is_empty());
    }

    #[tokio::test]
    async fn the_links_after_a_concurrent_one_stop_at_a_failure() {
        use Answer::*;
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("M", Unavailable, true, &calls).concurrent(true),
                scripted("B", Refused, false, &calls),
                scripted("C", Token, false, &calls),
            ],
        );
        let err = chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(attempts_of(&err), [("M", true), ("B", false)]);
        assert!(!err.is_unavailable());
        assert_eq!(calls.names(), ["M", "B"]);
    }

    #[tokio::test]
    async fn concurrent_first_calls_share_one_walk() {
        use Answer::*;
        let o = opts();
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Unavailable, true, &calls),
                scripted("B", Token, false, &calls),
            ],
        )
        .sticky(true)
        .share_first_walk(true);
        let (one, two) = tokio::join!(chain.get_token(&["s"], &o), chain.get_token(&["s"], &o));
        assert_eq!(token_of(one), "token-from-B");
        assert_eq!(token_of(two), "token-from-B");
        assert_eq!(calls.names(), ["A", "B", "B"], "the second call waited");

        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                scripted("A", Unavailable, true, &calls),
                scripted("B", Token, false, &calls),
            ],
        )
        .sticky(true)
        .share_first_walk(true);
        let (one, two) = tokio::join!(
            chain.get_token_with_attempts(&["s"], &o),
            chain.get_token_with_attempts(&["s"], &o)
        );
        assert_eq!(one.unwrap().1.len(), 1);
        assert!(
            two.unwrap().1.is_empty(),
            "the second call used the selection"
        );
        assert_eq!(calls.names(), ["A", "B", "B"]);
    }

    #[tokio::test]
    async fn a_shared_walks_failure_answers_the_callers_that_waited_for_the_same_token() {
        use Answer::*;
        let o = opts();
        let other = opts().with_tenant_id("other");
        let calls = Calls::default();
        let chain = Chain::new("Chain", vec![scripted("A", Unavailable, true, &calls)])
            .sticky(true)
            .share_first_walk(true);
        let (one, two) = tokio::join!(chain.get_token(&["s"], &o), chain.get_token(&["s"], &o));
        assert_eq!(one.unwrap_err().to_string(), two.unwrap_err().to_string());
        assert_eq!(calls.names(), ["A"], "one walk for both");

        // A later call walks again.
        chain.get_token(&["s"], &opts()).await.unwrap_err();
        assert_eq!(calls.names().len(), 2);

        // A caller that waited for another scope, or other options, walks.
        let (one, two) = tokio::join!(chain.get_token(&["s"], &o), chain.get_token(&["t"], &o));
        assert!(one.is_err() && two.is_err());
        assert_eq!(calls.names().len(), 4);
        let (one, two) = tokio::join!(chain.get_token(&["s"], &o), chain.get_token(&["s"], &other));
        assert!(one.is_err() && two.is_err());
        assert_eq!(calls.names().len(), 6);
    }

    #[tokio::test]
    async fn without_a_shared_walk_concurrent_first_calls_each_walk() {
        use Answer::*;
        let o = opts();
        let calls = Calls::default();
        let chain = Chain::new("Chain", vec![scripted("A", Unavailable, true, &calls)])
            .sticky(true)
            .share_first_walk(false);
        let (one, two) = tokio::join!(chain.get_token(&["s"], &o), chain.get_token(&["s"], &o));
        assert!(one.is_err() && two.is_err());
        assert_eq!(calls.names(), ["A", "A"]);
    }

    #[tokio::test]
    async fn debug_names_the_links_and_the_selection() {
        use Answer::*;
        let calls = Calls::default();
        let chain = Chain::new(
            "Chain",
            vec![
                ChainLink::from_build("X", Err(CredentialError::unavailable("X", "absent"))),
                scripted("A", Token, false, &calls),
            ],
        )
        .sticky(true);
        chain.get_token(&["s"], &opts()).await.unwrap();
        let text = format!("{chain:?}");
        assert!(text.starts_with("Chain {"), "{text}");
        assert!(text.contains("X { unavailable: "), "{text}");
        assert!(text.contains("A("), "{text}");
        assert!(text.contains("selected: Some(\"A\")"), "{text}");
    }
}
