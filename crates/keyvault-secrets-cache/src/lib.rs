//! A client-side cache of Azure Key Vault secrets: [`SecretCache`].
//!
//! Applications read the same secrets over and over; each read is a round
//! trip, and Key Vault throttles each vault. `SecretCache` wraps a
//! [`keyvault_secrets::SecretClient`] and answers repeated reads from memory:
//!
//! - a TTL per cache and per secret, at most N entries (1,024 by default),
//!   least recently used evicted (recency is tracked to the millisecond);
//! - concurrent misses for one name share one request (single-flight);
//! - past the refresh point the value is returned at once and refreshed in
//!   the background on the caller's tokio runtime: no caller waits while a
//!   valid value exists;
//! - a failed refresh keeps serving the last good value up to a stale limit,
//!   and reports the failure to a hook and to `tracing`;
//! - "not found" is cached briefly (negative TTL), so a typo cannot flood the
//!   vault;
//! - a `429` starts a backoff shared by every caller and every name;
//! - [`invalidate`](SecretCache::invalidate),
//!   [`invalidate_all`](SecretCache::invalidate_all),
//!   [`refresh_now`](SecretCache::refresh_now) and [`CacheStats`] counters.
//!
//! A cache hit takes no lock: one lock-free load of a copy-on-write map, a
//! coarse clock read, and a reference-count increment on a per-thread copy
//! of the value (see BENCHMARKS.md for its cost and its 2-thread scaling).
//!
//! # Runtime and threads
//! [`SecretCache`] is `async` and runs on a `tokio` 1.x runtime (this crate
//! enables tokio's `rt`, `sync` and `time` features) with its I/O and time
//! drivers enabled, as `SecretClient` does. It starts no thread. Past a value's
//! refresh point, one refresh task per secret is spawned on the caller's
//! runtime (found with `Handle::try_current`); without a runtime no task starts,
//! the value is served until its TTL ends and the next read fetches. A refresh
//! point of `1.0` (`SecretCacheBuilder::with_refresh_point`) turns background
//! refresh off.

mod builder;
mod cache;
mod entry;
mod error;
mod stats;
mod table;
mod throttle;
mod vault;

pub use builder::{
    DEFAULT_MAX_ENTRIES, DEFAULT_NEGATIVE_TTL, DEFAULT_REFRESH_POINT, DEFAULT_RETRY_DELAY,
    DEFAULT_STALE_LIMIT, DEFAULT_THROTTLE_BACKOFF, DEFAULT_TTL, SecretCacheBuilder,
};
pub use cache::{FetchFailure, SecretCache};
/// The value [`SecretCache::get`] returns: the secret's text, kept out of
/// `Debug` and wiped when dropped (`expose_secret()` reads it).
pub use credential_core::Secret;
pub use error::CacheError;
pub use stats::CacheStats;
