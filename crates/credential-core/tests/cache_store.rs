//! TokenCache with a persistent second level (a `MemoryCacheStore`),
//! driven by a manual clock: what is read from the store, what is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_core::__private::cache_store::{
    CachePartition, EntryKind, SecondLevel, decode_access_token, encode_access_token,
};
use credential_core::{
    AccessToken, CacheStore, CredentialError, ManualClock, MemoryCacheStore, PersistentTokenCache,
    Secret, TokenCache, TokenRequestOptions,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn partition(client_id: &str) -> CachePartition {
    CachePartition {
        client_id: client_id.to_owned(),
        tenant: "contoso".to_owned(),
        authority: "https://login.example/".to_owned(),
        ..CachePartition::new("ClientSecretCredential")
    }
}

/// A cache (a new "process") over `store` for `client_id`.
fn process(store: &MemoryCacheStore, client_id: &str, clock: &ManualClock) -> TokenCache {
    let persistent = PersistentTokenCache::new("test", Arc::new(store.clone()));
    TokenCache::new(Arc::new(clock.clone()))
        .with_jitter(|| 0.0)
        .with_second_level(Some(SecondLevel::new(persistent, partition(client_id))))
}

/// A clock at T0, an empty store, a fetch counter.
fn setup() -> (ManualClock, MemoryCacheStore, Arc<AtomicUsize>) {
    (
        ManualClock::new(T0),
        MemoryCacheStore::new(),
        Arc::new(AtomicUsize::new(0)),
    )
}

/// The token `app` has stored for scope `s`.
async fn stored(store: &MemoryCacheStore) -> String {
    let key = partition("app").key(EntryKind::AccessToken, None, false, &["s"]);
    let entry = store.load(&key).await.unwrap().unwrap();
    decode_access_token(&entry)
        .unwrap()
        .token
        .expose_secret()
        .to_owned()
}

/// Gets a token for scope `s`, counting fetches in `calls`; a fetch returns
/// `name`, valid for an hour from T0.
async fn get(
    cache: &TokenCache,
    calls: &Arc<AtomicUsize>,
    name: &str,
) -> Result<String, CredentialError> {
    cache
        .get_or_fetch(&["s"], &TokenRequestOptions::default(), || {
            // Counted when the fetch runs, not when its future is made.
            let calls = Arc::clone(calls);
            let token = AccessToken::new(name, T0 + Duration::hours(1));
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(token)
            }
        })
        .await
        .map(|t| t.token.expose_secret().to_owned())
}

#[tokio::test]
async fn second_process_uses_the_stored_token_without_fetching() {
    let (clock, store, calls) = setup();
    assert_eq!(
        get(&process(&store, "app", &clock), &calls, "first")
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(store.keys().len(), 1);
    clock.advance(Duration::minutes(10));
    let second = process(&store, "app", &clock);
    assert_eq!(get(&second, &calls, "second").await.unwrap(), "first");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the second process fetched"
    );
}

