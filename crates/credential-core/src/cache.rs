//! [`TokenCache`]: one credential's tokens, refreshed without making callers
//! wait while a valid token exists.
//!
//! The rules:
//! - **Fresh** (before the refresh point): returned at once. The hot path
//!   takes no lock and allocates nothing: one lock-free load of a
//!   copy-on-write table, one clock read, one reference-count increment on a
//!   per-thread copy of the token.
//! - **Stale but valid** (past the refresh point, more than 30 s before
//!   expiry): every caller, the one that notices included, gets the cached
//!   token at once. One refresh runs off the request path, in a task spawned
//!   on the caller's Tokio runtime (inline only when the caller runs outside
//!   Tokio, or when [`TokenCache::with_background_refresh`] turned it off).
//!   At most one refresh is in flight per key, and a new attempt starts no
//!   sooner than 30 s after the previous one (fetch or failed refresh), so a
//!   token that arrives already past its refresh point is not fetched again
//!   on every call. A failed refresh keeps the token.
//! - **Expired or absent**: concurrent callers share one fetch and its
//!   result, error included.
//! - A token that arrives already inside the expiry margin (a short-lived
//!   token) is handed to the call that fetched it and to the callers that
//!   waited on that fetch, and stays usable for half of its remaining life,
//!   so a 2-second token is not fetched again on every call.
//! - The refresh point is `refresh_on`, or 5 minutes before `expires_on`,
//!   minus a jitter of up to 30 s so that many processes do not refresh at once.
//! - Requests with claims bypass the lookup (their token is stored).
//! - At most [`DEFAULT_MAX_KEYS`] keys (configurable), the least recently
//!   used evicted first.
//! - No sleeping: an injected clock drives it all, and tests of the
//!   background refresh only need to yield to the spawned task.

use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use time::{Duration, OffsetDateTime};

use crate::cache_store::SecondLevel;
use crate::clock::SharedClock;
use crate::per_thread::PerThread;
use crate::{AccessToken, CredentialError, TokenRequestOptions};

/// How long before `expires_on` a token counts as expired.
pub const EXPIRY_MARGIN: Duration = Duration::seconds(30);
/// How long before `expires_on` a token without `refresh_on` is refreshed.
pub const DEFAULT_REFRESH_OFFSET: Duration = Duration::minutes(5);
/// The most jitter subtracted from the refresh point.
pub const MAX_JITTER: Duration = Duration::seconds(30);
/// The least time between two refresh attempts while a token is valid.
pub const REFRESH_RETRY_DELAY: Duration = Duration::seconds(30);
/// How many keys (scopes × tenant × claims) a cache holds by default.
pub const DEFAULT_MAX_KEYS: usize = 64;

/// A per-credential token cache. See the module docs for the rules.
///
/// Cloning gives another handle to the same cache (as with `Arc`), which is
/// what a fetch running in the background needs.
///
/// ```
/// use credential_core::{AccessToken, Clock, SystemClock, TokenCache, TokenRequestOptions};
/// use std::sync::Arc;
/// use time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cache = TokenCache::new(Arc::new(SystemClock));
/// let options = TokenRequestOptions::default();
/// let expires_on = SystemClock.now() + Duration::hours(1);
/// let fetch = || async move { Ok(AccessToken::new("t", expires_on)) };
/// let first = cache.get_or_fetch(&["scope"], &options, fetch).await.unwrap();
/// // A second call is served from the cache: this fetch would fail.
/// let second = cache
///     .get_or_fetch(&["scope"], &options, || async { unreachable!() })
///     .await
///     .unwrap();
/// assert_eq!(first, second);
/// # });
/// ```
#[derive(Clone)]
pub struct TokenCache {
    shared: Arc<Shared>,
    /// The persistent second level, if any: consulted before a fetch, written
    /// after one.
    second_level: Option<SecondLevel>,
}

/// What the cache and its background refreshes share.
struct Shared {
    /// Copy-on-write: readers load it without locking; writers (a new key, a
    /// new token) replace it under `write`.
    table: ArcSwap<Vec<Slot>>,
    write: Mutex<()>,
    clock: SharedClock,
    settings: Settings,
}

