//! The backoff every caller shares after the vault answers `429`.
//!
//! Key Vault throttles per vault, so one `429` pauses every request the
//! cache would send, whatever the name: no request leaves before the backoff
//! ends; then one request probes the vault while the others keep waiting,
//! and each further `429` doubles the backoff (up to a cap). Any other
//! answer resets it.

use std::sync::Mutex;
use std::time::Duration;

/// The shared throttling state; times are Unix nanoseconds.
#[derive(Debug)]
pub(crate) struct Throttle {
    initial: Duration,
    max: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// No request before this.
    until: i64,
    /// `429`s in a row.
    strikes: u32,
    /// While throttled, the one probe request's deadline: others wait
    /// until it answers (or, if it was abandoned, until this passes).
    probe_until: i64,
}

impl Throttle {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long requests must still wait, if the backoff is running.
    pub fn remaining(&self, now: i64) -> Option<Duration> {
        let until = self.lock().until;
        (now < until).then(|| Duration::from_nanos((until - now) as u64))
    }

    /// Lets one request go, or says how long to wait: after the backoff
    /// only one probe goes until the vault answers it.
    pub fn admit(&self, now: i64) -> Result<(), Duration> {
        let mut state = self.lock();
        let wait = |until: i64| Duration::from_nanos(until.saturating_sub(now) as u64);
        if now < state.until {
            return Err(wait(state.until));
        }
        if state.strikes > 0 {
            if now < state.probe_until {
                return Err(wait(now.saturating_add(nanos(self.initial))));
            }
            state.probe_until = now.saturating_add(nanos(self.max));
        }
        Ok(())
    }

    /// Records a `429`; returns when requests may resume.
    pub fn throttled(&self, now: i64) -> i64 {
        let mut state = self.lock();
        state.strikes = state.strikes.saturating_add(1);
        let factor = 1u32
            .checked_shl(state.strikes.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let wait = self.initial.saturating_mul(factor).min(self.max);
        state.until = now.saturating_add(nanos(wait));
        state.probe_until = 0;
        state.until
    }

    /// Records an answer that was not a `429`.
    pub fn answered(&self) {
        let mut state = self.lock();
        if state.strikes != 0 {
            state.strikes = 0;
            state.probe_until = 0;
        }
    }
}

/// A duration in nanoseconds, saturating.
pub(crate) fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_resets() {
        let s = 1_000_000_000;
        let t = Throttle::new(Duration::from_secs(1), Duration::from_secs(4));
        assert_eq!(t.remaining(0), None);
        assert_eq!(t.admit(0), Ok(()));
        assert_eq!(t.throttled(0), s);
        assert_eq!(t.remaining(s / 2), Some(Duration::from_millis(500)));
        assert_eq!(t.admit(s / 2), Err(Duration::from_millis(500)));
        assert_eq!(t.admit(s), Ok(()), "the probe");
        assert!(t.admit(s).is_err(), "one probe at a time");
        assert_eq!(t.throttled(s), 3 * s);
        assert_eq!(t.throttled(3 * s), 7 * s);
        assert_eq!(t.throttled(7 * s), 11 * s, "capped at 4 s");
        t.answered();
        assert_eq!(t.throttled(20 * s), 21 * s, "a success resets the steps");
        assert_eq!(t.remaining(21 * s), None);
    }
}
