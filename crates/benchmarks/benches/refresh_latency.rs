//! `get_token` latency on a warm cache while the token endpoint takes 2 s to
//! answer each refresh: the cache as shipped (refresh in a background task)
//! beside the same cache refreshing inline (the caller that notices the
//! stale token waits for the endpoint), measured in the same run.
//!
//! The load is open-loop: a request arrives every 500 ms (each its own task,
//! as in a service handling independent requests) for 100 s, whatever
//! earlier requests are doing. Each token arrives already past its refresh
//! point (`refresh_on` = now, as an `az` token with minutes left) and valid
//! for an hour, so the cache refreshes it every 30 s (its least time between
//! attempts): three refreshes in the run, each 2 s long. The endpoint is a
//! fetch that sleeps 2 s and then returns a new token. The latency is one
//! `get_token` call through `Arc<dyn TokenCredential>`. With inline refresh,
//! the one request that notices each refresh waits for it (about 1.5 % of
//! the requests here, so it shows in p99); every other request gets the
//! cached token in both modes.
//!
//! Run: `cargo bench -p benchmarks --bench refresh_latency`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use credential_core::{
    AccessToken, CredentialError, SystemClock, TokenCache, TokenCredential, TokenRequestOptions,
    async_trait,
};
use time::OffsetDateTime;

const SCOPES: &[&str] = &["https://vault.azure.net/.default"];
const ENDPOINT_DELAY: Duration = Duration::from_secs(2);
const STALE_AFTER: time::Duration = time::Duration::ZERO;
const ARRIVAL_EVERY: Duration = Duration::from_millis(500);
const RUN_FOR: Duration = Duration::from_secs(100);

/// A credential whose token endpoint takes [`ENDPOINT_DELAY`] to answer.
#[derive(Debug)]
struct SlowEndpointCredential {
    cache: TokenCache,
}

async fn slow_endpoint() -> Result<AccessToken, CredentialError> {
    tokio::time::sleep(ENDPOINT_DELAY).await;
    let now = OffsetDateTime::now_utc();
    Ok(
        AccessToken::new("x".repeat(2000), now + time::Duration::hours(1))
            .with_refresh_on(Some(now + STALE_AFTER)),
    )
}

#[async_trait]
impl TokenCredential for SlowEndpointCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.cache
            .get_or_fetch(scopes, options, slow_endpoint)
            .await
    }
}

struct Summary {
    calls: usize,
    over_1s: usize,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

async fn run(background: bool) -> Summary {
    let cache = TokenCache::new(Arc::new(SystemClock))
        .with_jitter(|| 0.0)
        .with_background_refresh(background);
    let credential: Arc<dyn TokenCredential> = Arc::new(SlowEndpointCredential { cache });
    // Warm: the first token is fetched before measuring.
    credential
        .get_token(SCOPES, &TokenRequestOptions::default())
        .await
        .unwrap();

    let start = Instant::now();
    let mut ticks = tokio::time::interval(ARRIVAL_EVERY);
    let mut requests = Vec::new();
    while start.elapsed() < RUN_FOR {
        ticks.tick().await;
        let credential = Arc::clone(&credential);
        requests.push(tokio::spawn(async move {
            let began = Instant::now();
            credential
                .get_token(SCOPES, &TokenRequestOptions::default())
                .await
                .unwrap();
            began.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(requests.len());
    for request in requests {
        latencies.push(request.await.unwrap());
    }
    latencies.sort_unstable();
    let at =
        |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).min(latencies.len()) - 1];
    Summary {
        calls: latencies.len(),
        over_1s: latencies
            .iter()
            .filter(|l| **l > Duration::from_secs(1))
            .count(),
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: *latencies.last().unwrap(),
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: skip.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "get_token on a warm cache, endpoint answers refreshes in {ENDPOINT_DELAY:?}, \
         one request per {ARRIVAL_EVERY:?} for {RUN_FOR:?}"
    );
    println!(
        "{:<22} {:>6} {:>8} {:>12} {:>12} {:>12} {:>12}",
        "refresh", "calls", "waited", "p50", "p99", "p99.9", "max"
    );
    for (name, background) in [("background (ours)", true), ("inline (peer)", false)] {
        let s = runtime.block_on(run(background));
        println!(
            "{:<22} {:>6} {:>8} {:>12.1?} {:>12.1?} {:>12.1?} {:>12.1?}",
            name, s.calls, s.over_1s, s.p50, s.p99, s.p999, s.max
        );
    }
}