#[derive(Clone, Copy)]
struct Settings {
    jitter: fn() -> f64,
    max_keys: usize,
    background: bool,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("keys", &self.shared.table.load().len())
            .field("max_keys", &self.shared.settings.max_keys)
            .field("second_level", &self.second_level)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Slot {
    entry: Arc<Entry>,
    cached: Option<Arc<Cached>>,
}

/// Per-key coordination state; lives as long as the key.
struct Entry {
    key: CacheKey,
    /// Held by the one caller (or background task) fetching for this key.
    fetch: Arc<tokio::sync::Mutex<()>>,
    /// Counts completed fetches, so waiters can tell one finished.
    generation: AtomicU64,
    /// The latest fetch's outcome, for callers that waited on it.
    last_outcome: Mutex<Option<Result<AccessToken, CredentialError>>>,
    /// When the key was last used, in [`recency`] ticks (about 1 ms): the
    /// hot path writes it only when the tick changed.
    last_used: AtomicI64,
}

impl Entry {
    fn touch(&self, now_nanos: i128) {
        let tick = recency(now_nanos);
        if self.last_used.load(Ordering::Relaxed) != tick {
            self.last_used.store(tick, Ordering::Relaxed);
        }
    }
}

/// A coarse timestamp for least-recently-used eviction: 2^20 ns ≈ 1 ms.
fn recency(now_nanos: i128) -> i64 {
    i64::try_from(now_nanos >> 20).unwrap_or(i64::MAX)
}

struct CacheKey {
    scopes: Box<[Box<str>]>,
    tenant: Option<Box<str>>,
    cae: bool,
}

impl CacheKey {
    fn new(scopes: &[&str], tenant: Option<&str>, cae: bool) -> Self {
        let mut sorted: Vec<Box<str>> = scopes.iter().map(|s| Box::from(*s)).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Self {
            scopes: sorted.into_boxed_slice(),
            tenant: tenant.map(Box::from),
            cae,
        }
    }

    /// Order- and duplicate-insensitive comparison, without allocating.
    fn matches(&self, scopes: &[&str], tenant: Option<&str>, cae: bool) -> bool {
        if self.cae != cae || self.tenant.as_deref() != tenant {
            return false;
        }
        // Fast path: the same scopes in sorted order (one scope, usually).
        // Equivalent to the general test below when it says yes; it only
        // saves the binary searches.
        if self.scopes.len() == scopes.len()
            && self.scopes.iter().zip(scopes).all(|(k, s)| **k == **s)
        {
            return true;
        }
        scopes
            .iter()
            .all(|s| self.scopes.binary_search_by(|k| (**k).cmp(s)).is_ok())
            && self.scopes.iter().all(|k| scopes.contains(&&**k))
    }
}

struct Cached {
    /// One copy per thread slot, so that threads cloning the token do not
    /// contend on one reference count.
    copies: PerThread<AccessToken>,
    /// From here on the token is stale: refresh, but keep serving it.
    refresh_at: OffsetDateTime,
    /// `refresh_at` in Unix nanoseconds, for the hot path.
    refresh_at_nanos: i128,
    /// From here on the token is not served.
    usable_until: OffsetDateTime,
    /// No refresh attempt before this.
    next_attempt: OffsetDateTime,
}

impl Cached {
    fn token(&self) -> AccessToken {
        self.copies.get().clone()
    }
}

impl TokenCache {
    /// An empty cache reading time from `clock`, with random jitter, at most
    /// 64 keys, refreshing in the background.
    pub fn new(clock: SharedClock) -> Self {
        Self::with_settings(
            clock,
            Settings {
                jitter: crate::retry::random_unit,
                max_keys: DEFAULT_MAX_KEYS,
                background: true,
            },
        )
    }

    fn with_settings(clock: SharedClock, settings: Settings) -> Self {
        Self {
            shared: Arc::new(Shared {
                table: ArcSwap::from_pointee(Vec::new()),
                write: Mutex::new(()),
                clock,
                settings,
            }),
            second_level: None,
        }
    }

    /// The same cache with other settings. Settings are for construction:
    /// applied to a cache that already holds tokens or has clones, this
    /// starts an empty one.
    fn configure(self, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.shared.settings;
        change(&mut settings);
        Self {
            second_level: self.second_level,
            ..Self::with_settings(Arc::clone(&self.shared.clock), settings)
        }
    }

    /// Adds a persistent second level: on a miss in memory the store is
    /// consulted before fetching, and fetched tokens are written to it (see
    /// `SecondLevel` for the rules). Requests with claims never use it.
    /// Plumbing for this workspace's credentials.
    #[doc(hidden)]
    pub fn with_second_level(mut self, second_level: Option<SecondLevel>) -> Self {
        self.second_level = second_level;
        self
    }

