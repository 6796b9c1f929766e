//! Every cache rule, on tokio's paused clock over the in-memory vault (the
//! real `SecretClient` in between).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use credential_core::test_util::LogCapture;
use keyvault_secrets_cache::{CacheError, SecretCache, SecretCacheBuilder};
use tokio::time::{Instant, advance, sleep};

use crate::common::{FakeVault, TokioClock, read_concurrently};

const LATENCY: Duration = Duration::from_millis(50);

fn builder(vault: &FakeVault) -> SecretCacheBuilder {
    let clock = TokioClock::shared();
    SecretCache::builder(vault.client(clock.clone())).with_clock(clock)
}

async fn value(cache: &SecretCache, name: &str) -> String {
    cache.get(name).await.unwrap().expose_secret().to_owned()
}

#[tokio::test(start_paused = true)]
async fn fresh_value_is_served_without_a_request() {
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "one");
    let cache = builder(&vault).build().unwrap();
    assert_eq!(value(&cache, "db").await, "one");
    let start = Instant::now();
    assert_eq!(value(&cache, "db").await, "one");
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(vault.gets(), 1);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn past_refresh_point_serves_old_value_and_refreshes_in_background() {
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "one");
    let cache = builder(&vault)
        .with_ttl(Duration::from_secs(100))
        .build()
        .unwrap();
    assert_eq!(value(&cache, "db").await, "one");
    vault.set("db", "two");
    advance(Duration::from_secs(79)).await;
    assert_eq!(value(&cache, "db").await, "one", "before the refresh point");
    assert_eq!(vault.gets(), 1);
    advance(Duration::from_secs(2)).await;
    let start = Instant::now();
    assert_eq!(value(&cache, "db").await, "one", "served at once");
    assert_eq!(value(&cache, "db").await, "one", "one refresh in flight");
    assert_eq!(start.elapsed(), Duration::ZERO, "nobody waited");
    sleep(LATENCY * 2).await;
    assert_eq!(value(&cache, "db").await, "two");
    assert_eq!(vault.gets(), 2);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test(start_paused = true)]
async fn expired_value_waits_for_a_new_one() {
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "one");
    let cache = builder(&vault)
        .with_ttl(Duration::from_secs(10))
        .with_refresh_point(1.0)
        .build()
        .unwrap();
    assert_eq!(value(&cache, "db").await, "one");
    vault.set("db", "two");
    advance(Duration::from_secs(10)).await;
    let start = Instant::now();
    assert_eq!(value(&cache, "db").await, "two");
    assert_eq!(start.elapsed(), LATENCY);
    assert_eq!(cache.stats().misses, 2);
}

#[tokio::test(start_paused = true)]
async fn sixty_four_concurrent_misses_share_one_request() {
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "one");
    let cache = builder(&vault).build().unwrap();
    let values = read_concurrently(&cache, "db", 64).await;
    assert!(values.iter().all(|v| v == "one"), "{values:?}");
    assert_eq!(vault.gets(), 1);
    assert_eq!(cache.stats().misses, 64);
}

#[tokio::test(start_paused = true)]
async fn least_recently_used_entry_is_evicted() {
    let vault = FakeVault::new(LATENCY);
    for name in ["a", "b", "c"] {
        vault.set(name, name);
    }
    let cache = builder(&vault).with_max_entries(2).build().unwrap();
    value(&cache, "a").await;
    advance(Duration::from_millis(5)).await;
    value(&cache, "b").await;
    advance(Duration::from_millis(5)).await;
    value(&cache, "a").await; // a is now more recent than b
    advance(Duration::from_millis(5)).await;
    value(&cache, "c").await; // evicts b
    assert_eq!(vault.gets(), 3);
    assert_eq!(cache.stats().evictions, 1);
    value(&cache, "a").await;
    value(&cache, "c").await;
    assert_eq!(vault.gets(), 3, "a and c stayed");
    value(&cache, "b").await;
    assert_eq!(vault.gets(), 4, "b was evicted");
    assert_eq!(cache.stats().entries, 2);
}

