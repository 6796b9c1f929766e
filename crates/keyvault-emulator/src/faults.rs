//! Faults injected on demand into Key Vault API requests (never into the
//! token endpoints), switchable while the emulator runs.

use std::sync::Mutex;
use std::time::Duration;

/// Which faults to inject. Counters are consumed one per Key Vault request;
/// when several are set, a request is dropped first, then throttled, then
/// answered 503, and the delay applies to every request while it is set.
///
/// ```
/// use std::time::Duration;
/// use keyvault_emulator::Faults;
/// let faults = Faults::none()
///     .throttle(2, Some(Duration::from_secs(1)))
///     .unavailable(1)
///     .drop_connections(1)
///     .delay(Duration::from_millis(50));
/// assert_eq!(faults.throttle_count, 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Faults {
    /// Answer this many requests with `429 Throttled`.
    pub throttle_count: u32,
    /// The `Retry-After` (whole seconds) on those 429s; `None` sends none,
    /// as the real service's throttling answer did.
    pub throttle_retry_after: Option<Duration>,
    /// Answer this many requests with `503 ServiceUnavailable`.
    pub unavailable_count: u32,
    /// Close this many connections without answering.
    pub drop_count: u32,
    /// Delay every answer by this much.
    pub delay: Duration,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }
    /// Throttle the next `count` requests with 429, with `Retry-After` if given.
    pub fn throttle(mut self, count: u32, retry_after: Option<Duration>) -> Self {
        self.throttle_count = count;
        self.throttle_retry_after = retry_after;
        self
    }
    /// Answer the next `count` requests with 503.
    pub fn unavailable(mut self, count: u32) -> Self {
        self.unavailable_count = count;
        self
    }
    /// Drop the connection of the next `count` requests.
    pub fn drop_connections(mut self, count: u32) -> Self {
        self.drop_count = count;
        self
    }
    /// Delay every response by `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// How many faults have been injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// 429 answers sent.
    pub throttled: u32,
    /// 503 answers sent.
    pub unavailable: u32,
    /// Connections dropped.
    pub dropped: u32,
    /// Responses delayed.
    pub delayed: u32,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Drop,
    Throttle(Option<Duration>),
    Unavailable,
    Serve,
}

/// The live fault switch.
#[derive(Debug, Default)]
pub(crate) struct FaultSwitch {
    state: Mutex<(Faults, FaultCounts)>,
}

impl FaultSwitch {
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            state: Mutex::new((faults, FaultCounts::default())),
        }
    }

    pub(crate) fn set(&self, faults: Faults) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = faults;
    }

    pub(crate) fn counts(&self) -> FaultCounts {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Decides the fate of one Key Vault request and the delay before it.
    pub(crate) fn next(&self) -> (Action, Duration) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (faults, counts) = &mut *guard;
        let delay = faults.delay;
        if !delay.is_zero() {
            counts.delayed += 1;
        }
        let action = if faults.drop_count > 0 {
            faults.drop_count -= 1;
            counts.dropped += 1;
            Action::Drop
        } else if faults.throttle_count > 0 {
            faults.throttle_count -= 1;
            counts.throttled += 1;
            Action::Throttle(faults.throttle_retry_after)
        } else if faults.unavailable_count > 0 {
            faults.unavailable_count -= 1;
            counts.unavailable += 1;
            Action::Unavailable
        } else {
            Action::Serve
        };
        (action, delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_consumed_in_order() {
        let s = FaultSwitch::new(
            Faults::none()
                .drop_connections(1)
                .throttle(1, None)
                .unavailable(1),
        );
        assert_eq!(s.next().0, Action::Drop);
        assert_eq!(s.next().0, Action::Throttle(None));
        assert_eq!(s.next().0, Action::Unavailable);
        assert_eq!(s.next().0, Action::Serve);
        let c = s.counts();
        assert_eq!((c.dropped, c.throttled, c.unavailable), (1, 1, 1));
    }
}