    /// Replaces the jitter source: a function returning a value in `[0, 1)`,
    /// scaled to 0–30 s. Tests pass `|| 0.0`. Call it right after
    /// [`new`](Self::new): a cache reconfigured later starts empty.
    pub fn with_jitter(self, jitter: fn() -> f64) -> Self {
        self.configure(|s| s.jitter = jitter)
    }

    /// The most keys (scopes × tenant × claims) held at once (default
    /// 64, at least 1); past it the least recently used key
    /// is evicted. Call it right after [`new`](Self::new).
    pub fn with_max_keys(self, max_keys: usize) -> Self {
        self.configure(|s| s.max_keys = max_keys.max(1))
    }

    /// Whether a stale token is refreshed in a task spawned on the caller's
    /// runtime (`true`, the default) or by the caller that noticed, which
    /// then waits for it (`false`; the other callers still get the cached
    /// token at once). Call it right after [`new`](Self::new).
    pub fn with_background_refresh(self, background: bool) -> Self {
        self.configure(|s| s.background = background)
    }

    /// Returns a cached token for `scopes` (in any order) and the options'
    /// tenant, or calls `fetch` following the rules in the module docs.
    ///
    /// `fetch` itself runs on the caller's task and may borrow; the future it
    /// returns owns what it needs, because a refresh ahead of expiry runs it
    /// in a background task.
    ///
    /// # Errors
    /// `fetch`'s error, when there is no valid cached token to return (callers
    /// waiting on the same fetch all get it); a failed refresh while the cached
    /// token is still valid is not an error.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
    {
        if let Some(token) = self.fresh(scopes, options) {
            return Ok(token);
        }
        // Boxed so that the hot path's future stays small.
        Box::pin(self.get_slow(scopes, options, fetch)).await
    }

    /// [`get_or_fetch`](Self::get_or_fetch) for a fetch whose future borrows
    /// (an interactive sign-in that may prompt): the same rules, except that
    /// a refresh ahead of expiry runs on the calling task (the caller that
    /// notices waits for it; the others are served the valid token), and the
    /// persistent second level is not consulted.
    ///
    /// # Errors
    /// As [`get_or_fetch`](Self::get_or_fetch): `fetch`'s error when no valid
    /// token is cached.
    pub async fn get_or_fetch_inline<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        if let Some(token) = self.fresh(scopes, options) {
            return Ok(token);
        }
        let shared = &self.shared;
        let now = shared.clock.now();
        let entry = shared.entry(scopes, options.tenant_id(), options.enable_cae, now);
        if options.claims().is_some() {
            tracing::debug!("token request carries claims; bypassing the cache");
            let token = fetch().await?;
            shared.store(&entry, &token, now);
            return Ok(token);
        }
        if let Some(cached) = shared.cached(&entry)
            && now < cached.usable_until
        {
            let Ok(_guard) = entry.fetch.try_lock() else {
                return Ok(cached.token());
            };
            let Some(current) = shared.cached(&entry) else {
                return Ok(cached.token());
            };
            if now < current.next_attempt {
                return Ok(current.token());
            }
            tracing::debug!("token is stale; refreshing it on the calling task");
            let outcome = fetch().await;
            return Ok(shared
                .finish_refresh(&entry, &current, outcome)
                .unwrap_or_else(|| current.token()));
        }
        shared.fetch_shared(&entry, fetch).await
    }

    /// The hot path: a fresh cached token for the request, if there is one
    /// (no lock, no allocation, no shared counter). Never for claims.
    #[inline]
    fn fresh(&self, scopes: &[&str], options: &TokenRequestOptions) -> Option<AccessToken> {
        if options.claims().is_some() {
            return None;
        }
        let tenant = options.tenant_id();
        let cae = options.enable_cae;
        let now = self.shared.clock.now_unix_nanos();
        let table = self.shared.table.load();
        let (entry, cached) = table
            .iter()
            .find(|slot| slot.entry.key.matches(scopes, tenant, cae))
            .and_then(|slot| Some((&slot.entry, slot.cached.as_deref()?)))
            .filter(|(_, cached)| now < cached.refresh_at_nanos)?;
        tracing::trace!("token cache hit");
        entry.touch(now);
        Some(cached.token())
    }

