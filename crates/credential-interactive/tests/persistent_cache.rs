//! A persistent token cache shared by credential instances (as by
//! processes): a new instance signs in silently from the stored refresh
//! token, another client id sees nothing, rotated refresh tokens are written
//! back. Against the emulator, whose refresh tokens work once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use credential_core::{CacheStore, CacheStoreError, PersistentTokenCache};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{LoopbackOnlyHttpClient, ManualClock, MemoryCacheStore, Secret, async_trait};
use credential_interactive::{DeviceCodeCredential, InteractiveBrowserCredential};
use keyvault_emulator::{InteractiveOptions, RunningEmulator};
use time::Duration;

use crate::common::*;

/// Loopback HTTP that records each request's URL path and form body.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<(String, String)>>,
}

impl Recorder {
    /// The (path, body) of each request sent.
    fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.sent().into_iter().map(|(p, _)| p).collect()
    }
}

#[async_trait]
impl HttpClient for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = request
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.sent
            .lock()
            .unwrap()
            .push((request.url.path().to_owned(), body));
        LoopbackOnlyHttpClient::real().send(request).await
    }
}

struct Instance {
    cred: DeviceCodeCredential,
    prompts: Arc<AtomicUsize>,
    http: Arc<Recorder>,
    clock: ManualClock,
}

fn device_code(
    emulator: &RunningEmulator,
    cache: &PersistentTokenCache,
    client_id: Option<&str>,
    automatic: bool,
) -> Instance {
    let (ctx, clock, _) = browser_context();
    let http = Arc::new(Recorder::default());
    let prompts = Arc::new(AtomicUsize::new(0));
    let counter = prompts.clone();
    let mut builder = DeviceCodeCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx.with_http(http.clone()))
        .with_persistent_token_cache(cache.clone())
        .with_automatic_authentication(automatic)
        .with_prompt_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    if let Some(client_id) = client_id {
        builder = builder.with_client_id(client_id);
    }
    Instance {
        cred: builder.build().unwrap(),
        prompts,
        http,
        clock,
    }
}

fn cache() -> (MemoryCacheStore, PersistentTokenCache) {
    let store = MemoryCacheStore::new();
    let cache = PersistentTokenCache::new("test", Arc::new(store.clone()));
    (store, cache)
}

async fn stored_refresh_token(store: &MemoryCacheStore) -> Secret {
    let keys: Vec<String> = store
        .keys()
        .into_iter()
        .filter(|k| k.contains("\"refresh_token\""))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    store.load(&keys[0]).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_new_instance_signs_in_silently_from_the_stored_refresh_token() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (store, cache) = cache();
    let first = device_code(&emulator, &cache, None, true);
    token(&first.cred, VAULT).await.unwrap();
    assert_eq!(first.prompts.load(Ordering::SeqCst), 1);
    let keys = store.keys();
    assert_eq!(
        keys.len(),
        3,
        "the account's record and refresh token, and the last account: {keys:?}"
    );
    assert!(keys.iter().all(|k| !k.contains("access_token")), "{keys:?}");

    let second = device_code(&emulator, &cache, None, true);
    let token = token(&second.cred, STORAGE).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["preferred_username"],
        emulator.test_user().username
    );
    assert_eq!(second.prompts.load(Ordering::SeqCst), 0, "no prompt");
    let paths = second.http.paths();
    assert!(
        paths.iter().all(|p| !p.ends_with("devicecode")),
        "the device code endpoint is never called: {paths:?}"
    );
    let bodies: Vec<String> = second.http.sent().into_iter().map(|(_, b)| b).collect();
    assert_eq!(bodies.len(), 1, "{paths:?}");
    assert!(
        bodies[0].contains("grant_type=refresh_token"),
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn a_different_client_id_does_not_see_the_entry() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (store, cache) = cache();
    let first = device_code(&emulator, &cache, None, true);
    token(&first.cred, VAULT).await.unwrap();
    assert!(!store.keys().is_empty());

    let other = device_code(
        &emulator,
        &cache,
        Some("11111111-2222-3333-4444-555555555555"),
        false,
    );
    let err = token(&other.cred, VAULT).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(other.http.paths().is_empty(), "no refresh was attempted");
    assert_eq!(other.prompts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_written_back() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (store, cache) = cache();
    let first = device_code(&emulator, &cache, None, true);
    token(&first.cred, VAULT).await.unwrap();
    let signed_in = stored_refresh_token(&store).await;

    let second = device_code(&emulator, &cache, None, false);
    token(&second.cred, VAULT).await.unwrap();
    let rotated = stored_refresh_token(&store).await;
    assert_ne!(
        rotated.expose_secret(),
        signed_in.expose_secret(),
        "the rotated refresh token replaced the used one"
    );

    // The first instance still holds the used (now dead) refresh token in
    // memory: it takes the stored, rotated one and needs no prompt.
    first.clock.advance(Duration::hours(2));
    token(&first.cred, VAULT).await.unwrap();
    assert_eq!(first.prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_ne!(
        stored_refresh_token(&store).await.expose_secret(),
        rotated.expose_secret()
    );
}

#[tokio::test]
async fn a_browser_credential_given_the_record_signs_in_silently() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (_store, cache) = cache();
    let (ctx, _clock, browser) = browser_context();
    let first = InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_persistent_token_cache(cache.clone())
        .build()
        .unwrap();
    let record = first.authenticate(&[VAULT]).await.unwrap();
    assert_eq!(browser.count(), 1);

    let (ctx, _clock, browser) = browser_context();
    let second = InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_persistent_token_cache(cache)
        .with_authentication_record(record)
        .with_automatic_authentication(false)
        .build()
        .unwrap();
    let token = token(&second, VAULT).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["preferred_username"],
        emulator.test_user().username
    );
    assert_eq!(browser.count(), 0, "no browser opened");
}

/// A store whose every operation fails.
#[derive(Debug)]
struct Broken;

#[async_trait]
impl CacheStore for Broken {
    async fn load(&self, _: &str) -> Result<Option<Secret>, CacheStoreError> {
        Err(broken())
    }
    async fn store(&self, _: &str, _: Secret) -> Result<(), CacheStoreError> {
        Err(broken())
    }
    async fn remove(&self, _: &str) -> Result<(), CacheStoreError> {
        Err(broken())
    }
}

fn broken() -> CacheStoreError {
    CacheStoreError::Unavailable {
        message: "broken on purpose".to_owned(),
    }
}

#[tokio::test]
async fn a_failing_store_never_fails_the_request() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let cache = PersistentTokenCache::new("broken", Arc::new(Broken));
    let instance = device_code(&emulator, &cache, None, true);
    token(&instance.cred, VAULT).await.unwrap();
    instance.clock.advance(Duration::hours(2));
    token(&instance.cred, VAULT).await.unwrap();
    assert_eq!(
        instance.prompts.load(Ordering::SeqCst),
        1,
        "the refresh token in memory still works"
    );
}
