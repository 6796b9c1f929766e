//! [`TokenCache`]: one credential's tokens, refreshed without making callers
//! wait while a valid token exists.
//!
//! The rules (see `decisions.md`):
//! - **Fresh** (before the refresh point): returned at once. The hot path
//!   takes no lock and allocates nothing: one lock-free load of a
//!   copy-on-write table, one clock read, one reference-count increment on a
//!   per-thread copy of the token.
//! - **Stale but valid** (past the refresh point, more than 30 s before
//!   expiry): the cached token is returned at once; exactly one caller (the one
//!   that wins `try_lock`) refreshes, the others do not wait. A failed refresh
//!   keeps the token, and no new attempt is made for 30 s.
//! - **Expired or absent**: concurrent callers share one fetch and its
//!   result, error included.
//! - The refresh point is `refresh_on`, or 5 minutes before `expires_on`,
//!   minus a jitter of up to 30 s so that many processes do not refresh at once.
//! - Requests with claims bypass the lookup (their token is stored).
//! - No background task and no sleeping: an injected clock drives it all.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// A per-credential token cache. See the module docs for the rules.
///
/// ```
/// use credential_core::{AccessToken, ManualClock, TokenCache, TokenRequestOptions};
/// use std::sync::Arc;
/// use time::{macros::datetime, Duration};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let clock = ManualClock::new(datetime!(2030-01-01 0:00 UTC));
/// let cache = TokenCache::new(Arc::new(clock.clone()));
/// let options = TokenRequestOptions::default();
/// let fetch = || async { Ok(AccessToken::new("t", datetime!(2030-01-01 1:00 UTC))) };
/// let first = cache.get_or_fetch(&["scope"], &options, fetch).await.unwrap();
/// // A second call is served from the cache: this fetch would fail.
/// let second = cache
///     .get_or_fetch(&["scope"], &options, || async { unreachable!() })
///     .await
///     .unwrap();
/// assert_eq!(first, second);
/// # });
/// ```
pub struct TokenCache {
    /// Copy-on-write: readers load it without locking; writers (a new key, a
    /// new token) replace it under `write`.
    table: ArcSwap<Vec<Slot>>,
    write: Mutex<()>,
    clock: SharedClock,
    jitter: fn() -> f64,
    // Persistent second level (issue 21): consulted on a miss, written after a fetch.
    second_level: Option<SecondLevel>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("keys", &self.table.load().len())
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
    /// Held by the one caller fetching for this key.
    fetch: tokio::sync::Mutex<()>,
    /// Counts completed fetches, so waiters can tell one finished.
    generation: AtomicU64,
    /// The latest fetch's outcome, for callers that waited on it.
    last_outcome: Mutex<Option<Result<AccessToken, CredentialError>>>,
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
    /// An empty cache reading time from `clock`, with random jitter.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            table: ArcSwap::from_pointee(Vec::new()),
            write: Mutex::new(()),
            clock,
            jitter: crate::retry::random_unit,
            second_level: None,
        }
    }

    /// Adds a persistent second level: on a miss in memory the store is
    /// consulted before fetching, and fetched tokens are written to it (see
    /// [`SecondLevel`] for the rules). Requests with claims never use it.
    pub fn with_second_level(mut self, second_level: Option<SecondLevel>) -> Self {
        self.second_level = second_level;
        self
    }

    /// Replaces the jitter source: a function returning a value in `[0, 1)`,
    /// scaled to 0–30 s. Tests pass `|| 0.0`.
    pub fn with_jitter(mut self, jitter: fn() -> f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// Returns a cached token for `scopes` (in any order) and the options'
    /// tenant, or calls `fetch` following the rules in the module docs.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        let tenant = options.tenant_id();
        let cae = options.enable_cae;
        let claims = options.claims().is_some();
        if !claims {
            // The hot path: no lock, no allocation, no shared counter.
            let now = self.clock.now_unix_nanos();
            let table = self.table.load();
            let hit = table
                .iter()
                .find(|slot| slot.entry.key.matches(scopes, tenant, cae))
                .and_then(|slot| slot.cached.as_deref())
                .filter(|cached| now < cached.refresh_at_nanos);
            if let Some(cached) = hit {
                tracing::trace!("token cache hit");
                return Ok(cached.token());
            }
        }

        // Boxed so that the hot path's future stays small.
        Box::pin(self.get_slow(scopes, options, fetch)).await
    }

    async fn get_slow<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        fetch: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        let now = self.clock.now();
        // Second level (issue 21): the store stands in front of `fetch`.
        let second_level = self.second_level.as_ref();
        let fetch = || async move {
            match second_level.filter(|_| options.claims().is_none()) {
                Some(level) => level.fetch_through(scopes, options, now, fetch).await,
                None => fetch().await,
            }
        };
        let entry = self.entry(scopes, options.tenant_id(), options.enable_cae);
        if options.claims().is_some() {
            tracing::debug!("token request carries claims; bypassing the cache");
            let token = fetch().await?;
            self.store(&entry, &token, now);
            return Ok(token);
        }
        if let Some(cached) = self.cached(&entry) {
            if now < cached.refresh_at {
                return Ok(cached.token());
            }
            if now < cached.usable_until {
                return Ok(self.refresh_stale(&entry, &cached, now, fetch).await);
            }
        }
        self.fetch_shared(&entry, fetch).await
    }

    /// Stale but valid: one caller refreshes, everyone gets a valid token.
    async fn refresh_stale<F, Fut>(
        &self,
        entry: &Arc<Entry>,
        cached: &Cached,
        now: OffsetDateTime,
        fetch: F,
    ) -> AccessToken
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        if now < cached.next_attempt {
            return cached.token();
        }
        let Ok(_guard) = entry.fetch.try_lock() else {
            tracing::trace!("token is stale; another caller is refreshing it");
            return cached.token();
        };
        // Another caller may have refreshed between our load and the lock.
        if let Some(current) = self.cached(entry) {
            if now < current.refresh_at || now < current.next_attempt {
                return current.token();
            }
        }
        tracing::debug!("token is stale; refreshing it");
        match fetch().await {
            Ok(token) => {
                tracing::debug!("token refreshed");
                self.store(entry, &token, now);
                self.record(entry, Ok(token.clone()));
                token
            }
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    "token refresh failed; keeping the valid token and retrying in 30 s"
                );
                self.replace(
                    entry,
                    Arc::new(Cached {
                        copies: cached.copies.clone(),
                        refresh_at: cached.refresh_at,
                        refresh_at_nanos: cached.refresh_at_nanos,
                        usable_until: cached.usable_until,
                        next_attempt: now + REFRESH_RETRY_DELAY,
                    }),
                );
                cached.token()
            }
        }
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
        if let Some(current) = self.cached(entry) {
            if now < current.usable_until {
                return Ok(current.token());
            }
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
        let jitter = MAX_JITTER * (self.jitter)().clamp(0.0, 1.0);
        let refresh_point = token
            .refresh_on
            .unwrap_or(token.expires_on - DEFAULT_REFRESH_OFFSET);
        let refresh_at = refresh_point - jitter;
        let cached = Cached {
            copies: PerThread::from_fn(|_| AccessToken {
                token: token.token.unshared_copy(),
                expires_on: token.expires_on,
                refresh_on: token.refresh_on,
            }),
            refresh_at,
            refresh_at_nanos: refresh_at.unix_timestamp_nanos(),
            usable_until: token.expires_on - EXPIRY_MARGIN,
            next_attempt: fetched_at + REFRESH_RETRY_DELAY,
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
            None => table.push(Slot {
                entry: Arc::clone(entry),
                cached: Some(cached),
            }),
        }
        self.table.store(Arc::new(table));
    }

    fn cached(&self, entry: &Arc<Entry>) -> Option<Arc<Cached>> {
        self.table
            .load()
            .iter()
            .find(|slot| Arc::ptr_eq(&slot.entry, entry))
            .and_then(|slot| slot.cached.clone())
    }

    /// The entry for a key, created on first use.
    fn entry(&self, scopes: &[&str], tenant: Option<&str>, cae: bool) -> Arc<Entry> {
        let find = |table: &[Slot]| {
            table
                .iter()
                .find(|slot| slot.entry.key.matches(scopes, tenant, cae))
                .map(|slot| Arc::clone(&slot.entry))
        };
        if let Some(entry) = find(&self.table.load()) {
            return entry;
        }
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = Vec::clone(&self.table.load());
        if let Some(entry) = find(&table) {
            return entry;
        }
        let entry = Arc::new(Entry {
            key: CacheKey::new(scopes, tenant, cae),
            fetch: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            last_outcome: Mutex::new(None),
        });
        table.push(Slot {
            entry: Arc::clone(&entry),
            cached: None,
        });
        self.table.store(Arc::new(table));
        entry
    }
}
