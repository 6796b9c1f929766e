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

use std::time::Duration;

use credential_core::retry::{random_unit, retry_after};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use time::OffsetDateTime;

/// When and how often IMDS requests are retried.
///
/// With the defaults and no jitter the waits are 0.8, 1.6, 3.2, 6.4 and
/// 12.8 s (24.8 s in all), and for 410 3, 6, 12, 24 and 48 s (93 s; at
/// least 74 s with jitter, covering IMDS's 70 s update window).
///
/// ```
/// use credential_msi::ImdsRetryPolicy;
/// use std::time::Duration;
/// let policy = ImdsRetryPolicy { jitter: false, ..ImdsRetryPolicy::default() };
/// assert_eq!(policy.backoff(410, 1), Duration::from_secs(6));
/// assert_eq!(policy.backoff(500, 0), Duration::from_millis(800));
/// ```
#[derive(Debug, Clone, PartialEq)]
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

    /// Whether IMDS answering `status` is worth another try.
    pub fn retries_status(status: u16) -> bool {
        matches!(status, 404 | 410 | 429 | 500..=599)
    }

    /// The delay before retry `attempt` (0 for the first) after `status`,
    /// before jitter.
    pub fn backoff(&self, status: u16, attempt: u32) -> Duration {
        let base = if status == 410 {
            self.gone_initial_delay
        } else {
            self.initial_delay
        };
        base.saturating_mul(1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX))
            .min(self.max_delay)
    }

    /// Whether a request that failed with `kind` is worth another try: only
    /// failures after the connection was made.
    pub fn retries_transport(kind: TransportErrorKind) -> bool {
        matches!(
            kind,
            TransportErrorKind::Timeout | TransportErrorKind::Request | TransportErrorKind::Decode
        )
    }

    fn delay(&self, response: &HttpResponse, attempt: u32, now: OffsetDateTime) -> Duration {
        if let Some(wait) = retry_after(&response.headers, now) {
            return wait.min(self.max_delay);
        }
        self.jittered(self.backoff(response.status.as_u16(), attempt))
    }

    fn jittered(&self, delay: Duration) -> Duration {
        if self.jitter {
            delay.mul_f64(0.8 + 0.2 * random_unit())
        } else {
            delay
        }
    }
}

/// Sends an IMDS request under `policy`, sleeping with `tokio::time`.
/// Returns the last response when a retryable status persists, the last
/// transport error when a retryable one persists, or the first connection
/// failure.
pub async fn send_with_imds_retry(
    http: &dyn HttpClient,
    request: &HttpRequest,
    policy: &ImdsRetryPolicy,
    now: impl Fn() -> OffsetDateTime,
) -> Result<HttpResponse, TransportError> {
    let mut attempt = 0;
    loop {
        let response = match http.send(request.clone()).await {
            Ok(response) => response,
            Err(error)
                if ImdsRetryPolicy::retries_transport(error.kind)
                    && attempt < policy.max_retries =>
            {
                let delay = policy.jittered(policy.backoff(0, attempt));
                tracing::debug!(
                    error = %error,
                    attempt = attempt + 1,
                    delay_ms = delay.as_millis() as u64,
                    "retrying an IMDS request"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            Err(error) => return Err(error),
        };
        let status = response.status.as_u16();
        if !ImdsRetryPolicy::retries_status(status) || attempt >= policy.max_retries {
            return Ok(response);
        }
        let delay = policy.delay(&response, attempt, now());
        tracing::debug!(
            status,
            attempt = attempt + 1,
            delay_ms = delay.as_millis() as u64,
            "retrying an IMDS request"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_without_jitter() {
        let p = ImdsRetryPolicy::default();
        let normal: Vec<_> = (0..5).map(|n| p.backoff(503, n).as_millis()).collect();
        assert_eq!(normal, [800, 1600, 3200, 6400, 12800]);
        let gone: Vec<_> = (0..5).map(|n| p.backoff(410, n).as_millis()).collect();
        assert_eq!(gone, [3000, 6000, 12000, 24000, 48000]);
        assert_eq!(p.backoff(410, 10), Duration::from_secs(60));
    }

    #[test]
    fn retried_transport_failures() {
        use TransportErrorKind::*;
        for kind in [Timeout, Request, Decode] {
            assert!(ImdsRetryPolicy::retries_transport(kind), "{kind:?}");
        }
        for kind in [Connect, Status(503)] {
            assert!(!ImdsRetryPolicy::retries_transport(kind), "{kind:?}");
        }
    }

    #[test]
    fn retried_statuses() {
        for s in [404, 410, 429, 500, 503, 599] {
            assert!(ImdsRetryPolicy::retries_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 408] {
            assert!(!ImdsRetryPolicy::retries_status(s), "{s}");
        }
    }
}
