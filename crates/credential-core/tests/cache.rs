//! TokenCache behaviour, driven by a manual clock.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_core::{AccessToken, CredentialError, ManualClock, TokenCache, TokenRequestOptions};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::watch;

const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn setup() -> (ManualClock, Arc<TokenCache>) {
    let clock = ManualClock::new(T0);
    let cache = Arc::new(TokenCache::new(Arc::new(clock.clone())).with_jitter(|| 0.0));
    (clock, cache)
}

fn token(name: &str, expires_on: OffsetDateTime) -> AccessToken {
    AccessToken::new(name, expires_on)
}

fn options() -> TokenRequestOptions {
    TokenRequestOptions::default()
}

/// `get_or_fetch` whose fetch, if it runs, yields the token `name` expiring
/// at `expires_on`; returns what the cache handed back.
async fn fetch_or_get(
    cache: &TokenCache,
    scopes: &[&str],
    opts: &TokenRequestOptions,
    name: &str,
    expires_on: OffsetDateTime,
) -> AccessToken {
    cache
        .get_or_fetch(scopes, opts, || async move { Ok(token(name, expires_on)) })
        .await
        .unwrap()
}

/// `get_or_fetch` that must be served from the cache: its fetch panics with
/// `why`.
async fn cached(
    cache: &TokenCache,
    scopes: &[&str],
    opts: &TokenRequestOptions,
    why: &str,
) -> AccessToken {
    cache
        .get_or_fetch(scopes, opts, || async move { panic!("{why}") })
        .await
        .unwrap()
}

/// `get_or_fetch` for scope `s` with `fetch`, asserting the cache hands
/// back the token `expected`.
async fn assert_served<F, Fut>(cache: &TokenCache, fetch: F, expected: &str)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<AccessToken, CredentialError>>,
{
    let t = cache.get_or_fetch(&["s"], &options(), fetch).await.unwrap();
    assert_eq!(t.token.expose_secret(), expected);
}

/// Stores the token `old`, valid for an hour from `T0`, for scope `s`.
async fn store_old_token(cache: &TokenCache) {
    fetch_or_get(cache, &["s"], &options(), "old", T0 + Duration::hours(1)).await;
}

#[tokio::test]
async fn fresh_hit_makes_no_request() {
    let (_clock, cache) = setup();
    let calls = AtomicUsize::new(0);
    for _ in 0..3 {
        let counted = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(token("a", T0 + Duration::hours(1)))
        };
        assert_served(&cache, counted, "a").await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn scope_order_and_duplicates_do_not_matter() {
    let (_clock, cache) = setup();
    fetch_or_get(
        &cache,
        &["b", "a"],
        &options(),
        "ab",
        T0 + Duration::hours(1),
    )
    .await;
    let t = cached(&cache, &["a", "b", "a"], &options(), "must be cached").await;
    assert_eq!(t.token.expose_secret(), "ab");
    // A different scope set is a different key.
    let t = fetch_or_get(
        &cache,
        &["a"],
        &options(),
        "a-only",
        T0 + Duration::hours(1),
    )
    .await;
    assert_eq!(t.token.expose_secret(), "a-only");
}

#[tokio::test]
async fn tenant_is_part_of_the_key() {
    let (_clock, cache) = setup();
    fetch_or_get(&cache, &["s"], &options(), "home", T0 + Duration::hours(1)).await;
    let other = options().with_tenant_id("other");
    let t = fetch_or_get(&cache, &["s"], &other, "other", T0 + Duration::hours(1)).await;
    assert_eq!(t.token.expose_secret(), "other");
}

#[tokio::test]
async fn claims_bypass_the_cache_and_store_the_new_token() {
    let (_clock, cache) = setup();
    store_old_token(&cache).await;
    let with_claims = options().with_claims(r#"{"access_token":{}}"#);
    let t = fetch_or_get(
        &cache,
        &["s"],
        &with_claims,
        "claimed",
        T0 + Duration::hours(1),
    )
    .await;
    assert_eq!(t.token.expose_secret(), "claimed");
    let t = cached(&cache, &["s"], &options(), "must be cached").await;
    assert_eq!(t.token.expose_secret(), "claimed");
}

#[tokio::test(flavor = "current_thread")]
async fn stale_token_is_served_while_one_caller_refreshes() {
    let (clock, cache) = setup();
    cache
        .get_or_fetch(&["s"], &options(), || async {
            Ok(token("old", T0 + Duration::hours(1))
                .with_refresh_on(Some(T0 + Duration::minutes(30))))
        })
        .await
        .unwrap();
    clock.advance(Duration::minutes(31));

    let (release, mut released) = watch::channel(false);
    let fetches = Arc::new(AtomicUsize::new(0));
    let refresher = {
        let cache = Arc::clone(&cache);
        let fetches = Arc::clone(&fetches);
        tokio::spawn(async move {
            cache
                .get_or_fetch(&["s"], &options(), || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    released.wait_for(|r| *r).await.unwrap();
                    Ok(token("new", T0 + Duration::hours(2)))
                })
                .await
        })
    };
    tokio::task::yield_now().await; // the refresher is now inside its fetch
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Others get the old token at once and start no fetch.
    for _ in 0..10 {
        let t = cached(&cache, &["s"], &options(), "only one caller refreshes").await;
        assert_eq!(t.token.expose_secret(), "old");
    }
    release.send(true).unwrap();
    let t = refresher.await.unwrap().unwrap();
    assert_eq!(t.token.expose_secret(), "new");
    let t = cached(&cache, &["s"], &options(), "fresh now").await;
    assert_eq!(t.token.expose_secret(), "new");
}

#[tokio::test]
async fn refresh_point_defaults_to_five_minutes_before_expiry() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(54));
    cached(&cache, &["s"], &options(), "still fresh at 54 min").await;
    clock.advance(Duration::minutes(1) + Duration::seconds(1));
    let t = fetch_or_get(&cache, &["s"], &options(), "new", T0 + Duration::hours(2)).await;
    assert_eq!(t.token.expose_secret(), "new");
}

