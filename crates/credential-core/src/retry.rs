//! The one retry engine of the workspace, with its policy as data: which
//! statuses and transport failures to retry, the backoff curve, how many
//! retries, `Retry-After`, the per-try timeout. Token requests
//! ([`RetryPolicy`]), managed identity's IMDS (its own policy) and the Key
//! Vault pipeline all run [`run`] with their [`RetryRules`].

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::error::TransportErrorKind;
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

/// A number uniformly spread over `[0, 1)`, for jitter. Not for cryptography.
pub fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The setters every retry policy has (`with_max_retries`,
/// `with_initial_delay`, `with_max_delay`), for a struct with those fields.
#[doc(hidden)]
#[macro_export]
macro_rules! retry_policy_setters {
    () => {
        /// Sets [`max_retries`](Self::max_retries).
        pub fn with_max_retries(mut self, max_retries: u32) -> Self {
            self.max_retries = max_retries;
            self
        }

        /// Sets [`initial_delay`](Self::initial_delay).
        pub fn with_initial_delay(mut self, delay: std::time::Duration) -> Self {
            self.initial_delay = delay;
            self
        }

        /// Sets [`max_delay`](Self::max_delay).
        pub fn with_max_delay(mut self, delay: std::time::Duration) -> Self {
            self.max_delay = delay;
            self
        }
    };
}

/// When and how often to retry. Start from [`RetryPolicy::default`] (or
/// [`RetryPolicy::none`]) and change what you need with the `with_*`
/// setters; the fields stay readable.
///
/// ```
/// use credential_core::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_delay(Duration::from_millis(100));
/// assert_eq!(policy.max_retries, 5);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first try (3 by default).
    pub max_retries: u32,
    /// The first retry's base delay (0.8 s by default); doubled each retry.
    pub initial_delay: Duration,
    /// The longest delay (60 s by default), `Retry-After` included.
    pub max_delay: Duration,
    /// The statuses worth retrying.
    pub retry_statuses: Vec<StatusCode>,
}

impl Default for RetryPolicy {
    /// 408, 429, 500, 502, 503 and 504 and connection failures; 3 retries;
    /// exponential backoff from 0.8 s with jitter, capped at 60 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            retry_statuses: vec![
                StatusCode::REQUEST_TIMEOUT,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::BAD_GATEWAY,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::GATEWAY_TIMEOUT,
            ],
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

    crate::retry_policy_setters!();

    /// Sets [`retry_statuses`](Self::retry_statuses).
    pub fn with_retry_statuses(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        self.retry_statuses = statuses.into_iter().collect();
        self
    }

    /// The delay before retry number `attempt` (0 for the first retry):
    /// `initial_delay · 2^attempt`, capped, then spread over 80–100 % of
    /// itself by `jitter` (a value in `[0, 1)`).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        spread(self.rules().base_delay(0, attempt), jitter)
    }

    /// Whether `status` should be retried.
    pub fn retries_status(&self, status: StatusCode) -> bool {
        self.rules().retries_status(status.as_u16())
    }

    /// The wait before the next try after `response`: the server's
    /// `Retry-After` if it sent one (capped at `max_delay`), else the backoff.
    pub fn delay_after(&self, attempt: u32, headers: &HeaderMap, now: OffsetDateTime) -> Duration {
        self.rules().status_delay(0, attempt, headers, now)
    }

    /// This policy as the retry engine's rules: the listed statuses and
    /// every transient transport failure, jittered backoff, `Retry-After`
    /// honoured.
    #[doc(hidden)]
    pub fn rules(&self) -> RetryRules<'_> {
        RetryRules {
            max_retries: self.max_retries,
            statuses: &self.retry_statuses,
            status_ranges: &[],
            transport: TransportRetry::Transient,
            initial_delay: self.initial_delay,
            slow_start: None,
            max_delay: self.max_delay,
            jitter: true,
            honour_retry_after: true,
            per_try_timeout: None,
            what: "a request",
        }
    }
}

