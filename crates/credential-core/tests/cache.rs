//! TokenCache behaviour, driven by a manual clock.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_core::test_util::poll_ready;
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

fn name(t: &AccessToken) -> &str {
    t.token.expose_secret()
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
    let fetched = token(name, expires_on);
    cache
        .get_or_fetch(scopes, opts, || async move { Ok(fetched) })
        .await
        .unwrap()
}

/// `get_or_fetch` that must be served from the cache: its fetch panics with
/// `why`.
async fn cached(
    cache: &TokenCache,
    scopes: &[&str],
    opts: &TokenRequestOptions,
    why: &'static str,
) -> AccessToken {
    cache
        .get_or_fetch(scopes, opts, || async move { panic!("{why}") })
        .await
        .unwrap()
}

/// A fetch that counts its runs and yields `outcome`.
#[derive(Clone)]
struct Counted {
    runs: Arc<AtomicUsize>,
}

impl Counted {
    fn new() -> Self {
        Self {
            runs: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// The fetch for one call: counts a run when the cache calls it.
    fn fetch(
        &self,
        outcome: Result<AccessToken, CredentialError>,
    ) -> impl FnOnce() -> std::future::Ready<Result<AccessToken, CredentialError>> + use<> {
        let runs = Arc::clone(&self.runs);
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            std::future::ready(outcome)
        }
    }

    /// A fetch that counts its start, then waits for `released` to be true.
    fn gated(
        &self,
        mut released: watch::Receiver<bool>,
        outcome: Result<AccessToken, CredentialError>,
    ) -> impl FnOnce() -> std::pin::Pin<
        Box<dyn Future<Output = Result<AccessToken, CredentialError>> + Send>,
    > + use<> {
        let runs = Arc::clone(&self.runs);
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                released.wait_for(|r| *r).await.unwrap();
                outcome
            })
        }
    }
}

fn down() -> CredentialError {
    CredentialError::unavailable("Test", "endpoint down")
}

/// `get_or_fetch` for scope `s` with `fetch`, returning the token's name.
async fn served<F, Fut>(cache: &TokenCache, fetch: F) -> String
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
{
    let t = cache.get_or_fetch(&["s"], &options(), fetch).await.unwrap();
    name(&t).to_owned()
}

/// [`served`], then lets a background refresh it started run.
async fn served_settled<F, Fut>(cache: &TokenCache, fetch: F) -> String
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AccessToken, CredentialError>> + Send + 'static,
{
    let name = served(cache, fetch).await;
    settle().await;
    name
}

/// Stores the token `old`, valid for an hour from `T0`, for scope `s`.
async fn store_old_token(cache: &TokenCache) {
    fetch_or_get(cache, &["s"], &options(), "old", T0 + Duration::hours(1)).await;
}

