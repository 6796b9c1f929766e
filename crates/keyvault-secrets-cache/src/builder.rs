//! [`SecretCacheBuilder`]: the cache's options.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credential_core::{SharedClock, SystemClock};
use keyvault_secrets::SecretClient;

use crate::cache::{FetchFailure, Hook, SecretCache};
use crate::error::CacheError;

/// How long a value is served before it is read again (5 minutes).
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The most entries kept (1,024), least recently used evicted first.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;
/// How long "not found" is remembered (30 seconds).
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// How long past its TTL a value is still served while the vault fails (1 hour).
pub const DEFAULT_STALE_LIMIT: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one entry after a failure (10 seconds).
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(10);
/// The share of the TTL after which a value is refreshed in the background (0.8).
pub const DEFAULT_REFRESH_POINT: f64 = 0.8;
/// The first and the longest backoff after a `429` (1 s, doubling, up to 60 s).
pub const DEFAULT_THROTTLE_BACKOFF: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(60));

/// Builds a [`SecretCache`]; see [`SecretCache::builder`].
pub struct SecretCacheBuilder {
    pub(crate) client: SecretClient,
    pub(crate) ttl: Duration,
    pub(crate) secret_ttls: HashMap<String, Duration>,
    pub(crate) refresh_point: f64,
    pub(crate) max_entries: usize,
    pub(crate) negative_ttl: Duration,
    pub(crate) stale_limit: Duration,
    pub(crate) retry_delay: Duration,
    pub(crate) throttle_backoff: (Duration, Duration),
    pub(crate) clock: SharedClock,
    pub(crate) on_fetch_error: Option<Hook>,
}

impl fmt::Debug for SecretCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretCacheBuilder")
            .field("vault_url", &self.client.vault_url().as_str())
            .field("ttl", &self.ttl)
            .field("secret_ttls", &self.secret_ttls)
            .field("refresh_point", &self.refresh_point)
            .field("max_entries", &self.max_entries)
            .field("negative_ttl", &self.negative_ttl)
            .field("stale_limit", &self.stale_limit)
            .field("retry_delay", &self.retry_delay)
            .field("throttle_backoff", &self.throttle_backoff)
            .finish_non_exhaustive()
    }
}

impl SecretCacheBuilder {
    pub(crate) fn new(client: SecretClient) -> Self {
        Self {
            client,
            ttl: DEFAULT_TTL,
            secret_ttls: HashMap::new(),
            refresh_point: DEFAULT_REFRESH_POINT,
            max_entries: DEFAULT_MAX_ENTRIES,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
            stale_limit: DEFAULT_STALE_LIMIT,
            retry_delay: DEFAULT_RETRY_DELAY,
            throttle_backoff: DEFAULT_THROTTLE_BACKOFF,
            clock: Arc::new(SystemClock),
            on_fetch_error: None,
        }
    }

    /// The TTL of every secret without its own ([`DEFAULT_TTL`]).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The TTL of one secret (its latest version and its versions).
    pub fn with_secret_ttl(mut self, name: impl Into<String>, ttl: Duration) -> Self {
        self.secret_ttls.insert(name.into(), ttl);
        self
    }

    /// The share of the TTL, in `(0, 1]`, after which a read returns the
    /// value at once and refreshes it in the background
    /// ([`DEFAULT_REFRESH_POINT`]; `1.0` disables background refresh).
    pub fn with_refresh_point(mut self, share_of_ttl: f64) -> Self {
        self.refresh_point = share_of_ttl;
        self
    }

    /// The most entries kept ([`DEFAULT_MAX_ENTRIES`]). Each name, and each
    /// name and version read with `get_version`, is one entry.
    pub fn with_max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// How long "not found" is remembered ([`DEFAULT_NEGATIVE_TTL`]; zero
    /// turns negative caching off).
    pub fn with_negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// How long past its TTL a value is still served while reading it again
    /// fails ([`DEFAULT_STALE_LIMIT`]; zero turns stale-if-error off).
    pub fn with_stale_limit(mut self, limit: Duration) -> Self {
        self.stale_limit = limit;
        self
    }

    /// The least time between two fetches of one entry after a failed one
    /// ([`DEFAULT_RETRY_DELAY`]).
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// The backoff after a `429`: `initial`, doubling with each further
    /// `429`, up to `max` ([`DEFAULT_THROTTLE_BACKOFF`]). Shared by every
    /// name: no request leaves the cache while it runs.
    pub fn with_throttle_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.throttle_backoff = (initial, max);
        self
    }

    /// The clock (the system clock by default; feature `test-util`: a test
    /// seam).
    #[cfg(any(test, feature = "test-util"))]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Called after every failed fetch, background refreshes included, with
    /// the name, the error and how long the old value is still served. The
    /// failure is also logged with `tracing` at `warn`.
    pub fn with_on_fetch_error(
        mut self,
        hook: impl Fn(&FetchFailure<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.on_fetch_error = Some(Arc::new(hook));
        self
    }

    /// Checks the options and builds the cache.
    ///
    /// # Errors
    /// [`CacheError::InvalidConfiguration`] for a zero TTL, stale limit or
    /// backoff, a longest backoff shorter than the first, a refresh point outside
    /// (0, 1], or a capacity of zero.
    pub fn build(self) -> Result<SecretCache, CacheError> {
        let positive = |what: &str, d: Duration| {
            if d.is_zero() {
                Err(CacheError::invalid(format!(
                    "{what} must be longer than zero"
                )))
            } else {
                Ok(())
            }
        };
        positive("the TTL", self.ttl)?;
        for (name, ttl) in &self.secret_ttls {
            positive(&format!("the TTL of `{name}`"), *ttl)?;
        }
        positive("the throttling backoff", self.throttle_backoff.0)?;
        if self.throttle_backoff.1 < self.throttle_backoff.0 {
            return Err(CacheError::invalid(
                "the longest throttling backoff must not be shorter than the first",
            ));
        }
        if !(self.refresh_point > 0.0 && self.refresh_point <= 1.0) {
            return Err(CacheError::invalid(format!(
                "the refresh point is a share of the TTL in (0, 1], not {}",
                self.refresh_point
            )));
        }
        if self.max_entries == 0 {
            return Err(CacheError::invalid(
                "the cache must hold at least one entry",
            ));
        }
        Ok(SecretCache::from_builder(self))
    }
}