/// Which transport failures the retry engine tries again.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportRetry {
    /// Every transient failure ([`TransportErrorKind::is_transient`]),
    /// connection failures included.
    Transient,
    /// Only failures after a connection was made (timeout, reset,
    /// unreadable body): a connection that cannot be made is final.
    AfterConnect,
}

impl TransportRetry {
    /// Whether a failure of `kind` is tried again.
    pub fn retries(self, kind: TransportErrorKind) -> bool {
        match self {
            Self::Transient => kind.is_transient(),
            Self::AfterConnect => matches!(
                kind,
                TransportErrorKind::Timeout
                    | TransportErrorKind::Request
                    | TransportErrorKind::Decode
            ),
        }
    }
}

/// A status whose backoff starts from its own delay (IMDS's 410, which
/// can last 70 s).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowStart {
    /// The status.
    pub status: u16,
    /// Its first retry's delay, doubled each retry.
    pub initial_delay: Duration,
}

/// Everything the retry engine decides, as data. Built from a public
/// policy ([`RetryPolicy::rules`], managed identity's IMDS policy); the
/// workspace's three retrying callers (token requests, IMDS, the Key Vault
/// pipeline) all run [`run`] with one of these.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryRules<'a> {
    /// Retries after the first try.
    pub max_retries: u32,
    /// Statuses tried again.
    pub statuses: &'a [StatusCode],
    /// Ranges of statuses tried again, besides `statuses`.
    pub status_ranges: &'a [RangeInclusive<u16>],
    /// Which transport failures are tried again.
    pub transport: TransportRetry,
    /// The first retry's delay, doubled each retry.
    pub initial_delay: Duration,
    /// A status with its own first delay.
    pub slow_start: Option<SlowStart>,
    /// The longest delay, a server's `Retry-After` included.
    pub max_delay: Duration,
    /// Spread each backoff over 80–100 % of itself.
    pub jitter: bool,
    /// Wait as long as the server's `Retry-After` (capped) when it sends one.
    pub honour_retry_after: bool,
    /// The longest one try may take; [`send_with_rules`] sets it on each
    /// request (a caller with its own `send` sets it on the requests it
    /// builds).
    pub per_try_timeout: Option<Duration>,
    /// What is retried, for the log line (`retrying {what}`).
    pub what: &'static str,
}

impl RetryRules<'_> {
    /// Whether a response with `status` is tried again.
    pub fn retries_status(&self, status: u16) -> bool {
        self.statuses.iter().any(|s| *s == status)
            || self.status_ranges.iter().any(|r| r.contains(&status))
    }

    /// The delay before retry `attempt` (0 for the first) after `status`
    /// (0 for a transport failure), before jitter.
    pub fn base_delay(&self, status: u16, attempt: u32) -> Duration {
        let initial = match self.slow_start {
            Some(slow) if slow.status == status => slow.initial_delay,
            _ => self.initial_delay,
        };
        initial
            .saturating_mul(1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX))
            .min(self.max_delay)
    }

    /// The backoff before retry `attempt` after `status`, jittered when the
    /// rules say so.
    fn backoff(&self, status: u16, attempt: u32) -> Duration {
        let base = self.base_delay(status, attempt);
        if self.jitter {
            spread(base, random_unit())
        } else {
            base
        }
    }

    /// The wait after a retryable `status`: the server's wait (capped) when
    /// honoured and sent, else the backoff.
    fn status_delay(
        &self,
        status: u16,
        attempt: u32,
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> Duration {
        self.honour_retry_after
            .then(|| retry_after(headers, now))
            .flatten()
            .map(|wait| wait.min(self.max_delay))
            .unwrap_or_else(|| self.backoff(status, attempt))
    }
}

/// `delay` spread over 80–100 % of itself by `jitter` (forced into `[0, 1]`).
fn spread(delay: Duration, jitter: f64) -> Duration {
    // `try_`: `mul_f64` panics when a huge delay rounds past `Duration::MAX`.
    Duration::try_from_secs_f64(delay.as_secs_f64() * (0.8 + 0.2 * unit(jitter))).unwrap_or(delay)
}