#[tokio::test(start_paused = true)]
async fn failed_refresh_serves_stale_value_until_the_limit_and_reports() {
    let logs = LogCapture::start();
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "hunter2");
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&reports);
    let cache = builder(&vault)
        .with_ttl(Duration::from_secs(10))
        .with_refresh_point(1.0)
        .with_stale_limit(Duration::from_secs(60))
        .with_retry_delay(Duration::from_secs(5))
        .with_on_fetch_error(move |f| {
            seen.lock().unwrap().push((
                f.name.to_owned(),
                f.error.to_string(),
                f.serving_stale_for,
            ));
        })
        .build()
        .unwrap();
    assert_eq!(value(&cache, "db").await, "hunter2");
    vault.fail_with(Some(503));
    advance(Duration::from_secs(10)).await;
    assert_eq!(value(&cache, "db").await, "hunter2", "stale if error");
    assert_eq!(vault.gets(), 2);
    {
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].0, "db");
        assert!(reports[0].1.contains("`db`"), "{}", reports[0].1);
        let left = reports[0].2.unwrap();
        assert!(left <= Duration::from_secs(60) && left >= Duration::from_secs(59));
    }
    // Within the retry delay: served without a request.
    advance(Duration::from_secs(4)).await;
    assert_eq!(value(&cache, "db").await, "hunter2");
    assert_eq!(vault.gets(), 2);
    // After it: one background attempt, still served at once.
    advance(Duration::from_secs(2)).await;
    let start = Instant::now();
    assert_eq!(value(&cache, "db").await, "hunter2");
    assert_eq!(start.elapsed(), Duration::ZERO);
    sleep(LATENCY * 2).await;
    assert_eq!(vault.gets(), 3);
    // Past the stale limit (TTL end + 60 s): the error.
    advance(Duration::from_secs(60)).await;
    let err = cache.get("db").await.unwrap_err();
    match &err {
        CacheError::Vault { name, source } => {
            assert_eq!(name, "db");
            assert_eq!(
                source.status(),
                Some(keyvault_secrets::StatusCode::SERVICE_UNAVAILABLE)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(cache.stats().errors >= 3);
    assert!(
        logs.contents()
            .contains("reading a secret from the vault failed")
    );
    logs.assert_absent(&["hunter2"]);
    // The vault recovers: the next read after the retry delay succeeds.
    vault.fail_with(None);
    advance(Duration::from_secs(6)).await;
    assert_eq!(value(&cache, "db").await, "hunter2");
}

#[tokio::test(start_paused = true)]
async fn not_found_is_cached_for_the_negative_ttl() {
    let vault = FakeVault::new(LATENCY);
    let cache = builder(&vault)
        .with_negative_ttl(Duration::from_secs(30))
        .build()
        .unwrap();
    for _ in 0..10 {
        let err = cache.get("typo").await.unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        assert_eq!(err.to_string(), "secret `typo` was not found in the vault");
    }
    assert_eq!(vault.gets(), 1);
    vault.set("typo", "now here");
    advance(Duration::from_secs(29)).await;
    assert!(cache.get("typo").await.unwrap_err().is_not_found());
    advance(Duration::from_secs(1)).await;
    assert_eq!(value(&cache, "typo").await, "now here");
    assert_eq!(vault.gets(), 2);
}

#[tokio::test(start_paused = true)]
async fn throttling_backs_off_for_every_caller_and_serves_cached_values() {
    let vault = FakeVault::new(LATENCY);
    vault.set("a", "value-a");
    vault.set("b", "value-b");
    let cache = builder(&vault)
        .with_ttl(Duration::from_secs(10))
        .with_retry_delay(Duration::from_millis(100))
        .with_throttle_backoff(Duration::from_secs(1), Duration::from_secs(60))
        .build()
        .unwrap();
    value(&cache, "a").await;
    value(&cache, "b").await;
    advance(Duration::from_secs(10)).await;
    vault.fail_with(Some(429));
    let before = vault.gets();
    // 30 s of 429s, both names read every 100 ms by four callers each.
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        for _ in 0..4 {
            assert_eq!(value(&cache, "a").await, "value-a");
            assert_eq!(value(&cache, "b").await, "value-b");
        }
        sleep(Duration::from_millis(100)).await;
    }
    // Backoff steps 1, 2, 4, 8, 16 s: requests near 0, 1, 3, 7, 15 and 31 s.
    let sent = vault.gets() - before;
    assert!((4..=6).contains(&sent), "{sent} requests in 30 s");
    // A name with no cached value fails at once, without a request.
    let gets = vault.gets();
    let err = cache.get("c").await.unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert!(matches!(err, CacheError::Throttled { .. }), "{err:?}");
    assert_eq!(vault.gets(), gets);
}

#[tokio::test(start_paused = true)]
async fn invalidate_refresh_now_and_versions() {
    let vault = FakeVault::new(LATENCY);
    let v1 = vault.set("db", "one");
    let cache = builder(&vault).build().unwrap();
    assert_eq!(value(&cache, "db").await, "one");
    let v2 = vault.set("db", "two");
    assert_eq!(value(&cache, "db").await, "one", "cached");
    cache.invalidate("db");
    assert_eq!(value(&cache, "db").await, "two");
    vault.set("db", "three");
    assert_eq!(
        cache.refresh_now("db").await.unwrap().expose_secret(),
        "three"
    );
    assert_eq!(value(&cache, "db").await, "three");
    // Versions are separate entries.
    assert_eq!(
        cache.get_version("db", &v1).await.unwrap().expose_secret(),
        "one"
    );
    assert_eq!(
        cache.get_version("db", &v2).await.unwrap().expose_secret(),
        "two"
    );
    let gets = vault.gets();
    cache.get_version("db", &v1).await.unwrap();
    assert_eq!(vault.gets(), gets);
    let props = cache.get_properties("db").await.unwrap();
    assert_eq!(props.name, "db");
    assert_eq!(props.version.as_deref(), Some("v3"));
    assert_eq!(props.content_type.as_deref(), Some("text/plain"));
    assert_eq!(cache.stats().entries, 3);
    cache.invalidate("db");
    assert_eq!(cache.stats().entries, 0, "the name's versions go too");
    value(&cache, "db").await;
    cache.invalidate_all();
    assert_eq!(cache.stats().entries, 0);
    // refresh_now reports a failure, while reads keep the last good value.
    value(&cache, "db").await;
    vault.fail_with(Some(500));
    let err = cache.refresh_now("db").await.unwrap_err();
    assert!(matches!(err, CacheError::Vault { .. }), "{err:?}");
    assert_eq!(value(&cache, "db").await, "three");
}

#[tokio::test(start_paused = true)]
async fn per_secret_ttl_overrides_the_cache_ttl() {
    let vault = FakeVault::new(LATENCY);
    vault.set("short", "s");
    vault.set("long", "l");
    let cache = builder(&vault)
        .with_ttl(Duration::from_secs(600))
        .with_secret_ttl("short", Duration::from_secs(5))
        .with_refresh_point(1.0)
        .build()
        .unwrap();
    value(&cache, "short").await;
    value(&cache, "long").await;
    advance(Duration::from_secs(6)).await;
    value(&cache, "long").await;
    assert_eq!(vault.gets(), 2);
    value(&cache, "short").await;
    assert_eq!(vault.gets(), 3);
}

#[tokio::test]
async fn bad_options_are_refused_and_debug_hides_values() {
    let vault = FakeVault::new(Duration::ZERO);
    vault.set("db", "hunter2");
    let err = builder(&vault)
        .with_ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid cache configuration: the TTL must be longer than zero"
    );
    assert!(builder(&vault).with_refresh_point(1.5).build().is_err());
    assert!(builder(&vault).with_max_entries(0).build().is_err());
    assert!(
        builder(&vault)
            .with_throttle_backoff(Duration::from_secs(2), Duration::from_secs(1))
            .build()
            .is_err()
    );
    let cache = builder(&vault).build().unwrap();
    let secret = cache.get("db").await.unwrap();
    let debug = format!("{cache:?} {secret:?} {:?}", builder(&vault));
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("entries: 1"), "{debug}");
}

/// The longest durations a user can pass never panic (no overflow on
/// `ttl · refresh point`, `now + ttl`, the negative TTL or the backoff).
#[tokio::test(start_paused = true)]
async fn extreme_durations_never_panic() {
    let vault = FakeVault::new(LATENCY);
    vault.set("db", "one");
    let cache = builder(&vault)
        .with_ttl(Duration::MAX)
        .with_secret_ttl("db", Duration::MAX)
        .with_refresh_point(1.0)
        .with_negative_ttl(Duration::MAX)
        .with_throttle_backoff(Duration::MAX, Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(value(&cache, "db").await, "one");
    assert_eq!(value(&cache, "db").await, "one");
    assert!(cache.get("missing").await.unwrap_err().is_not_found());
    assert!(cache.get("missing").await.unwrap_err().is_not_found());
    assert_eq!(vault.gets(), 2);
}
