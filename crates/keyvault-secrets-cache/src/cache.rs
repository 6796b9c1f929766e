//! [`SecretCache`]: the read paths, the shared fetches and the refresh rules.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credential_core::{Secret, SharedClock};
use futures::FutureExt;
use keyvault_secrets::{SecretClient, SecretProperties};

use crate::builder::SecretCacheBuilder;
use crate::entry::{Entry, Flight, Outcome, State, Value};
use crate::error::CacheError;
use crate::stats::{CacheStats, Counters};
use crate::table::{self, Table};
use crate::throttle::{Throttle, nanos};
use crate::vault;

/// A user's callback for failed fetches.
pub(crate) type Hook = Arc<dyn Fn(&FetchFailure<'_>) + Send + Sync>;

/// What [`SecretCacheBuilder::with_on_fetch_error`] is told about a failed fetch.
#[derive(Debug)]
#[non_exhaustive]
pub struct FetchFailure<'a> {
    /// The secret's name.
    pub name: &'a str,
    /// The version, for [`SecretCache::get_version`] entries.
    pub version: Option<&'a str>,
    /// Why the fetch failed.
    pub error: &'a CacheError,
    /// How much longer the last good value is served (`None`: there is no
    /// value to serve, or its stale limit has passed).
    pub serving_stale_for: Option<Duration>,
}

/// A client-side cache of one vault's secrets, on a [`SecretClient`].
///
/// Cheap to clone; clones share the entries. The rules:
/// - **Fresh** (younger than the refresh point, 80 % of the TTL by default):
///   returned at once, without a lock: one lock-free load of a copy-on-write
///   map, a clock read, and a reference-count increment on a per-thread copy
///   of the value.
/// - **Past the refresh point but within the TTL**: returned at once, and
///   one refresh runs in the background on the caller's tokio runtime.
/// - **Absent or expired**: concurrent callers share one request and its
///   result (single-flight).
/// - **A failed fetch** keeps serving the last good value until the stale
///   limit past its TTL, retries after the retry delay, and is reported to
///   the hook and to `tracing`.
/// - **Not found** (`404`) is cached for the negative TTL.
/// - **`429`** starts a backoff shared by every name: no request leaves the
///   cache until it ends, and cached values keep being served. Let the cache
///   own throttling: build the client with a retry policy whose
///   `retry_statuses` leave out 429, or each `429` costs the client's own
///   retries as well.
///
/// Values are [`Secret`]s: hidden from `Debug`, wiped from memory when the
/// last copy is dropped.
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets_cache::CacheError> {
/// use keyvault_secrets_cache::SecretCache;
/// use std::time::Duration;
/// let cache = SecretCache::builder(client)
///     .with_ttl(Duration::from_secs(600))
///     .build()?;
/// let password = cache.get("db-password").await?;
/// println!("{} bytes", password.expose_secret().len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SecretCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: SecretClient,
    table: Table,
    clock: SharedClock,
    throttle: Throttle,
    counters: Counters,
    ttl: Duration,
    secret_ttls: HashMap<String, Duration>,
    refresh_point: f64,
    negative_ttl: Duration,
    stale_limit: Duration,
    retry_delay: Duration,
    on_fetch_error: Option<Hook>,
}

