//! `get_token` on a warm cache: one caller, and 2 threads calling at once.
//!
//! Run: `cargo bench -p credential-core --bench token_cache`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use credential_core::test_util::{on_threads, poll_ready};
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
            .get_or_fetch(scopes, options, || {
                let token = self.token.clone();
                async move {
                    Ok(AccessToken::new(
                        token,
                        OffsetDateTime::now_utc() + time::Duration::hours(1),
                    ))
                }
            })
            .await
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
    let call = {
        let credential = Arc::clone(&credential);
        move || {
            let options = TokenRequestOptions::default();
            black_box(poll_ready(
                credential.get_token(black_box(SCOPES), &options),
            ))
            .unwrap();
        }
    };

    let mut group = c.benchmark_group("get_token_warm");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let call = call.clone();
        group.bench_function(format!("{threads}_threads"), move |b| {
            b.iter_custom(|iters| on_threads(threads, iters, call.clone()))
        });
    }
    group.finish();

    // A control with no shared state at all (one small allocation per call):
    // how well this machine scales from 1 to 2 threads, measured in the same run.
    let mut group = c.benchmark_group("control_alloc");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(format!("{threads}_threads"), move |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, || {
                    black_box(Box::new(black_box([1u64; 8])));
                })
            })
        });
    }
    group.finish();

    let options = TokenRequestOptions::default();
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