/// An error the retry engine can classify: the transport failure it is, if
/// it is one.
#[doc(hidden)]
pub trait RetryableError {
    /// The kind of transport failure, or `None` for any other error (never
    /// retried).
    fn transport_kind(&self) -> Option<TransportErrorKind>;
}

impl RetryableError for TransportError {
    fn transport_kind(&self) -> Option<TransportErrorKind> {
        Some(self.kind)
    }
}

/// The retry engine: calls `send` until its result is final under `rules`
/// or the retries run out, sleeping with `tokio::time` between tries (so
/// tests can pause time). Returns the last result (the last response when a
/// retryable status persists, the last error when a retryable failure
/// persists) and how many retries ran.
#[doc(hidden)]
pub async fn run<E, F, Fut>(
    rules: &RetryRules<'_>,
    now: impl Fn() -> OffsetDateTime,
    mut send: F,
) -> (Result<HttpResponse, E>, u32)
where
    E: RetryableError + fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<HttpResponse, E>>,
{
    let mut attempt = 0;
    loop {
        let result = send().await;
        let delay = match &result {
            Ok(response) if rules.retries_status(response.status.as_u16()) => {
                let status = response.status.as_u16();
                rules.status_delay(status, attempt, &response.headers, now())
            }
            Err(error)
                if error
                    .transport_kind()
                    .is_some_and(|k| rules.transport.retries(k)) =>
            {
                rules.backoff(0, attempt)
            }
            _ => return (result, attempt),
        };
        if attempt >= rules.max_retries {
            return (result, attempt);
        }
        match &result {
            Ok(response) => tracing::debug!(
                status = response.status.as_u16(),
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                "retrying {}",
                rules.what
            ),
            Err(error) => tracing::debug!(
                error = %error,
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                "retrying {}",
                rules.what
            ),
        }
        // Boxed: the retry path is cold; the caller's hot future stays small.
        Box::pin(tokio::time::sleep(delay)).await;
        attempt += 1;
    }
}