impl fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretCache")
            .field("vault_url", &self.inner.client.vault_url().as_str())
            .field("entries", &self.inner.table.len())
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl SecretCache {
    /// A cache with the default options over `client`.
    ///
    /// # Errors
    ///
    /// None with the defaults today; it returns `Result` as every
    /// constructor does, so that an option that can be wrong can be added.
    pub fn new(client: SecretClient) -> Result<Self, CacheError> {
        Self::builder(client).build()
    }

    /// A builder for a cache with options.
    pub fn builder(client: SecretClient) -> SecretCacheBuilder {
        SecretCacheBuilder::new(client)
    }

    pub(crate) fn from_builder(b: SecretCacheBuilder) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: b.client,
                table: Table::new(b.max_entries),
                clock: b.clock,
                throttle: Throttle::new(b.throttle_backoff.0, b.throttle_backoff.1),
                counters: Counters::new(),
                ttl: b.ttl,
                secret_ttls: b.secret_ttls,
                refresh_point: b.refresh_point,
                negative_ttl: b.negative_ttl,
                stale_limit: b.stale_limit,
                retry_delay: b.retry_delay,
                on_fetch_error: b.on_fetch_error,
            }),
        }
    }

    /// The client the cache reads through.
    pub fn client(&self) -> &SecretClient {
        &self.inner.client
    }

    /// The latest version's value of `name`.
    ///
    /// # Errors
    /// [`CacheError::NotFound`] when the vault has no such secret (remembered
    /// for the negative TTL); [`CacheError::Throttled`] while the vault's
    /// throttling backoff runs; [`CacheError::Vault`] when reading failed (the
    /// client's error is the source). Each only when no cached value is usable:
    /// a value within its stale limit is served instead.
    pub async fn get(&self, name: &str) -> Result<Secret, CacheError> {
        self.inner.read(name, None, Value::secret).await
    }

    /// The value of one version of `name`.
    ///
    /// # Errors
    /// As [`get`](Self::get), for that version.
    pub async fn get_version(&self, name: &str, version: &str) -> Result<Secret, CacheError> {
        self.inner.read(name, Some(version), Value::secret).await
    }

    /// The properties of the latest version of `name` (from the same entry
    /// as [`get`](Self::get)).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_properties(&self, name: &str) -> Result<SecretProperties, CacheError> {
        self.inner.read(name, None, |v| v.properties.clone()).await
    }

    /// Forgets `name` (its latest version and every version read); the next
    /// read fetches it again.
    pub fn invalidate(&self, name: &str) {
        self.inner.table.remove_name(name);
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.inner.table.clear();
    }

    /// Reads the latest version of `name` from the vault now, whatever the
    /// cache holds, and caches it. A fetch already in flight is not joined
    /// (it may have started before the change the caller knows of). A
    /// failure is returned (unlike [`get`](Self::get), which would serve the
    /// last good value); the cache keeps serving that value to readers.
    ///
    /// # Errors
    /// [`CacheError::NotFound`], [`CacheError::Throttled`] or
    /// [`CacheError::Vault`] as [`get`](Self::get) says, but whatever the cache
    /// holds.
    pub async fn refresh_now(&self, name: &str) -> Result<Secret, CacheError> {
        let inner = &self.inner;
        let now = inner.now();
        let entry = inner.entry(name, name, None, now);
        let (flight, _) = inner.flight(&entry, true);
        let state = flight.await?;
        match &state.value {
            Some(value) => Ok(value.secret()),
            None => Err(CacheError::NotFound { name: name.into() }),
        }
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        self.inner.counters.snapshot(self.inner.table.len())
    }
}

impl Inner {
    #[inline]
    fn now(&self) -> i64 {
        i64::try_from(self.clock.now_unix_nanos()).unwrap_or(i64::MAX)
    }

    /// The hot path: a fresh entry's answer, or `None` to take the slow path.
    #[inline]
    fn lookup<T>(
        &self,
        key: &str,
        now: i64,
        project: impl Fn(&Value) -> T,
    ) -> Option<Result<T, CacheError>> {
        let map = self.table.load();
        let entry = map.get(key)?;
        let state = entry.state.load();
        let state = state.as_ref()?;
        if now >= state.refresh_at {
            return None;
        }
        entry.touch(now);
        self.counters.hit();
        Some(match &state.value {
            Some(value) => Ok(project(value)),
            None => Err(CacheError::NotFound {
                name: entry.name.to_string(),
            }),
        })
    }