/// Lets spawned tasks run (current-thread runtime).
async fn settle() {
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn fresh_hit_makes_no_request() {
    let (_clock, cache) = setup();
    let counted = Counted::new();
    for _ in 0..3 {
        let fetch = counted.fetch(Ok(token("a", T0 + Duration::hours(1))));
        assert_eq!(served(&cache, fetch).await, "a");
    }
    assert_eq!(counted.runs(), 1);
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
    assert_eq!(name(&t), "ab");
    let t = cached(&cache, &["a", "b"], &options(), "must be cached").await;
    assert_eq!(name(&t), "ab");
}

#[tokio::test]
async fn token_for_other_scopes_is_never_served() {
    let (_clock, cache) = setup();
    fetch_or_get(
        &cache,
        &["a", "b"],
        &options(),
        "ab",
        T0 + Duration::hours(1),
    )
    .await;
    // A subset, a superset, one of the same length and a disjoint set are
    // all other keys.
    for (scopes, want) in [
        (&["a"][..], "a"),
        (&["a", "b", "c"][..], "abc"),
        (&["a", "c"][..], "ac"),
        (&["c", "a"][..], "ac"),
        (&["x"][..], "x"),
    ] {
        let t = fetch_or_get(&cache, scopes, &options(), want, T0 + Duration::hours(1)).await;
        assert_eq!(name(&t), want, "scopes {scopes:?}");
    }
}

#[tokio::test]
async fn tenant_and_cae_are_part_of_the_key() {
    let (_clock, cache) = setup();
    fetch_or_get(&cache, &["s"], &options(), "home", T0 + Duration::hours(1)).await;
    let other = options().with_tenant_id("other");
    let t = fetch_or_get(&cache, &["s"], &other, "other", T0 + Duration::hours(1)).await;
    assert_eq!(name(&t), "other");
    let mut cae = options();
    cae.enable_cae = true;
    let t = fetch_or_get(&cache, &["s"], &cae, "cae", T0 + Duration::hours(1)).await;
    assert_eq!(name(&t), "cae");
    let t = cached(&cache, &["s"], &options(), "home is cached").await;
    assert_eq!(name(&t), "home");
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
    assert_eq!(name(&t), "claimed");
    let t = cached(&cache, &["s"], &options(), "must be cached").await;
    assert_eq!(name(&t), "claimed");
}

#[tokio::test(flavor = "current_thread")]
async fn stale_token_is_served_at_once_while_a_background_task_refreshes() {
    let (clock, cache) = setup();
    let refresh_on = T0 + Duration::minutes(30);
    let first = token("old", T0 + Duration::hours(1)).with_refresh_on(Some(refresh_on));
    assert_eq!(served(&cache, || async { Ok(first) }).await, "old");
    clock.advance(Duration::minutes(31));

    let (release, released) = watch::channel(false);
    let counted = Counted::new();
    let refresh = counted.gated(released, Ok(token("new", T0 + Duration::hours(2))));
    // The caller that notices gets the old token without waiting.
    assert_eq!(served(&cache, refresh).await, "old");
    settle().await; // the background task is now inside its fetch
    assert_eq!(counted.runs(), 1);

    // Others get the old token at once and start no fetch.
    for _ in 0..10 {
        let t = cached(&cache, &["s"], &options(), "only one refresh").await;
        assert_eq!(name(&t), "old");
    }
    release.send(true).unwrap();
    settle().await;
    let t = cached(&cache, &["s"], &options(), "fresh now").await;
    assert_eq!(name(&t), "new");
    assert_eq!(counted.runs(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn background_refresh_finishes_after_its_caller_is_gone() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(56));
    let (release, released) = watch::channel(false);
    let counted = Counted::new();
    let refresh = counted.gated(released, Ok(token("new", T0 + Duration::hours(2))));
    // The caller's future completes (and is dropped) before the fetch does.
    assert_eq!(served(&cache, refresh).await, "old");
    release.send(true).unwrap();
    settle().await;
    let t = cached(&cache, &["s"], &options(), "refreshed").await;
    assert_eq!(name(&t), "new");
}

#[tokio::test]
async fn inline_refresh_makes_the_noticing_caller_wait() {
    let clock = ManualClock::new(T0);
    let cache = TokenCache::new(Arc::new(clock.clone()))
        .with_jitter(|| 0.0)
        .with_background_refresh(false);
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(56));
    let t = fetch_or_get(&cache, &["s"], &options(), "new", T0 + Duration::hours(2)).await;
    assert_eq!(name(&t), "new");
}

#[test]
fn outside_a_tokio_runtime_the_refresh_runs_inline() {
    let (clock, cache) = setup();
    let fetch = || async { Ok(token("old", T0 + Duration::hours(1))) };
    poll_ready(cache.get_or_fetch(&["s"], &options(), fetch)).unwrap();
    clock.advance(Duration::minutes(56));
    let fetch = || async { Ok(token("new", T0 + Duration::hours(2))) };
    let t = poll_ready(cache.get_or_fetch(&["s"], &options(), fetch)).unwrap();
    assert_eq!(name(&t), "new");
}

#[tokio::test]
async fn refresh_point_defaults_to_five_minutes_before_expiry() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(54));
    cached(&cache, &["s"], &options(), "still fresh at 54 min").await;
    clock.advance(Duration::minutes(1) + Duration::seconds(1));
    let counted = Counted::new();
    let fetch = counted.fetch(Ok(token("new", T0 + Duration::hours(2))));
    assert_eq!(served(&cache, fetch).await, "old");
    settle().await;
    assert_eq!(counted.runs(), 1);
    let t = cached(&cache, &["s"], &options(), "refreshed").await;
    assert_eq!(name(&t), "new");
}