    async fn get_slow<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
    {
        let shared = &self.shared;
        let now = shared.clock.now();
        // The persistent second level stands in front of `fetch` (never for
        // a request with claims); it owns what it needs, so the fetch can
        // still run in a background task.
        let second_level = self
            .second_level
            .clone()
            .filter(|_| options.claims().is_none());
        let owned_scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let owned_options = options.clone();
        let fetch = move || {
            let inner = fetch();
            async move {
                match second_level {
                    Some(level) => {
                        let scopes: Vec<&str> = owned_scopes.iter().map(String::as_str).collect();
                        level
                            .fetch_through(&scopes, &owned_options, now, move || inner)
                            .await
                    }
                    None => inner.await,
                }
            }
        };
        let entry = shared.entry(scopes, options.tenant_id(), options.enable_cae, now);
        if options.claims().is_some() {
            tracing::debug!("token request carries claims; bypassing the cache");
            let token = fetch().await?;
            shared.store(&entry, &token, now);
            return Ok(token);
        }
        if let Some(cached) = shared.cached(&entry) {
            // A fresh token here (stored since the hot path looked) goes
            // through `refresh_stale` too, which serves it: its
            // `next_attempt` is still ahead.
            if now < cached.usable_until {
                return Ok(self.refresh_stale(&entry, cached, now, fetch).await);
            }
        }
        shared.fetch_shared(&entry, fetch).await
    }

    /// Stale but valid: starts one refresh unless one is running or the last
    /// attempt was less than 30 s ago; returns a valid token at once (after
    /// the refresh, when it runs inline).
    async fn refresh_stale<F, Fut>(
        &self,
        entry: &Arc<Entry>,
        cached: Arc<Cached>,
        now: OffsetDateTime,
        fetch: F,
    ) -> AccessToken
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
    {
        let Ok(guard) = Arc::clone(&entry.fetch).try_lock_owned() else {
            tracing::trace!("token is stale; another caller is refreshing it");
            return cached.token();
        };
        // Decided under the lock, so that a refresh that just finished (or
        // failed) is seen by everyone who races it. A token stored by a
        // refresh that finished meanwhile (fresh or not) has its
        // `next_attempt` ahead of `now`, so this also serves it.
        let Some(current) = self.shared.cached(entry) else {
            return cached.token(); // evicted meanwhile; the token is still valid
        };
        if now < current.next_attempt {
            return current.token();
        }
        tracing::debug!("token is stale; refreshing it");
        let refresh = fetch();
        let background = self.shared.settings.background;
        if let Some(runtime) = background
            .then(tokio::runtime::Handle::try_current)
            .and_then(Result::ok)
        {
            let shared = Arc::clone(&self.shared);
            let entry = Arc::clone(entry);
            runtime.spawn(async move {
                let _guard = guard;
                shared.finish_refresh(&entry, &current, refresh.await);
            });
            return cached.token();
        }
        let _guard = guard;
        self.shared
            .finish_refresh(entry, &current, refresh.await)
            .unwrap_or_else(|| current.token())
    }
}