    async fn read<T>(
        self: &Arc<Self>,
        name: &str,
        version: Option<&str>,
        project: impl Fn(&Value) -> T,
    ) -> Result<T, CacheError> {
        let key = match version {
            None => Cow::Borrowed(name),
            Some(_) => Cow::Owned(table::key(name, version)),
        };
        let now = self.now();
        if let Some(answer) = self.lookup(&key, now, &project) {
            return answer;
        }
        let entry = self.entry(&key, name, version, now);
        entry.touch(now);
        if let Some(state) = entry.state.load_full() {
            match &state.value {
                Some(value) if now < state.serve_until => {
                    self.counters.hit();
                    // (A fresh state here was installed after the lookup.)
                    if now >= state.refresh_at && now >= state.next_attempt {
                        self.refresh_in_background(&entry);
                    }
                    return Ok(project(value));
                }
                None if now < state.expires_at => {
                    self.counters.hit();
                    return Err(CacheError::NotFound { name: name.into() });
                }
                _ => {
                    if let (true, Some(error)) = (now < state.next_attempt, &state.last_error) {
                        return Err(error.clone());
                    }
                }
            }
        }
        Counters::add(&self.counters.misses, 1);
        let (flight, _) = self.flight(&entry, false);
        self.answer(&entry, flight.await, project)
    }

    /// The entry for `key`, created if absent (evicting to make room).
    fn entry(&self, key: &str, name: &str, version: Option<&str>, now: i64) -> Arc<Entry> {
        let (entry, evicted) = self
            .table
            .get_or_insert(key, || Entry::new(name, version, now));
        if evicted > 0 {
            Counters::add(&self.counters.evictions, evicted as u64);
        }
        entry
    }

    /// A waiting caller's answer from a fetch's outcome: the new value, or
    /// after a failure the last good value while its stale limit lasts.
    fn answer<T>(
        &self,
        entry: &Entry,
        outcome: Outcome,
        project: impl Fn(&Value) -> T,
    ) -> Result<T, CacheError> {
        match outcome {
            Ok(state) => match &state.value {
                Some(value) => Ok(project(value)),
                None => Err(CacheError::NotFound {
                    name: entry.name.to_string(),
                }),
            },
            Err(error) => {
                let now = self.now();
                match entry.state.load_full() {
                    Some(state) if now < state.serve_until => match &state.value {
                        Some(value) => Ok(project(value)),
                        None => Err(error),
                    },
                    _ => Err(error),
                }
            }
        }
    }

    /// The fetch in flight for `entry`, or a new one (always a new one when
    /// `force`). Returns it and whether it was created.
    fn flight(self: &Arc<Self>, entry: &Arc<Entry>, force: bool) -> (Flight, bool) {
        let mut slot = entry.flight.lock().unwrap_or_else(|e| e.into_inner());
        if let (false, Some((_, flight))) = (force, slot.as_ref()) {
            return (flight.clone(), false);
        }
        let seq = {
            let mut seq = entry.seq.lock().unwrap_or_else(|e| e.into_inner());
            seq.started += 1;
            seq.started
        };
        let inner = Arc::clone(self);
        let owner = Arc::clone(entry);
        let flight = async move {
            let outcome = inner.fetch(&owner, seq).await;
            let mut slot = owner.flight.lock().unwrap_or_else(|e| e.into_inner());
            if slot.as_ref().is_some_and(|(s, _)| *s == seq) {
                *slot = None;
            }
            outcome
        }
        .boxed()
        .shared();
        *slot = Some((seq, flight.clone()));
        (flight, true)
    }

    /// Starts a refresh on the caller's runtime unless one is in flight.
    /// Without a tokio runtime nothing starts: the value is served until its
    /// TTL ends, and the read after that fetches.
    fn refresh_in_background(self: &Arc<Self>, entry: &Arc<Entry>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (flight, created) = self.flight(entry, false);
        if created {
            drop(runtime.spawn(flight));
        }
    }

    fn ttl_for(&self, name: &str) -> Duration {
        if self.secret_ttls.is_empty() {
            return self.ttl;
        }
        self.secret_ttls.get(name).copied().unwrap_or(self.ttl)
    }