#[tokio::test]
async fn refresh_on_sets_the_refresh_point() {
    let (clock, cache) = setup();
    let first =
        token("old", T0 + Duration::hours(1)).with_refresh_on(Some(T0 + Duration::minutes(10)));
    served(&cache, || async { Ok(first) }).await;
    clock.set(T0 + Duration::minutes(10) - Duration::seconds(1));
    cached(&cache, &["s"], &options(), "fresh before refresh_on").await;
    clock.set(T0 + Duration::minutes(10));
    let counted = Counted::new();
    served(
        &cache,
        counted.fetch(Ok(token("new", T0 + Duration::hours(2)))),
    )
    .await;
    settle().await;
    assert_eq!(counted.runs(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn failed_refresh_keeps_valid_token_and_backs_off_30s() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.advance(Duration::minutes(56)); // stale, still valid
    let counted = Counted::new();
    assert_eq!(
        served_settled(&cache, counted.fetch(Err(down()))).await,
        "old"
    );
    assert_eq!(counted.runs(), 1);

    // For the next 30 s nobody tries again.
    for step in [0, 10, 29] {
        clock.set(T0 + Duration::minutes(56) + Duration::seconds(step));
        assert_eq!(
            served_settled(&cache, counted.fetch(Err(down()))).await,
            "old"
        );
    }
    assert_eq!(counted.runs(), 1);

    // After 30 s, one new attempt.
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(30));
    assert_eq!(
        served_settled(&cache, counted.fetch(Err(down()))).await,
        "old"
    );
    assert_eq!(counted.runs(), 2);
}

/// Two tasks race a refresh that fails: while it runs the other gets the
/// old token; once it failed, neither starts another within 30 s, counted
/// from the failure (not from the start of the slow attempt).
#[tokio::test(flavor = "current_thread")]
async fn failed_refresh_back_off_holds_against_a_racing_task() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.set(T0 + Duration::minutes(56));
    let counted = Counted::new();
    let (release, released) = watch::channel(false);

    let first = {
        let cache = Arc::clone(&cache);
        let fetch = counted.gated(released, Err(down()));
        tokio::spawn(async move { served(&cache, fetch).await })
    };
    let second = {
        let cache = Arc::clone(&cache);
        let counted = counted.clone();
        tokio::spawn(async move {
            // Races the first while its refresh is in flight.
            let during = served(&cache, counted.fetch(Err(down()))).await;
            tokio::task::yield_now().await;
            during
        })
    };
    assert_eq!(first.await.unwrap(), "old");
    assert_eq!(second.await.unwrap(), "old");
    settle().await;
    assert_eq!(counted.runs(), 1, "one refresh in flight");

    // The attempt takes 20 s and fails at 56:20.
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(20));
    release.send(true).unwrap();
    settle().await;

    // Both tasks come back before 56:50: no new attempt.
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(49));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let counted = counted.clone();
            tokio::spawn(async move { served(&cache, counted.fetch(Err(down()))).await })
        })
        .collect();
    for racer in racers {
        assert_eq!(racer.await.unwrap(), "old");
    }
    settle().await;
    assert_eq!(counted.runs(), 1, "no attempt within 30 s of the failure");

    clock.set(T0 + Duration::minutes(56) + Duration::seconds(50));
    served_settled(&cache, counted.fetch(Err(down()))).await;
    assert_eq!(counted.runs(), 2);
}

/// A token that arrives past its refresh point (an `az` token with 4
/// minutes left) is served, and refreshed at most once per 30 s.
#[tokio::test(flavor = "current_thread")]
async fn token_stale_on_arrival_is_refreshed_at_most_every_30s() {
    let (clock, cache) = setup();
    let counted = Counted::new();
    let short = || token("az", T0 + Duration::minutes(4));
    assert_eq!(served(&cache, counted.fetch(Ok(short()))).await, "az");
    for step in [0, 1, 15, 29] {
        clock.set(T0 + Duration::seconds(step));
        assert_eq!(
            served_settled(&cache, counted.fetch(Ok(short()))).await,
            "az"
        );
    }
    assert_eq!(counted.runs(), 1);
    clock.set(T0 + Duration::seconds(30));
    served_settled(&cache, counted.fetch(Ok(short()))).await;
    assert_eq!(counted.runs(), 2);
}

