//! `SecretCache` hits: one name read by 1 and by 2 threads at once, and a
//! cache of 1,024 names read round robin. Beside them, in the same run, a
//! control that shares nothing (how this machine scales from 1 to 2
//! threads) and what the cache saves: `SecretClient::get_secret` over an
//! in-memory transport (the client's own work, no network at all).
//!
//! Run: `cargo bench -p benchmarks --bench secret_cache`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;

use credential_core::test_util::{on_threads, poll_ready};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{StatusCode, async_trait};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::future::IntoFuture;

use keyvault_secrets::SecretClient;
use keyvault_secrets_cache::SecretCache;
use reqwest::header::{HeaderMap, HeaderValue};

const VAULT: &str = "https://bench-vault.vault.azure.net";
const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net""#;
/// A 40-byte value, as in the `client_overhead` bench.
const VALUE: &str = "0123456789012345678901234567890123456789";

/// Answers the challenge, then `GET /secrets/{name}/` with that name's
/// secret.
#[derive(Debug)]
struct AnyNameVault;

#[async_trait]
impl HttpClient for AnyNameVault {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut headers = HeaderMap::new();
        if !request.headers.contains_key("authorization") {
            headers.insert("www-authenticate", HeaderValue::from_static(CHALLENGE));
            return Ok(HttpResponse::new(
                StatusCode::UNAUTHORIZED,
                headers,
                Default::default(),
            ));
        }
        let name = request
            .url
            .path_segments()
            .unwrap()
            .nth(1)
            .unwrap()
            .to_owned();
        let body = format!(
            r#"{{"value":"{VALUE}","id":"{VAULT}/secrets/{name}/ca532fc1c4454863b3c36ca0229f7ee1","attributes":{{"enabled":true,"created":1774425207,"updated":1774425207}}}}"#
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Ok(HttpResponse::new(StatusCode::OK, headers, body.into()))
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("bench-{i:04}")).collect()
}

/// Benchmarks `call` on 1 thread and on 2 threads at once; the time is per
/// call on each thread.
fn on_1_and_2_threads(
    c: &mut Criterion,
    name: &str,
    call: impl Fn() + Send + Sync + Clone + 'static,
) {
    let mut group = c.benchmark_group(name);
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let call = call.clone();
        group.bench_function(format!("{threads}_threads"), move |b| {
            b.iter_custom(|iters| on_threads(threads, iters, call.clone()))
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let token = format!("eyJ0eXAiOiJKV1Qi.{}.sig", "a".repeat(1_980));
    let client = SecretClient::builder(VAULT, benchmarks::fixed_credential(token))
        .with_http_client(Arc::new(AnyNameVault))
        .build()
        .unwrap();
    let cache = SecretCache::new(client.clone()).unwrap();
    let all = Arc::new(names(1024));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for name in all.iter() {
            assert_eq!(cache.get(name).await.unwrap().expose_secret(), VALUE);
        }
    });
    assert_eq!(cache.stats().entries, 1024);

    let hit = {
        let cache = cache.clone();
        move || {
            let secret = poll_ready(cache.get(black_box("bench-0007"))).unwrap();
            black_box(secret);
        }
    };
    on_1_and_2_threads(c, "secret_cache_hit", hit);

    let round_robin = {
        let cache = cache.clone();
        move || {
            thread_local!(static NEXT: Cell<usize> = const { Cell::new(0) });
            let i = NEXT.with(|n| {
                let i = n.get();
                n.set((i + 1) % 1024);
                i
            });
            let secret = poll_ready(cache.get(black_box(&all[i]))).unwrap();
            black_box(secret);
        }
    };
    on_1_and_2_threads(c, "secret_cache_hit_round_robin_1024", round_robin);

    // A control with no shared state at all (one small allocation per call).
    on_1_and_2_threads(c, "control_alloc", || {
        black_box(Box::new(black_box([1u64; 8])));
    });

    c.bench_function("secret_client_get_in_memory", |b| {
        b.iter(|| {
            let secret =
                poll_ready(client.get_secret(black_box("bench-0007")).into_future()).unwrap();
            black_box(secret);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
