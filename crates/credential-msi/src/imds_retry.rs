//! IMDS's own retry policy (`docs/design-rules.md`, "Managed identity: IMDS
//! retries"): 404, 410, 429
//! and 5xx are retried with exponential delays; 410 (IMDS is being updated,
//! which can last 70 s) starts from a longer delay. Failures after a
//! connection was made (a response that never comes within the per-try
//! timeout, a reset, a truncated body) are retried on the same schedule, as
//! the references retry `ETIMEDOUT` and `ECONNRESET`. A connection that
//! cannot be made at all (refused, unreachable, connect timeout) is not: it
//! means "no IMDS here" and is reported at once, where the JavaScript SDK
//! would spend its whole retry budget (about 25 s) on it.
//!
//! The policy is data for credential-core's retry engine, which runs it.

use std::ops::RangeInclusive;
use std::time::Duration;

use credential_core::__private::retry::{RetryRules, SlowStart, TransportRetry};
use credential_core::{StatusCode, TransportErrorKind};

/// The statuses IMDS retries besides the 5xx range.
const RETRIED_STATUSES: &[StatusCode] = &[
    StatusCode::NOT_FOUND,
    StatusCode::GONE,
    StatusCode::TOO_MANY_REQUESTS,
];
/// Every 5xx.
const RETRIED_RANGES: &[RangeInclusive<u16>] = &[500..=599];
/// IMDS is being updated: its backoff starts from `gone_initial_delay`.
const GONE: u16 = 410;
/// Only failures after the connection was made.
const TRANSPORT: TransportRetry = TransportRetry::AfterConnect;

/// When and how often IMDS requests are retried.
///
/// With the defaults and no jitter the waits are 0.8, 1.6, 3.2, 6.4 and
/// 12.8 s (24.8 s in all), and for 410 3, 6, 12, 24 and 48 s (93 s; at
/// least 74 s with jitter, covering IMDS's 70 s update window).
///
/// ```
/// use credential_msi::ImdsRetryPolicy;
/// use credential_core::StatusCode;
/// use std::time::Duration;
/// let policy = ImdsRetryPolicy::default().with_jitter(false);
/// assert_eq!(policy.backoff(StatusCode::GONE, 1), Duration::from_secs(6));
/// assert_eq!(policy.backoff(StatusCode::INTERNAL_SERVER_ERROR, 0), Duration::from_millis(800));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImdsRetryPolicy {
    /// Retries after the first try (5).
    pub max_retries: u32,
    /// The first retry's delay (0.8 s), doubled each retry.
    pub initial_delay: Duration,
    /// The first retry's delay after a 410 (3 s), doubled each retry.
    pub gone_initial_delay: Duration,
    /// The longest delay (60 s), `Retry-After` included.
    pub max_delay: Duration,
    /// Spread each delay over 80–100 % of itself (on by default).
    pub jitter: bool,
}

impl Default for ImdsRetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            initial_delay: Duration::from_millis(800),
            gone_initial_delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl ImdsRetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    credential_core::retry_policy_setters!();

    /// Sets [`gone_initial_delay`](Self::gone_initial_delay).
    pub fn with_gone_initial_delay(mut self, delay: Duration) -> Self {
        self.gone_initial_delay = delay;
        self
    }

    /// Sets [`jitter`](Self::jitter).
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Whether IMDS answering `status` is worth another try.
    pub fn retries_status(status: StatusCode) -> bool {
        Self::none().rules().retries_status(status.as_u16())
    }

    /// The delay before retry `attempt` (0 for the first) after `status`,
    /// before jitter.
    pub fn backoff(&self, status: StatusCode, attempt: u32) -> Duration {
        self.rules().base_delay(status.as_u16(), attempt)
    }

    /// Whether a request that failed with `kind` is worth another try: only
    /// failures after the connection was made.
    pub fn retries_transport(kind: TransportErrorKind) -> bool {
        TRANSPORT.retries(kind)
    }

    /// This policy as the retry engine's rules.
    pub(crate) fn rules(&self) -> RetryRules<'static> {
        RetryRules {
            max_retries: self.max_retries,
            statuses: RETRIED_STATUSES,
            status_ranges: RETRIED_RANGES,
            transport: TRANSPORT,
            initial_delay: self.initial_delay,
            slow_start: Some(SlowStart {
                status: GONE,
                initial_delay: self.gone_initial_delay,
            }),
            max_delay: self.max_delay,
            jitter: self.jitter,
            honour_retry_after: true,
            per_try_timeout: None,
            what: "an IMDS request",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(status: u16) -> StatusCode {
        StatusCode::from_u16(status).unwrap()
    }

    #[test]
    fn schedule_without_jitter() {
        let p = ImdsRetryPolicy::default();
        let normal: Vec<_> = (0..5)
            .map(|n| p.backoff(code(503), n).as_millis())
            .collect();
        assert_eq!(normal, [800, 1600, 3200, 6400, 12800]);
        let gone: Vec<_> = (0..5)
            .map(|n| p.backoff(code(410), n).as_millis())
            .collect();
        assert_eq!(gone, [3000, 6000, 12000, 24000, 48000]);
        assert_eq!(p.backoff(code(410), 10), Duration::from_secs(60));
    }

    #[test]
    fn retried_transport_failures() {
        use TransportErrorKind::*;
        for kind in [Timeout, Request, Decode] {
            assert!(ImdsRetryPolicy::retries_transport(kind), "{kind:?}");
        }
        for kind in [Connect, Status(code(503))] {
            assert!(!ImdsRetryPolicy::retries_transport(kind), "{kind:?}");
        }
    }

    #[test]
    fn retried_statuses() {
        for s in [404, 410, 429, 500, 503, 599] {
            assert!(ImdsRetryPolicy::retries_status(code(s)), "{s}");
        }
        for s in [200, 400, 401, 403, 408] {
            assert!(!ImdsRetryPolicy::retries_status(code(s)), "{s}");
        }
    }
}
