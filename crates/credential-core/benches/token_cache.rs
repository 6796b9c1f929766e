//! `get_token` on a warm cache: one caller, and 2 threads calling at once.
//!
//! Run: `cargo bench -p credential-core --bench token_cache`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use credential_core::{
    AccessToken, CredentialError, SystemClock, TokenCache, TokenCredential, TokenRequestOptions,
    async_trait,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::OffsetDateTime;

/// A credential whose only work on a warm cache is the cache lookup.
#[derive(Debug)]
struct CachedCredential {
    cache: TokenCache,
    token: String,
}

#[async_trait]
impl TokenCredential for CachedCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.cache
            .get_or_fetch(scopes, options, || async {
                Ok(AccessToken::new(
                    self.token.clone(),
                    OffsetDateTime::now_utc() + time::Duration::hours(1),
                ))
            })
            .await
    }
}

/// Polls a future that is expected to be ready at once (a cache hit).
fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a warm cache hit must not wait"),
    }
}

const SCOPES: &[&str] = &["https://vault.azure.net/.default"];

fn warm_credential() -> Arc<dyn TokenCredential> {
    // A realistic Entra access token is 1.5–2.5 KB.
    let credential = Arc::new(CachedCredential {
        cache: TokenCache::new(Arc::new(SystemClock)),
        token: "x".repeat(2000),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(credential.get_token(SCOPES, &TokenRequestOptions::default()))
        .unwrap();
    credential
}

fn bench(c: &mut Criterion) {
    let credential = warm_credential();
    let options = TokenRequestOptions::default();

    let mut group = c.benchmark_group("get_token_warm");
    group.throughput(Throughput::Elements(1));
    group.bench_function("1_thread", |b| {
        b.iter(|| {
            black_box(poll_ready(
                credential.get_token(black_box(SCOPES), &options),
            ))
        })
    });
    #[allow(clippy::single_element_loop)] // Add thread counts here on bigger machines.
    for threads in [2usize] {
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(std::sync::Barrier::new(threads));
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let credential = Arc::clone(&credential);
                        let barrier = Arc::clone(&barrier);
                        std::thread::spawn(move || {
                            let options = TokenRequestOptions::default();
                            barrier.wait();
                            let start = Instant::now();
                            for _ in 0..iters {
                                black_box(poll_ready(
                                    credential.get_token(black_box(SCOPES), &options),
                                ))
                                .unwrap();
                            }
                            start.elapsed()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .max()
                    .unwrap_or(Duration::ZERO)
            })
        });
    }
    group.finish();

    let cache = TokenCache::new(Arc::new(SystemClock));
    poll_ready(cache.get_or_fetch(SCOPES, &options, || async {
        Ok(AccessToken::new(
            "x".repeat(2000),
            OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }))
    .unwrap();
    c.bench_function("token_cache_get_or_fetch_warm", |b| {
        b.iter(|| {
            black_box(poll_ready(cache.get_or_fetch(
                black_box(SCOPES),
                &options,
                || async { unreachable!() },
            )))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
