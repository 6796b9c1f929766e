//! The counters a user can export: [`CacheStats`].

use std::sync::atomic::{AtomicU64, Ordering};

use credential_core::__private::per_thread::PerThread;

/// A snapshot of the cache's counters, each counted since the cache was
/// built. Read it with [`SecretCache::stats`](crate::SecretCache::stats) and
/// export it to any metrics system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache (values, and cached "not found").
    pub hits: u64,
    /// Reads that had no usable value and waited for the vault.
    pub misses: u64,
    /// Requests sent to refresh a value the cache already held (in the
    /// background, or by `refresh_now`).
    pub refreshes: u64,
    /// Failed reads from the vault (throttling included; "not found" is not
    /// an error).
    pub errors: u64,
    /// Entries dropped to stay within the size limit.
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
}

/// The live counters. Hits are counted per thread slot (each on its own
/// cache line), so that threads reading at once do not contend on one
/// counter; the rarer events share plain atomics.
#[derive(Debug)]
pub(crate) struct Counters {
    hits: PerThread<AtomicU64>,
    pub misses: AtomicU64,
    pub refreshes: AtomicU64,
    pub errors: AtomicU64,
    pub evictions: AtomicU64,
}

impl Counters {
    pub fn new() -> Self {
        Self {
            hits: PerThread::from_fn(|_| AtomicU64::new(0)),
            misses: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    #[inline]
    pub fn hit(&self) {
        self.hits.get().fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self, entries: usize) -> CacheStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: self.hits.iter().map(read).sum(),
            misses: read(&self.misses),
            refreshes: read(&self.refreshes),
            errors: read(&self.errors),
            evictions: read(&self.evictions),
            entries: entries as u64,
        }
    }
}
