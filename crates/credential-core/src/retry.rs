//! Retries for token endpoints (and any client that wants the same rules):
//! which failures to retry, how long to wait, and `Retry-After`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

/// A number uniformly spread over `[0, 1)`, for jitter. Not for cryptography.
pub fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// When and how often to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first try (3 by default).
    pub max_retries: u32,
    /// The first retry's base delay (0.8 s by default); doubled each retry.
    pub initial_delay: Duration,
    /// The longest delay (60 s by default), `Retry-After` included.
    pub max_delay: Duration,
    /// The statuses worth retrying.
    pub retry_statuses: Vec<u16>,
}

impl Default for RetryPolicy {
    /// 408, 429, 500, 502, 503 and 504 and connection failures; 3 retries;
    /// exponential backoff from 0.8 s with jitter, capped at 60 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            retry_statuses: vec![408, 429, 500, 502, 503, 504],
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The delay before retry number `attempt` (0 for the first retry):
    /// `initial_delay · 2^attempt`, capped, then spread over 80–100 % of
    /// itself by `jitter` (a value in `[0, 1)`).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        base.mul_f64(0.8 + 0.2 * jitter.clamp(0.0, 1.0))
    }

    /// Whether `status` should be retried.
    pub fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// The wait before the next try after `response`: the server's
    /// `Retry-After` if it sent one (capped at `max_delay`), else the backoff.
    pub fn delay_after(&self, attempt: u32, headers: &HeaderMap, now: OffsetDateTime) -> Duration {
        retry_after(headers, now)
            .map(|d| d.min(self.max_delay))
            .unwrap_or_else(|| self.backoff(attempt, random_unit()))
    }
}

/// The server's requested wait: `retry-after-ms`, `x-ms-retry-after-ms`
/// (milliseconds), or `Retry-After` (seconds, or an HTTP date relative to
/// `now`). Malformed or negative values are ignored.
pub fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = get(name).and_then(|v| v.parse::<f64>().ok()) {
            if ms.is_finite() && ms >= 0.0 {
                return Some(Duration::from_secs_f64((ms / 1000.0).min(1e9)));
            }
        }
    }
    parse_retry_after(get("retry-after")?, now)
}

/// Parses a `Retry-After` value: whole (or fractional) seconds, or an HTTP
/// date such as `Wed, 21 Oct 2015 07:28:00 GMT` (a date in the past means 0).
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(1e9)));
    }
    let date = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let wait = date - now;
    Some(if wait.is_negative() {
        Duration::ZERO
    } else {
        Duration::try_from(wait).unwrap_or(Duration::ZERO)
    })
}

/// Sends `request`, retrying transient failures under `policy`, sleeping with
/// `tokio::time` (so tests can pause time). Returns the last response when a
/// retryable status persists, or the last transport error.
pub async fn send_with_retry(
    http: &dyn HttpClient,
    request: &HttpRequest,
    policy: &RetryPolicy,
    now: impl Fn() -> OffsetDateTime,
) -> Result<HttpResponse, TransportError> {
    let mut attempt = 0;
    loop {
        let result = http.send(request.clone()).await;
        let delay = match &result {
            Ok(response) if policy.retries_status(response.status.as_u16()) => {
                policy.delay_after(attempt, &response.headers, now())
            }
            Ok(_) => return result,
            Err(error) if error.kind.is_transient() => policy.backoff(attempt, random_unit()),
            Err(_) => return result,
        };
        if attempt >= policy.max_retries {
            return result;
        }
        match &result {
            Ok(response) => tracing::debug!(
                status = response.status.as_u16(),
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                host = request.url.host_str().unwrap_or_default(),
                "retrying a request"
            ),
            Err(error) => tracing::debug!(
                error = %error,
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                host = request.url.host_str().unwrap_or_default(),
                "retrying a request"
            ),
        }
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2015-10-21 07:27:00 UTC);

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_variants() {
        assert_eq!(parse_retry_after("5", NOW), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after(" 1.5 ", NOW),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", NOW), None);
        assert_eq!(parse_retry_after("soon", NOW), None);
        assert_eq!(parse_retry_after("NaN", NOW), None);
    }

    #[test]
    fn millisecond_headers_win() {
        let h = headers(&[("retry-after", "10"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after(&h, NOW), Some(Duration::from_millis(250)));
        let h = headers(&[("x-ms-retry-after-ms", "40")]);
        assert_eq!(retry_after(&h, NOW), Some(Duration::from_millis(40)));
        assert_eq!(retry_after(&HeaderMap::new(), NOW), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0, 1.0), Duration::from_millis(800));
        assert_eq!(policy.backoff(0, 0.0), Duration::from_millis(640));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(3200));
        assert_eq!(policy.backoff(40, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn random_unit_is_in_range_and_varies() {
        let values: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.windows(2).any(|w| w[0] != w[1]));
    }
}
