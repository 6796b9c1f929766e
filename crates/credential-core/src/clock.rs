//! [`Clock`]: the wall-clock seam.

use std::fmt;
#[cfg(any(test, feature = "test-util"))]
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

#[cfg(any(test, feature = "test-util"))]
use time::Duration;
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// The current time as nanoseconds since the Unix epoch. The token cache's
    /// hot path compares these; override it where it can be cheaper than
    /// building an `OffsetDateTime`.
    fn now_unix_nanos(&self) -> i128 {
        self.now().unix_timestamp_nanos()
    }
}

/// A clock shared between a context, its credentials and their caches.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        #[allow(clippy::disallowed_methods)] // The one real implementation.
        OffsetDateTime::now_utc()
    }

    /// A coarse reading: the coarse monotonic clock anchored to the wall clock
    /// every 100 ms (see `coarse_unix_nanos` in the source).
    fn now_unix_nanos(&self) -> i128 {
        coarse_unix_nanos()
    }
}

/// How long a coarse reading may run on the monotonic clock before it is
/// re-anchored to the wall clock.
const RESYNC_NANOS: u64 = 100_000_000;

struct CoarseWallClock {
    anchor: coarsetime::Instant,
    /// Wall-clock nanoseconds minus monotonic nanoseconds since `anchor`.
    offset: AtomicI64,
    /// Monotonic nanoseconds since `anchor` at the last re-anchoring.
    last_sync: AtomicU64,
}

/// The wall clock in Unix nanoseconds, cheaply: the coarse monotonic clock
/// (a few nanoseconds to read, a few milliseconds of resolution) plus an
/// offset re-anchored to the precise wall clock every 100 ms. A wall-clock
/// step or a suspend is therefore seen within 100 ms of monotonic time. The
/// token cache uses this only to decide that a token is still fresh, which it
/// stays for minutes; every other decision reads [`Clock::now`].
pub(crate) fn coarse_unix_nanos() -> i128 {
    static CLOCK: OnceLock<CoarseWallClock> = OnceLock::new();
    let clock = CLOCK.get_or_init(|| {
        let anchor = coarsetime::Instant::now_without_cache_update();
        CoarseWallClock {
            anchor,
            offset: AtomicI64::new(precise_unix_nanos() as i64),
            last_sync: AtomicU64::new(0),
        }
    });
    let elapsed = coarsetime::Instant::now_without_cache_update()
        .duration_since(clock.anchor)
        .as_nanos();
    if elapsed.saturating_sub(clock.last_sync.load(Ordering::Relaxed)) >= RESYNC_NANOS {
        let wall = precise_unix_nanos();
        clock
            .offset
            .store((wall - i128::from(elapsed)) as i64, Ordering::Relaxed);
        clock.last_sync.store(elapsed, Ordering::Relaxed);
        return wall;
    }
    i128::from(elapsed) + i128::from(clock.offset.load(Ordering::Relaxed))
}

fn precise_unix_nanos() -> i128 {
    #[allow(clippy::disallowed_methods)] // The one real implementation.
    let now = std::time::SystemTime::now();
    match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => since.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// A clock that moves only when told to, for tests (feature `test-util`).
///
/// ```
/// use credential_core::{Clock, ManualClock};
/// use time::{macros::datetime, Duration};
/// let clock = ManualClock::new(datetime!(2030-01-01 0:00 UTC));
/// clock.advance(Duration::minutes(5));
/// assert_eq!(clock.now(), datetime!(2030-01-01 0:05 UTC));
/// ```
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

#[cfg(any(test, feature = "test-util"))]
impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(now)))
    }

    /// Moves the clock forward (or back, with a negative duration), stopping
    /// at the earliest or latest time `time` can hold.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by);
    }

    /// Sets the clock.
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_clock_tracks_the_wall_clock() {
        let precise = precise_unix_nanos();
        let coarse = coarse_unix_nanos();
        // Within the coarse clock's resolution plus the re-anchoring period.
        assert!(
            (coarse - precise).abs() < 200_000_000,
            "{coarse} vs {precise}"
        );
        let system = SystemClock.now().unix_timestamp_nanos();
        assert!((SystemClock.now_unix_nanos() - system).abs() < 200_000_000);
    }

    #[test]
    fn manual_clock_drives_both_readings() {
        let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
        clock.advance(Duration::seconds(5));
        assert_eq!(clock.now_unix_nanos(), 5_000_000_000);
    }
}