    /// One request to the vault (unless throttled), and the state it makes.
    async fn fetch(&self, entry: &Entry, seq: u64) -> Outcome {
        let name = &*entry.name;
        let previous = entry.state.load_full();
        let had_value = previous.as_ref().is_some_and(|s| s.value.is_some());
        let result = match self.throttle.admit(self.now()) {
            Err(retry_in) => Err(CacheError::Throttled { retry_in }),
            Ok(()) => {
                if had_value {
                    Counters::add(&self.counters.refreshes, 1);
                }
                let result = vault::get_secret(&self.client, name, entry.version.as_deref()).await;
                match result {
                    Ok(fetched) => {
                        self.throttle.answered();
                        Ok(Some(fetched))
                    }
                    Err(e) if e.is_not_found() => {
                        self.throttle.answered();
                        Ok(None)
                    }
                    Err(source) => {
                        if source.is_throttled() {
                            self.throttle.throttled(self.now());
                        } else {
                            self.throttle.answered();
                        }
                        Err(CacheError::Vault {
                            name: name.into(),
                            source: Arc::new(source),
                        })
                    }
                }
            }
        };
        let now = self.now();
        match result {
            Ok(fetched) => {
                let state = match fetched {
                    Some(fetched) => {
                        let ttl = self.ttl_for(name);
                        let expires_at = now.saturating_add(nanos(ttl));
                        State {
                            value: Some(Arc::new(Value::new(fetched.value, fetched.properties))),
                            // `try_`: `mul_f64` panics when a huge TTL rounds past `Duration::MAX`.
                            refresh_at: now.saturating_add(nanos(
                                Duration::try_from_secs_f64(ttl.as_secs_f64() * self.refresh_point)
                                    .unwrap_or(ttl),
                            )),
                            expires_at,
                            serve_until: expires_at,
                            next_attempt: i64::MIN,
                            last_error: None,
                            seq,
                        }
                    }
                    None => {
                        let until = now.saturating_add(nanos(self.negative_ttl));
                        State {
                            value: None,
                            refresh_at: until,
                            expires_at: until,
                            serve_until: until,
                            next_attempt: i64::MIN,
                            last_error: None,
                            seq,
                        }
                    }
                };
                Ok(entry.install(Arc::new(state)))
            }
            Err(error) => {
                Counters::add(&self.counters.errors, 1);
                let mut next_attempt = now.saturating_add(nanos(self.retry_delay));
                if let Some(wait) = self.throttle.remaining(now) {
                    next_attempt = next_attempt.max(now.saturating_add(nanos(wait)));
                }
                let mut serving_stale_for = None;
                if let Some(previous) = previous.filter(|p| p.value.is_some()) {
                    let serve_until = previous.expires_at.saturating_add(nanos(self.stale_limit));
                    if now < serve_until {
                        serving_stale_for = Some(Duration::from_nanos((serve_until - now) as u64));
                    }
                    entry.install(Arc::new(State {
                        value: previous.value.clone(),
                        refresh_at: previous.refresh_at,
                        expires_at: previous.expires_at,
                        serve_until,
                        next_attempt,
                        last_error: Some(error.clone()),
                        seq,
                    }));
                }
                self.report(entry, &error, serving_stale_for);
                Err(error)
            }
        }
    }

    fn report(&self, entry: &Entry, error: &CacheError, serving_stale_for: Option<Duration>) {
        let cause = std::error::Error::source(error)
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::warn!(
            secret = &*entry.name,
            version = entry.version.as_deref(),
            error = %error,
            cause = %cause,
            serving_stale_for = ?serving_stale_for,
            "reading a secret from the vault failed"
        );
        if let Some(hook) = &self.on_fetch_error {
            hook(&FetchFailure {
                name: &entry.name,
                version: entry.version.as_deref(),
                error,
                serving_stale_for,
            });
        }
    }
}