/// A 2-second token is used for the call that fetched it and for half of
/// its life, not fetched twice for one call nor on every call.
#[tokio::test(flavor = "current_thread")]
async fn token_inside_expiry_margin_on_arrival_serves_its_caller() {
    let (clock, cache) = setup();
    let counted = Counted::new();
    let brief = |name| token(name, T0 + Duration::seconds(2));
    assert_eq!(
        served(&cache, counted.fetch(Ok(brief("brief")))).await,
        "brief"
    );
    assert_eq!(counted.runs(), 1);
    settle().await;
    assert_eq!(counted.runs(), 1, "no refresh for the same call");
    clock.set(T0 + Duration::milliseconds(999));
    assert_eq!(
        served_settled(&cache, counted.fetch(Ok(brief("again")))).await,
        "brief"
    );
    assert_eq!(counted.runs(), 1);
    // Halfway through its life the token is no longer served.
    clock.set(T0 + Duration::seconds(1));
    let next = token("next", T0 + Duration::seconds(3));
    assert_eq!(served(&cache, counted.fetch(Ok(next))).await, "next");
    assert_eq!(counted.runs(), 2);
}

#[tokio::test]
async fn expired_token_is_not_served() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.set(T0 + Duration::hours(1) - Duration::seconds(30)); // within the 30 s margin
    let err = cache
        .get_or_fetch(&["s"], &options(), || async { Err(down()) })
        .await
        .unwrap_err();
    assert!(err.is_unavailable());
    // No back-off without a valid token: the next caller fetches at once.
    let fetched = fetch_or_get(&cache, &["s"], &options(), "new", T0 + Duration::hours(2)).await;
    assert_eq!(name(&fetched), "new");
}

#[tokio::test]
async fn token_just_before_the_margin_is_served() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.set(T0 + Duration::hours(1) - Duration::seconds(31));
    let counted = Counted::new();
    assert_eq!(served(&cache, counted.fetch(Err(down()))).await, "old");
}

#[tokio::test]
async fn least_recently_used_key_is_evicted() {
    let clock = ManualClock::new(T0);
    let cache = TokenCache::new(Arc::new(clock.clone()))
        .with_jitter(|| 0.0)
        .with_max_keys(2);
    let hour = T0 + Duration::hours(1);
    fetch_or_get(&cache, &["a"], &options(), "a", hour).await;
    clock.advance(Duration::seconds(1));
    fetch_or_get(&cache, &["b"], &options(), "b", hour).await;
    clock.advance(Duration::seconds(1));
    cached(&cache, &["a"], &options(), "a is cached").await; // a is now the most recent
    clock.advance(Duration::seconds(1));
    fetch_or_get(&cache, &["c"], &options(), "c", hour).await; // evicts b
    assert_eq!(
        format!("{cache:?}"),
        "TokenCache { keys: 2, max_keys: 2, second_level: None, .. }"
    );
    cached(&cache, &["a"], &options(), "a kept").await;
    cached(&cache, &["c"], &options(), "c kept").await;
    let counted = Counted::new();
    let t = cache
        .get_or_fetch(&["b"], &options(), counted.fetch(Ok(token("b2", hour))))
        .await
        .unwrap();
    assert_eq!((name(&t), counted.runs()), ("b2", 1), "b was evicted");
}

#[tokio::test]
async fn cache_holds_64_keys_by_default() {
    let (clock, cache) = setup();
    let hour = T0 + Duration::hours(1);
    let scopes: Vec<String> = (0..65).map(|i| format!("scope-{i}")).collect();
    for scope in &scopes {
        clock.advance(Duration::seconds(1));
        fetch_or_get(&cache, &[scope.as_str()], &options(), scope, hour).await;
    }
    assert!(format!("{cache:?}").contains("keys: 64,"));
    for scope in &scopes[1..] {
        cached(
            &cache,
            &[scope.as_str()],
            &options(),
            "the 64 newest are kept",
        )
        .await;
    }
}