/// Sends `request` through the retry engine under `rules` (with its
/// per-try timeout, if any).
#[doc(hidden)]
pub async fn send_with_rules(
    http: &dyn HttpClient,
    request: &HttpRequest,
    rules: &RetryRules<'_>,
    now: impl Fn() -> OffsetDateTime,
) -> Result<HttpResponse, TransportError> {
    let timed;
    let request = match rules.per_try_timeout {
        Some(timeout) => {
            timed = request.clone().with_timeout(timeout);
            &timed
        }
        None => request,
    };
    run(rules, now, || http.send(request.clone())).await.0
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
    send_with_rules(http, request, &policy.rules(), now).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn code(status: u16) -> StatusCode {
        StatusCode::from_u16(status).unwrap()
    }
    use http::HeaderValue;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2015-10-21 07:27:00 UTC);

    #[test]
    fn extreme_delays_never_panic() {
        let policy = RetryPolicy {
            initial_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        for attempt in [0, 1, 31, u32::MAX] {
            for jitter in [0.0, 0.5, 1.0, f64::NAN, f64::INFINITY, -1.0] {
                assert!(policy.backoff(attempt, jitter) >= Duration::MAX.mul_f64(0.5));
            }
        }
        let zero = RetryPolicy {
            initial_delay: Duration::ZERO,
            ..RetryPolicy::default()
        };
        assert_eq!(zero.backoff(u32::MAX, 1.0), Duration::ZERO);
    }

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
            assert!(policy.retries_status(code(status)), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 501, 505] {
            assert!(!policy.retries_status(code(status)), "{status}");
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

    fn imds_like() -> RetryRules<'static> {
        RetryRules {
            max_retries: 2,
            statuses: &[
                StatusCode::NOT_FOUND,
                StatusCode::GONE,
                StatusCode::TOO_MANY_REQUESTS,
            ],
            status_ranges: &[500..=599],
            transport: TransportRetry::AfterConnect,
            initial_delay: Duration::from_millis(800),
            slow_start: Some(SlowStart {
                status: 410,
                initial_delay: Duration::from_secs(3),
            }),
            max_delay: Duration::from_secs(60),
            jitter: false,
            honour_retry_after: true,
            per_try_timeout: None,
            what: "a test request",
        }
    }

    fn request() -> HttpRequest {
        HttpRequest::new(
            reqwest::Method::GET,
            url::Url::parse("http://127.0.0.1:1/token").unwrap(),
        )
    }

    #[test]
    fn rules_hold_statuses_ranges_and_the_slow_start() {
        let rules = imds_like();
        for status in [404, 410, 429, 500, 599] {
            assert!(rules.retries_status(status), "{status}");
        }
        for status in [200, 400, 408, 600] {
            assert!(!rules.retries_status(status), "{status}");
        }
        assert_eq!(rules.base_delay(410, 1), Duration::from_secs(6));
        assert_eq!(rules.base_delay(503, 1), Duration::from_millis(1600));
        assert_eq!(rules.base_delay(0, 0), Duration::from_millis(800));
        assert!(TransportRetry::AfterConnect.retries(TransportErrorKind::Timeout));
        assert!(!TransportRetry::AfterConnect.retries(TransportErrorKind::Connect));
        assert!(TransportRetry::Transient.retries(TransportErrorKind::Connect));
    }

    #[derive(Debug)]
    struct Refused;

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("refused")
        }
    }

    impl RetryableError for Refused {
        fn transport_kind(&self) -> Option<TransportErrorKind> {
            None
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_that_is_not_a_transport_failure_is_final() {
        let mut calls = 0;
        let (result, retries) = run(
            &RetryPolicy::default().rules(),
            || NOW,
            || {
                calls += 1;
                async { Err::<HttpResponse, _>(Refused) }
            },
        )
        .await;
        assert!(result.is_err());
        assert_eq!((calls, retries), (1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_follow_the_rules_and_the_last_result_is_returned() {
        let http = crate::test_util::ScriptedHttpClient::new();
        http.push_response(410, &[], "")
            .push_error(TransportErrorKind::Timeout)
            .push_response(503, &[], "");
        let started = tokio::time::Instant::now();
        let response = send_with_rules(&http, &request(), &imds_like(), || NOW)
            .await
            .unwrap();
        // 3 s after the 410, then 1.6 s after the timeout; retries ran out.
        assert_eq!(started.elapsed(), Duration::from_millis(4600));
        assert_eq!(response.status.as_u16(), 503);
        assert_eq!(http.requests().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn set_retry_statuses_replace_the_default_ones() {
        let policy = RetryPolicy::default()
            .with_max_retries(2)
            .with_retry_statuses([StatusCode::NOT_FOUND]);
        let http = crate::test_util::ScriptedHttpClient::new();
        http.push_response(404, &[], "").push_response(503, &[], "");
        let response = send_with_retry(&http, &request(), &policy, || NOW)
            .await
            .unwrap();
        // The 404 was retried; the 503, no longer listed, is final.
        assert_eq!(response.status.as_u16(), 503);
        assert_eq!(http.requests().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_failure_is_final_when_only_later_failures_retry() {
        let http = crate::test_util::ScriptedHttpClient::new();
        http.push_error(TransportErrorKind::Connect);
        let error = send_with_rules(&http, &request(), &imds_like(), || NOW)
            .await
            .unwrap_err();
        assert_eq!(error.kind, TransportErrorKind::Connect);
        assert_eq!(http.requests().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_server_wait_wins_and_each_try_gets_the_per_try_timeout() {
        let http = crate::test_util::ScriptedHttpClient::new();
        http.push_response(429, &[("retry-after", "2")], "")
            .push_response(200, &[], "");
        let rules = RetryRules {
            per_try_timeout: Some(Duration::from_secs(5)),
            ..imds_like()
        };
        let started = tokio::time::Instant::now();
        let response = send_with_rules(&http, &request(), &rules, || NOW)
            .await
            .unwrap();
        assert_eq!(response.status.as_u16(), 200);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let requests = http.requests();
        assert_eq!(requests.len(), 2);
        assert!(
            requests
                .iter()
                .all(|r| r.timeout == Some(Duration::from_secs(5)))
        );
    }
}
