//! One cached name (or name and version): its state and its fetch slot.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use credential_core::__private::per_thread::PerThread;
use credential_core::Secret;
use futures::future::{BoxFuture, Shared};
use keyvault_secrets::SecretProperties;

use crate::error::CacheError;

/// Values up to this size get one copy per thread slot (so that threads
/// reading one secret at once do not contend on one reference count);
/// larger values share one copy, to bound memory.
const PER_THREAD_COPY_LIMIT: usize = 1024;

/// A fetched value, immutable once built.
pub(crate) struct Value {
    copies: PerThread<Secret>,
    pub properties: SecretProperties,
}

impl Value {
    pub fn new(value: Secret, properties: SecretProperties) -> Self {
        let copies = if value.expose_secret().len() <= PER_THREAD_COPY_LIMIT {
            // Slot 0 keeps the original; the others get their own allocation.
            PerThread::from_fn(|slot| match slot {
                0 => value.clone(),
                _ => Secret::new(value.expose_secret()),
            })
        } else {
            PerThread::from_fn(|_| value.clone())
        };
        Self { copies, properties }
    }

    /// The calling thread's copy.
    #[inline]
    pub fn secret(&self) -> Secret {
        self.copies.get().clone()
    }
}

/// What the cache knows about an entry. Times are Unix nanoseconds of the
/// cache's clock. Replaced whole (copy-on-write), never mutated.
pub(crate) struct State {
    /// `None`: the vault said "not found" (a negative entry).
    pub value: Option<Arc<Value>>,
    /// Before this the state is fresh and served without a second look.
    pub refresh_at: i64,
    /// The TTL's end (for a negative entry, the negative TTL's end).
    pub expires_at: i64,
    /// Served until here: `expires_at`, or after a failed fetch up to the
    /// stale limit past it.
    pub serve_until: i64,
    /// No fetch is started before this (after a failure).
    pub next_attempt: i64,
    /// The failure that made the value stale, if any.
    pub last_error: Option<CacheError>,
    /// The fetch that produced this state (later fetches win).
    pub seq: u64,
}

/// The outcome of one fetch, shared by every caller that waited on it.
pub(crate) type Outcome = Result<Arc<State>, CacheError>;
/// One in-flight fetch, joinable by any number of callers.
pub(crate) type Flight = Shared<BoxFuture<'static, Outcome>>;

/// One cache key.
pub(crate) struct Entry {
    pub name: Box<str>,
    pub version: Option<Box<str>>,
    pub state: ArcSwapOption<State>,
    /// When last read, in milliseconds of the cache's clock (for LRU).
    last_used: AtomicI64,
    /// The fetch in flight, with its sequence number.
    pub flight: Mutex<Option<(u64, Flight)>>,
    /// Sequence numbers of fetches, and of the installed state.
    pub seq: Mutex<Seq>,
}

#[derive(Default)]
pub(crate) struct Seq {
    pub started: u64,
    pub installed: u64,
}

impl Entry {
    pub fn new(name: &str, version: Option<&str>, now: i64) -> Self {
        Self {
            name: name.into(),
            version: version.map(Into::into),
            state: ArcSwapOption::empty(),
            last_used: AtomicI64::new(now / 1_000_000),
            flight: Mutex::new(None),
            seq: Mutex::new(Seq::default()),
        }
    }

    /// Records a read. Writes only when the millisecond changed, so readers
    /// of a hot entry mostly only read this line.
    #[inline]
    pub fn touch(&self, now: i64) {
        let ms = now / 1_000_000;
        if self.last_used.load(Ordering::Relaxed) < ms {
            self.last_used.store(ms, Ordering::Relaxed);
        }
    }

    pub fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Installs `state` unless a later fetch already installed one.
    pub fn install(&self, state: Arc<State>) -> Arc<State> {
        let mut seq = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        if state.seq < seq.installed
            && let Some(current) = self.state.load_full()
        {
            return current;
        }
        seq.installed = state.seq;
        self.state.store(Some(Arc::clone(&state)));
        state
    }
}