async fn cold_callers(fail: bool) {
    let (_clock, cache) = setup();
    let counted = Counted::new();
    let (release, released) = watch::channel(false);
    let outcome = if fail {
        Err(CredentialError::authentication("Test", "denied"))
    } else {
        Ok(token("shared", T0 + Duration::hours(1)))
    };
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let fetch = counted.gated(released.clone(), outcome.clone());
            tokio::spawn(async move { cache.get_or_fetch(&["s"], &options(), fetch).await })
        })
        .collect();
    // Let every task reach the cache (current-thread runtime: one round).
    settle().await;
    release.send(true).unwrap();
    for task in tasks {
        let result = task.await.unwrap();
        if fail {
            assert_eq!(
                result.unwrap_err().to_string(),
                "Test authentication failed: denied"
            );
        } else {
            assert_eq!(name(&result.unwrap()), "shared");
        }
    }
    assert_eq!(counted.runs(), 1);
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
    let counted = Counted::new();
    let (release, released) = watch::channel(false);
    let barrier = Arc::new(tokio::sync::Barrier::new(1001));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let barrier = Arc::clone(&barrier);
            let fetch = counted.gated(
                released.clone(),
                Ok(token("shared", T0 + Duration::hours(1))),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                cache.get_or_fetch(&["s"], &options(), fetch).await
            })
        })
        .collect();
    barrier.wait().await;
    // Wait until the first fetch has started, then give the rest time to queue.
    while counted.runs() == 0 {
        tokio::task::yield_now().await;
    }
    release.send(true).unwrap();
    for task in tasks {
        assert_eq!(name(&task.await.unwrap().unwrap()), "shared");
    }
    // Late arrivals find the stored token; nobody fetches twice.
    assert_eq!(counted.runs(), 1);
}

#[tokio::test]
async fn cancelled_fetch_lets_the_next_caller_fetch() {
    let (_clock, cache) = setup();
    let opts = options();
    let pending = cache.get_or_fetch(&["s"], &opts, std::future::pending);
    // Poll once, then drop: the caller gave up mid-fetch.
    assert!(futures::poll!(Box::pin(pending)).is_pending());
    let t = fetch_or_get(&cache, &["s"], &options(), "after", T0 + Duration::hours(1)).await;
    assert_eq!(name(&t), "after");
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
    let counted = Counted::new();
    served(
        &cache,
        counted.fetch(Ok(token("new", T0 + Duration::hours(2)))),
    )
    .await;
    settle().await;
    assert_eq!(counted.runs(), 1);
}

#[tokio::test]
async fn jitter_outside_zero_to_one_is_clamped() {
    let clock = ManualClock::new(T0);
    let cache = TokenCache::new(Arc::new(clock.clone())).with_jitter(|| 7.0);
    store_old_token(&cache).await;
    clock.set(T0 + Duration::minutes(54) + Duration::seconds(29));
    cached(&cache, &["s"], &options(), "at most 30 s of jitter").await;
}

#[tokio::test]
async fn jitter_that_is_not_a_number_counts_as_none() {
    let clock = ManualClock::new(T0);
    let cache = TokenCache::new(Arc::new(clock.clone())).with_jitter(|| f64::NAN);
    store_old_token(&cache).await;
    clock.set(T0 + Duration::minutes(54) + Duration::seconds(59));
    cached(&cache, &["s"], &options(), "no jitter: fresh until 55:00").await;
}