#[tokio::test]
async fn failed_refresh_keeps_valid_token_and_backs_off_30s() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(56)); // stale, still valid
    let fetches = AtomicUsize::new(0);
    let failing = || async {
        fetches.fetch_add(1, Ordering::SeqCst);
        Err::<AccessToken, _>(CredentialError::unavailable("Test", "endpoint down"))
    };
    assert_served(&cache, failing, "old").await;
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // For the next 30 s nobody tries again.
    for step in [0, 10, 29] {
        clock.set(T0 + Duration::minutes(56) + Duration::seconds(step));
        assert_served(&cache, failing, "old").await;
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // After 30 s, one new attempt.
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(30));
    assert_served(&cache, failing, "old").await;
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn expired_token_is_not_served() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.set(T0 + Duration::hours(1) - Duration::seconds(30)); // within the 30 s margin
    let err = cache
        .get_or_fetch(&["s"], &options(), || async {
            Err(CredentialError::unavailable("Test", "down"))
        })
        .await
        .unwrap_err();
    assert!(err.is_unavailable());
}

async fn cold_callers(fail: bool) {
    let (_clock, cache) = setup();
    let fetches = Arc::new(AtomicUsize::new(0));
    let (release, released) = watch::channel(false);
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let fetches = Arc::clone(&fetches);
            let mut released = released.clone();
            tokio::spawn(async move {
                cache
                    .get_or_fetch(&["s"], &options(), || async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        released.wait_for(|r| *r).await.unwrap();
                        if fail {
                            Err(CredentialError::authentication("Test", "denied"))
                        } else {
                            Ok(token("shared", T0 + Duration::hours(1)))
                        }
                    })
                    .await
            })
        })
        .collect();
    // Let every task reach the cache (current-thread runtime: one round).
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    release.send(true).unwrap();
    for task in tasks {
        let result = task.await.unwrap();
        if fail {
            assert_eq!(
                result.unwrap_err().to_string(),
                "Test authentication failed: denied"
            );
        } else {
            assert_eq!(result.unwrap().token.expose_secret(), "shared");
        }
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn thousand_cold_callers_share_one_fetch() {
    cold_callers(false).await;
}

#[tokio::test(flavor = "current_thread")]
async fn thousand_cold_callers_share_one_failure() {
    cold_callers(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_cold_callers_share_one_fetch_on_two_threads() {
    let (_clock, cache) = setup();
    let fetches = Arc::new(AtomicUsize::new(0));
    let (release, released) = watch::channel(false);
    let barrier = Arc::new(tokio::sync::Barrier::new(1001));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let fetches = Arc::clone(&fetches);
            let barrier = Arc::clone(&barrier);
            let mut released = released.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                cache
                    .get_or_fetch(&["s"], &options(), || async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        released.wait_for(|r| *r).await.unwrap();
                        Ok(token("shared", T0 + Duration::hours(1)))
                    })
                    .await
            })
        })
        .collect();
    barrier.wait().await;
    // Wait until the first fetch has started, then give the rest time to queue.
    while fetches.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    release.send(true).unwrap();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().token.expose_secret(), "shared");
    }
    // Late arrivals find the stored token; nobody fetches twice.
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cancelled_fetch_lets_the_next_caller_fetch() {
    let (_clock, cache) = setup();
    let opts = options();
    let pending = cache.get_or_fetch(&["s"], &opts, std::future::pending);
    // Poll once, then drop: the caller gave up mid-fetch.
    assert!(futures::poll!(Box::pin(pending)).is_pending());
    let t = fetch_or_get(&cache, &["s"], &options(), "after", T0 + Duration::hours(1)).await;
    assert_eq!(t.token.expose_secret(), "after");
}

#[tokio::test]
async fn jitter_moves_the_refresh_point_earlier() {
    let clock = ManualClock::new(T0);
    let cache = TokenCache::new(Arc::new(clock.clone())).with_jitter(|| 1.0);
    store_old_token(&cache).await;
    // Refresh point: 60 - 5 min - 30 s jitter = 54:30.
    clock.set(T0 + Duration::minutes(54) + Duration::seconds(29));
    cached(&cache, &["s"], &options(), "fresh").await;
    clock.set(T0 + Duration::minutes(54) + Duration::seconds(31));
    let t = fetch_or_get(&cache, &["s"], &options(), "new", T0 + Duration::hours(2)).await;
    assert_eq!(t.token.expose_secret(), "new");
}
