//! `SecretCache` against the Key Vault emulator (in this process, over
//! loopback HTTP), two scenarios that count requests:
//!
//! 1. **Cold start**: 1,000 tasks read one name at once through an empty
//!    cache. Reports the requests the vault saw and the time until every
//!    task had its value, beside one plain `get_secret` in the same run.
//! 2. **Throttled vault**: the vault answers every request with `429` for
//!    30 s while 8 tasks read two cached names every millisecond (TTL 5 s,
//!    so both values go stale during the window). Reports the reads, how
//!    many got the cached value, and when each request reached the vault.
//!
//! Run: `cargo bench -p benchmarks --bench secret_cache_scenarios`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{LoopbackOnlyHttpClient, async_trait};
use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets::{RetryPolicy, SecretClient, StatusCode};
use keyvault_secrets_cache::SecretCache;

/// Records when each authorized `GET /secrets/...` left.
#[derive(Debug)]
struct CountingTransport {
    inner: LoopbackOnlyHttpClient,
    start: Instant,
    gets: Mutex<Vec<Duration>>,
}

#[async_trait]
impl HttpClient for CountingTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.method == reqwest::Method::GET
            && request.headers.contains_key("authorization")
            && request.url.path().starts_with("/secrets/")
        {
            self.gets.lock().unwrap().push(self.start.elapsed());
        }
        self.inner.send(request).await
    }
}

impl CountingTransport {
    fn count(&self) -> usize {
        self.gets.lock().unwrap().len()
    }
    fn since(&self, from: Duration) -> Vec<Duration> {
        self.gets
            .lock()
            .unwrap()
            .iter()
            .copied()
            .filter(|t| *t >= from)
            .collect()
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Spawns 1,000 tasks reading `db-password` at once; the time until all
/// have the value.
async fn read_by_1000_tasks(cache: &SecretCache) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get("db-password").await })
        })
        .collect();
    for task in tasks {
        let value = task.await.unwrap().unwrap();
        assert_eq!(value.expose_secret(), "value-of-db-password");
    }
    start.elapsed()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists bench targets; nothing to list.
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let emulator = Emulator::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let token = benchmarks::fetch_token(&http, &emulator.token_endpoint(), &emulator.vault_url())
        .await
        .unwrap();
    let transport = Arc::new(CountingTransport {
        inner: LoopbackOnlyHttpClient::real(),
        start: Instant::now(),
        gets: Mutex::new(Vec::new()),
    });
    // 429 is left to the cache's shared backoff: the client does not retry it.
    let retry = RetryPolicy::default().with_retry_statuses([
        StatusCode::REQUEST_TIMEOUT,
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::GATEWAY_TIMEOUT,
    ]);
    let client = SecretClient::builder(emulator.vault_url(), benchmarks::fixed_credential(token))
        .with_http_client(transport.clone())
        .with_retry_policy(retry)
        .build()
        .unwrap();
    for name in ["db-password", "api-key"] {
        client
            .set_secret(name, &format!("value-of-{name}"))
            .await
            .unwrap();
    }

    // 1. Cold start: 1,000 concurrent first reads, 5 rounds.
    let mut cold = Vec::new();
    let mut single = Vec::new();
    let mut warm = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        client.get_secret("db-password").await.unwrap();
        single.push(start.elapsed());

        let cache = SecretCache::new(client.clone()).unwrap();
        let before = transport.count();
        cold.push(read_by_1000_tasks(&cache).await);
        requests.push(transport.count() - before);
        // The same 1,000 tasks again, now all hits: the tasks' own cost.
        warm.push(read_by_1000_tasks(&cache).await);
    }
    println!("cold start, 1,000 concurrent first reads of one name (5 rounds):");
    println!("  requests the vault saw per round: {requests:?}");
    let (cold, single, warm) = (median(cold), median(single), median(warm));
    println!(
        "  time until all 1,000 had the value: median {cold:?}; one plain get_secret: median {single:?} ({:.2}x); the same 1,000 tasks on the warm cache: median {warm:?}",
        cold.as_secs_f64() / single.as_secs_f64()
    );

    // 2. Throttled vault for 30 s.
    let cache = SecretCache::builder(client.clone())
        .with_ttl(Duration::from_secs(5))
        .with_retry_delay(Duration::from_millis(500))
        .build()
        .unwrap();
    cache.get("db-password").await.unwrap();
    cache.get("api-key").await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    emulator.set_faults(Faults::none().throttle(u32::MAX, None));
    let window_start = transport.start.elapsed();
    let reads = Arc::new(AtomicU64::new(0));
    let cached = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let readers: Vec<_> = (0..8)
        .map(|i| {
            let (cache, reads, cached, errors) =
                (cache.clone(), reads.clone(), cached.clone(), errors.clone());
            tokio::spawn(async move {
                let name = if i % 2 == 0 { "db-password" } else { "api-key" };
                let expected = format!("value-of-{name}");
                while Instant::now() < deadline {
                    reads.fetch_add(1, Ordering::Relaxed);
                    match cache.get(name).await {
                        Ok(v) if v.expose_secret() == expected => {
                            cached.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        })
        .collect();
    for reader in readers {
        reader.await.unwrap();
    }
    let window = transport.since(window_start);
    emulator.set_faults(Faults::none());
    let throttled = emulator.fault_counts().throttled;
    let at: Vec<String> = window
        .iter()
        .map(|t| format!("{:.2}", (*t - window_start).as_secs_f64()))
        .collect();
    let stats = cache.stats();
    println!("throttled vault, 429 to every request for 30 s, 8 readers of 2 names (TTL 5 s):");
    println!(
        "  reads {}, answered with the cached value {}, errors {}",
        reads.load(Ordering::Relaxed),
        cached.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed)
    );
    println!(
        "  requests the vault saw: {} (429s sent: {throttled}), at seconds into the window: [{}]",
        window.len(),
        at.join(", ")
    );
    println!(
        "  cache counters: hits {}, misses {}, refreshes {}, errors {}",
        stats.hits, stats.misses, stats.refreshes, stats.errors
    );
    emulator.shutdown().await;
}
