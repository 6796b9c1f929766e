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
        base.mul_f64(0.8 + 0.2 * unit(jitter))
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
        if let Some(wait) = get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .and_then(|ms| seconds(ms / 1000.0))
        {
            return Some(wait);
        }
    }
    parse_retry_after(get("retry-after")?, now)
}

/// A server-sent number of seconds as a wait: `None` when negative or not a
/// number, capped at 10^9 s (about 31 years) when huge or infinite. Never
/// panics, whatever the server sent.
fn seconds(value: f64) -> Option<Duration> {
    if value.is_nan() || value < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(value.min(MAX_SERVER_WAIT_SECS)).ok()
}

/// The longest wait taken from a server's header before `max_delay` caps it.
const MAX_SERVER_WAIT_SECS: f64 = 1e9;

/// A jitter value forced into `[0, 1]`; not-a-number counts as 0.
pub(crate) fn unit(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// Parses a `Retry-After` value: whole (or fractional) seconds, or an HTTP
/// date such as `Wed, 21 Oct 2015 07:28:00 GMT` (a date in the past means 0).
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(number) = value.parse::<f64>() {
        return seconds(number);
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
///
/// # Errors
/// The last [`TransportError`] when every try failed without a response; a
/// retryable status that persists is returned as a response, not an error.
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
    fn hostile_millisecond_values_never_panic() {
        for value in ["-1", "-0.5", "-1e308", "NaN", "-inf", "nan"] {
            for name in ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"] {
                let h = headers(&[(name, value)]);
                assert_eq!(retry_after(&h, NOW), None, "{name}: {value}");
            }
        }
        // A negative ms value does not hide a good Retry-After.
        let h = headers(&[("retry-after-ms", "-5"), ("retry-after", "2")]);
        assert_eq!(retry_after(&h, NOW), Some(Duration::from_secs(2)));
        // Huge and infinite values are capped, then `max_delay` applies.
        for value in ["1e300", "inf", "18446744073709551616000"] {
            let h = headers(&[("retry-after-ms", value)]);
            assert_eq!(
                retry_after(&h, NOW),
                Some(Duration::from_secs(1_000_000_000))
            );
            let policy = RetryPolicy::default();
            assert_eq!(policy.delay_after(0, &h, NOW), Duration::from_secs(60));
        }
        assert_eq!(
            retry_after(&headers(&[("retry-after", "inf")]), NOW),
            Some(Duration::from_secs(1_000_000_000))
        );
        // -0 and tiny values are no wait at all.
        let h = headers(&[("retry-after-ms", "-0")]);
        assert_eq!(retry_after(&h, NOW), Some(Duration::ZERO));
        let h = headers(&[("retry-after-ms", "0")]);
        assert_eq!(retry_after(&h, NOW), Some(Duration::ZERO));
    }

    #[test]
    fn delay_after_prefers_the_server_wait_under_the_cap() {
        let policy = RetryPolicy::default();
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(policy.delay_after(3, &h, NOW), Duration::from_secs(7));
        let backoff = policy.delay_after(1, &HeaderMap::new(), NOW);
        assert!(
            (Duration::from_millis(1280)..=Duration::from_millis(1600)).contains(&backoff),
            "{backoff:?}"
        );
    }

    #[test]
    fn jitter_outside_zero_to_one_never_panics() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0, f64::NAN), Duration::from_millis(640));
        assert_eq!(policy.backoff(0, 5.0), Duration::from_millis(800));
        assert_eq!(policy.backoff(0, -5.0), Duration::from_millis(640));
        assert_eq!(policy.backoff(0, f64::INFINITY), Duration::from_millis(800));
    }

    #[test]
    fn retries_only_the_listed_statuses() {
        let policy = RetryPolicy::default();
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(policy.retries_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 501, 505] {
            assert!(!policy.retries_status(status), "{status}");
        }
        assert_eq!(RetryPolicy::none().max_retries, 0);
        assert_eq!(RetryPolicy::none().retry_statuses, policy.retry_statuses);
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