impl Shared {
    /// Stores a refresh's outcome; returns the new token, or `None` (a
    /// failure, after which the old token is kept for 30 s without retry).
    fn finish_refresh(
        &self,
        entry: &Arc<Entry>,
        old: &Cached,
        outcome: Result<AccessToken, CredentialError>,
    ) -> Option<AccessToken> {
        let now = self.clock.now();
        let new = match &outcome {
            Ok(token) => {
                tracing::debug!("token refreshed");
                self.store(entry, token, now);
                Some(token.clone())
            }
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    "token refresh failed; keeping the valid token and retrying in 30 s"
                );
                self.replace(
                    entry,
                    Arc::new(Cached {
                        copies: old.copies.clone(),
                        refresh_at: old.refresh_at,
                        refresh_at_nanos: old.refresh_at_nanos,
                        usable_until: old.usable_until,
                        next_attempt: now.saturating_add(REFRESH_RETRY_DELAY),
                    }),
                );
                None
            }
        };
        self.record(entry, outcome);
        new
    }

    /// Expired or absent: callers queue on the fetch lock; the first fetches,
    /// the rest take its outcome.
    async fn fetch_shared<F, Fut>(
        &self,
        entry: &Arc<Entry>,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        let seen = entry.generation.load(Ordering::Acquire);
        let _guard = entry.fetch.lock().await;
        let now = self.clock.now();
        if let Some(current) = self.cached(entry)
            && now < current.usable_until
        {
            return Ok(current.token());
        }
        if entry.generation.load(Ordering::Acquire) != seen {
            let outcome = entry
                .last_outcome
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if let Some(outcome) = outcome {
                tracing::debug!("using the outcome of a token request that finished while waiting");
                return outcome;
            }
        }
        tracing::debug!("no valid token cached; requesting one");
        let outcome = fetch().await;
        match &outcome {
            Ok(token) => self.store(entry, token, now),
            Err(error) => tracing::debug!(error = %error, "token request failed"),
        }
        self.record(entry, outcome.clone());
        outcome
    }

    fn record(&self, entry: &Entry, outcome: Result<AccessToken, CredentialError>) {
        *entry.last_outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        entry.generation.fetch_add(1, Ordering::Release);
    }

    fn store(&self, entry: &Arc<Entry>, token: &AccessToken, fetched_at: OffsetDateTime) {
        let jitter = MAX_JITTER * crate::retry::unit((self.settings.jitter)());
        let refresh_point = token
            .refresh_on
            .unwrap_or(token.expires_on.saturating_sub(DEFAULT_REFRESH_OFFSET));
        // Saturating: a token may carry any time `time` can hold.
        let refresh_at = refresh_point.saturating_sub(jitter);
        let cached = Cached {
            copies: PerThread::from_fn(|_| AccessToken {
                token: token.token.unshared_copy(),
                expires_on: token.expires_on,
                refresh_on: token.refresh_on,
            }),
            refresh_at,
            refresh_at_nanos: refresh_at.unix_timestamp_nanos(),
            usable_until: usable_until(token.expires_on, fetched_at),
            next_attempt: fetched_at.saturating_add(REFRESH_RETRY_DELAY),
        };
        self.replace(entry, Arc::new(cached));
    }

    /// Swaps in a new table where `entry`'s slot holds `cached`.
    fn replace(&self, entry: &Arc<Entry>, cached: Arc<Cached>) {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = Vec::clone(&self.table.load());
        match table
            .iter_mut()
            .find(|slot| Arc::ptr_eq(&slot.entry, entry))
        {
            Some(slot) => slot.cached = Some(cached),
            // Evicted while its fetch ran: back in, as the most recent.
            None => self.insert(
                &mut table,
                Slot {
                    entry: Arc::clone(entry),
                    cached: Some(cached),
                },
            ),
        }
        self.table.store(Arc::new(table));
    }

    /// Adds a slot, first evicting the least recently used ones past the
    /// limit (ties: the oldest key).
    fn insert(&self, table: &mut Vec<Slot>, slot: Slot) {
        // `>=`, though `==` would do: the table never holds more than the
        // limit, so the two are equivalent (a mutant that swaps them survives).
        while table.len() >= self.settings.max_keys {
            let lru = table
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.entry.last_used.load(Ordering::Relaxed))
                .map(|(i, _)| i);
            let Some(lru) = lru else { break };
            tracing::debug!("token cache full; evicting the least recently used key");
            table.remove(lru);
        }
        table.push(slot);
    }

    fn cached(&self, entry: &Arc<Entry>) -> Option<Arc<Cached>> {
        self.table
            .load()
            .iter()
            .find(|slot| Arc::ptr_eq(&slot.entry, entry))
            .and_then(|slot| slot.cached.clone())
    }

    /// The entry for a key, created on first use, marked as used now.
    fn entry(
        &self,
        scopes: &[&str],
        tenant: Option<&str>,
        cae: bool,
        now: OffsetDateTime,
    ) -> Arc<Entry> {
        let now_nanos = now.unix_timestamp_nanos();
        let find = |table: &[Slot]| {
            table
                .iter()
                .find(|slot| slot.entry.key.matches(scopes, tenant, cae))
                .map(|slot| Arc::clone(&slot.entry))
        };
        if let Some(entry) = find(&self.table.load()) {
            entry.touch(now_nanos);
            return entry;
        }
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = Vec::clone(&self.table.load());
        if let Some(entry) = find(&table) {
            entry.touch(now_nanos);
            return entry;
        }
        let entry = Arc::new(Entry {
            key: CacheKey::new(scopes, tenant, cae),
            fetch: Arc::new(tokio::sync::Mutex::new(())),
            generation: AtomicU64::new(0),
            last_outcome: Mutex::new(None),
            last_used: AtomicI64::new(recency(now_nanos)),
        });
        self.insert(
            &mut table,
            Slot {
                entry: Arc::clone(&entry),
                cached: None,
            },
        );
        self.table.store(Arc::new(table));
        entry
    }
}

/// Until when a token is served: 30 s before it expires, or, for a token
/// that arrived inside that margin, halfway through its remaining life.
fn usable_until(expires_on: OffsetDateTime, fetched_at: OffsetDateTime) -> OffsetDateTime {
    let with_margin = expires_on.saturating_sub(EXPIRY_MARGIN);
    if fetched_at < with_margin {
        with_margin
    } else {
        fetched_at + (expires_on - fetched_at) / 2
    }
}