#[tokio::test(flavor = "current_thread")]
async fn token_arriving_exactly_at_the_margin_lasts_half_its_life() {
    let (clock, cache) = setup();
    let counted = Counted::new();
    // 30 s left on arrival: inside the margin (which is "30 s or less").
    let edge = token("edge", T0 + Duration::seconds(30));
    assert_eq!(served(&cache, counted.fetch(Ok(edge))).await, "edge");
    clock.set(T0 + Duration::seconds(14));
    assert_eq!(
        served_settled(&cache, counted.fetch(Err(down()))).await,
        "edge"
    );
    clock.set(T0 + Duration::seconds(15));
    let next = token("next", T0 + Duration::hours(1));
    assert_eq!(served(&cache, counted.fetch(Ok(next))).await, "next");
    assert_eq!(counted.runs(), 2);
    // 31 s left: outside the margin, usable until 30 s before expiry.
    let (clock, cache) = setup();
    let roomy = token("roomy", T0 + Duration::seconds(31));
    served(&cache, counted.fetch(Ok(roomy))).await;
    clock.set(T0 + Duration::milliseconds(999));
    assert_eq!(
        served_settled(&cache, counted.fetch(Err(down()))).await,
        "roomy"
    );
    clock.set(T0 + Duration::seconds(1));
    let err = cache
        .get_or_fetch(&["s"], &options(), counted.fetch(Err(down())))
        .await
        .unwrap_err();
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn long_expired_token_is_not_served() {
    let (clock, cache) = setup();
    store_old_token(&cache).await;
    clock.set(T0 + Duration::hours(2));
    let err = cache
        .get_or_fetch(&["s"], &options(), || async { Err(down()) })
        .await
        .unwrap_err();
    assert!(err.is_unavailable());
}

/// `get_or_fetch_inline` for scope `s` with `fetch`.
async fn inline<F, Fut>(cache: &TokenCache, fetch: F) -> Result<AccessToken, CredentialError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AccessToken, CredentialError>>,
{
    cache.get_or_fetch_inline(&["s"], &options(), fetch).await
}

/// The inline path (an interactive sign-in's fetch borrows): a stale token
/// is refreshed by the caller that notices; a failed refresh keeps the token
/// and nobody tries again for 30 s, counted to the second.
#[tokio::test]
async fn inline_stale_token_is_refreshed_by_its_caller_and_backs_off_30s() {
    let (clock, cache) = setup();
    let counted = Counted::new();
    let old = inline(
        &cache,
        counted.fetch(Ok(token("old", T0 + Duration::hours(1)))),
    );
    assert_eq!(name(&old.await.unwrap()), "old");
    let t = inline(&cache, counted.fetch(Err(down()))).await.unwrap();
    assert_eq!((name(&t), counted.runs()), ("old", 1), "fresh: no fetch");

    clock.set(T0 + Duration::minutes(56)); // stale, still valid
    let t = inline(&cache, counted.fetch(Err(down()))).await.unwrap();
    assert_eq!((name(&t), counted.runs()), ("old", 2), "refresh failed");
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(29));
    let t = inline(&cache, counted.fetch(Err(down()))).await.unwrap();
    assert_eq!((name(&t), counted.runs()), ("old", 2), "within 30 s");
    clock.set(T0 + Duration::minutes(56) + Duration::seconds(30));
    let new = token("new", T0 + Duration::hours(2));
    let t = inline(&cache, counted.fetch(Ok(new))).await.unwrap();
    assert_eq!(
        (name(&t), counted.runs()),
        ("new", 3),
        "30 s after the failure"
    );
    let t = inline(&cache, counted.fetch(Err(down()))).await.unwrap();
    assert_eq!(
        (name(&t), counted.runs()),
        ("new", 3),
        "the new token is cached"
    );
}

/// The inline path never serves a token inside the expiry margin, not even
/// at its first instant, when the fetch fails.
#[tokio::test]
async fn inline_never_serves_a_token_inside_the_expiry_margin() {
    for at in [Duration::seconds(30), Duration::seconds(10)] {
        let (clock, cache) = setup();
        let counted = Counted::new();
        let old = inline(
            &cache,
            counted.fetch(Ok(token("old", T0 + Duration::hours(1)))),
        );
        old.await.unwrap();
        clock.set(T0 + Duration::hours(1) - at);
        let err = inline(&cache, counted.fetch(Err(down())))
            .await
            .unwrap_err();
        assert!(err.is_unavailable(), "{at}: {err}");
        assert_eq!(counted.runs(), 2);
    }
}

/// Settings applied after the second level keep it: a second "process"
/// configured in that order reads the stored token instead of fetching.
#[tokio::test]
async fn settings_applied_after_the_second_level_keep_it() {
    use credential_core::__private::cache_store::{CachePartition, SecondLevel};
    use credential_core::{MemoryCacheStore, PersistentTokenCache};
    let clock = ManualClock::new(T0);
    let store = MemoryCacheStore::new();
    let process = || {
        let persistent = PersistentTokenCache::new("test", Arc::new(store.clone()));
        let partition = CachePartition::new("ClientSecretCredential");
        TokenCache::new(Arc::new(clock.clone()))
            .with_second_level(Some(SecondLevel::new(persistent, partition)))
            .with_jitter(|| 0.0)
            .with_max_keys(4)
            .with_background_refresh(false)
    };
    let first = process();
    assert!(
        format!("{first:?}").contains("second_level: Some"),
        "{first:?}"
    );
    store_old_token(&first).await;
    let t = cached(&process(), &["s"], &options(), "read from the store").await;
    assert_eq!(name(&t), "old");
}