#[tokio::test]
async fn another_client_id_does_not_see_the_token() {
    let (clock, store, calls) = setup();
    get(&process(&store, "app-a", &clock), &calls, "a")
        .await
        .unwrap();
    assert_eq!(
        get(&process(&store, "app-b", &clock), &calls, "b")
            .await
            .unwrap(),
        "b"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(store.keys().len(), 2);
}

#[tokio::test]
async fn expired_stored_token_is_ignored_and_replaced() {
    let (clock, store, calls) = setup();
    get(&process(&store, "app", &clock), &calls, "old")
        .await
        .unwrap();
    // Inside the 30 s expiry margin: not served.
    clock.set(T0 + Duration::hours(1) - Duration::seconds(10));
    let later = process(&store, "app", &clock);
    let fresh = later
        .get_or_fetch(&["s"], &TokenRequestOptions::default(), || async {
            Ok(AccessToken::new("new", T0 + Duration::hours(2)))
        })
        .await
        .unwrap();
    assert_eq!(fresh.token.expose_secret(), "new");
    assert_eq!(stored(&store).await, "new", "the store was not updated");
}

#[tokio::test]
async fn stale_stored_token_is_refreshed_and_kept_when_the_refresh_fails() {
    let (clock, store, calls) = setup();
    get(&process(&store, "app", &clock), &calls, "old")
        .await
        .unwrap();
    // Past the refresh point (5 min before expiry), still valid.
    clock.set(T0 + Duration::minutes(57));
    let later = process(&store, "app", &clock);
    let kept = later
        .get_or_fetch(&["s"], &TokenRequestOptions::default(), || async {
            Err(CredentialError::unavailable("test", "down"))
        })
        .await
        .unwrap();
    assert_eq!(kept.token.expose_secret(), "old");
    let again = process(&store, "app", &clock);
    assert_eq!(get(&again, &calls, "refreshed").await.unwrap(), "refreshed");
}

#[tokio::test]
async fn requests_with_claims_bypass_the_store() {
    let (clock, store, calls) = setup();
    get(&process(&store, "app", &clock), &calls, "plain")
        .await
        .unwrap();
    let options = TokenRequestOptions::default().with_claims("{\"access_token\":{}}");
    let with_claims = process(&store, "app", &clock)
        .get_or_fetch(&["s"], &options, || async {
            Ok(AccessToken::new("claims", T0 + Duration::hours(1)))
        })
        .await
        .unwrap();
    assert_eq!(with_claims.token.expose_secret(), "claims");
    assert_eq!(stored(&store).await, "plain");
}

#[tokio::test]
async fn foreign_entry_is_treated_as_absent() {
    let (clock, store, calls) = setup();
    let key = partition("app").key(EntryKind::AccessToken, None, false, &["s"]);
    store.store(&key, Secret::new("not json")).await.unwrap();
    assert_eq!(
        get(&process(&store, "app", &clock), &calls, "t")
            .await
            .unwrap(),
        "t"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn keys_ignore_scope_order_and_separate_every_part() {
    let p = partition("app");
    let k = |kind, tenant, cae, scopes: &[&str]| p.key(kind, tenant, cae, scopes);
    let base = k(EntryKind::AccessToken, None, false, &["a", "b"]);
    assert_eq!(
        base,
        k(EntryKind::AccessToken, None, false, &["b", "a", "a"])
    );
    assert_ne!(base, k(EntryKind::RefreshToken, None, false, &["a", "b"]));
    assert_ne!(
        base,
        k(EntryKind::AccessToken, Some("t"), false, &["a", "b"])
    );
    assert_ne!(base, k(EntryKind::AccessToken, None, true, &["a", "b"]));
    let user = CachePartition {
        user: "alice".into(),
        ..partition("app")
    };
    assert_ne!(
        base,
        user.key(EntryKind::AccessToken, None, false, &["a", "b"])
    );
}

#[test]
fn stored_token_round_trips_and_hides_in_debug() {
    let token =
        AccessToken::new("secret-value", T0).with_refresh_on(Some(T0 - Duration::minutes(30)));
    let entry = encode_access_token(&token);
    assert!(!format!("{entry:?}").contains("secret-value"));
    assert_eq!(decode_access_token(&entry).unwrap(), token);
}

/// Tokens with any time `time` can hold, at any clock time, through the
/// cache with and without the persistent level: never a panic (no overflow
/// on `expires_on - margin`, `now + delay`), always a token for the call
/// that fetched it.
#[tokio::test]
async fn extreme_token_times_never_panic() {
    let min = time::PrimitiveDateTime::MIN.assume_utc();
    let max = time::PrimitiveDateTime::MAX.assume_utc();
    let times = [
        min,
        min + Duration::minutes(1),
        OffsetDateTime::UNIX_EPOCH,
        T0,
        T0 + Duration::seconds(10),
        max - Duration::minutes(1),
        max,
    ];
    for clock_at in [min, T0, max] {
        for expires_on in times {
            for refresh_on in [None, Some(min), Some(T0), Some(max)] {
                let clock = ManualClock::new(clock_at);
                let store = MemoryCacheStore::new();
                let plain = TokenCache::new(Arc::new(clock.clone())).with_jitter(|| 1.0);
                let layered = process(&store, "c", &clock);
                for cache in [plain, layered] {
                    let fetched = AccessToken::new("t", expires_on).with_refresh_on(refresh_on);
                    for _ in 0..2 {
                        let f = fetched.clone();
                        let got = cache
                            .get_or_fetch(&["s"], &TokenRequestOptions::default(), || async move {
                                Ok(f)
                            })
                            .await
                            .unwrap();
                        assert_eq!(got.expires_on, expires_on);
                    }
                    clock.advance(Duration::hours(1));
                }
            }
        }
    }
}

/// Extreme `expires_in` / `expires_on` / `refresh_in` values in an Entra
/// response: parsed into a token or refused with an error, and any token
/// goes through the cache without a panic.
#[tokio::test]
async fn extreme_entra_expiry_values_never_panic() {
    let values = [
        "0",
        "-1",
        "1",
        "9223372036854775807",
        "-9223372036854775808",
        "\"9223372036854775808\"",
        "\"-9223372036854775809\"",
        "1e308",
        "-1e308",
        "\"1e308\"",
        "1.7976931348623157e308",
        "\"NaN\"",
        "\"inf\"",
        "-377705116800",
        "253402300799",
        "253402300800",
        "\"\"",
        "null",
    ];
    let clock = ManualClock::new(T0);
    for field in ["expires_in", "expires_on", "refresh_in"] {
        for value in values {
            let body = format!(r#"{{"access_token":"t","expires_in":3600,"{field}":{value}}}"#);
            let body = body.replacen(r#""expires_in":3600,"expires_in""#, r#""expires_in""#, 1);
            let parsed =
                credential_core::__private::entra::parse_token_response("Test", 200, body.as_bytes(), T0);
            let Ok(token) = parsed else { continue };
            let cache = TokenCache::new(Arc::new(clock.clone()));
            let got = cache
                .get_or_fetch(&["s"], &TokenRequestOptions::default(), || async move {
                    Ok(token)
                })
                .await;
            assert!(got.is_ok(), "{body}: {got:?}");
        }
    }
}
