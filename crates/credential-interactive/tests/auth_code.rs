//! Authorization code obtained by the application: redeemed once with the
//! client secret, then refreshed; a used code is refused.

use credential_interactive::AuthorizationCodeCredential;
use keyvault_emulator::{InteractiveOptions, RunningEmulator};
use time::Duration;

use crate::common::*;

const REDIRECT: &str = "https://app.contoso.example/signin";

/// Signs the test user in at the emulator as the web app (no PKCE) and
/// returns the code from the redirect.
async fn code(emulator: &RunningEmulator) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .get(format!(
            "{}/{}/oauth2/v2.0/authorize",
            emulator.vault_url(),
            emulator.tenant_id()
        ))
        .query(&[
            ("client_id", emulator.client_id()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid offline_access"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

fn credential(
    emulator: &RunningEmulator,
    code: &str,
) -> (AuthorizationCodeCredential, credential_core::ManualClock) {
    credential_with(emulator, code, None)
}

/// A credential for `code`, with `cache` as its persistent token cache.
fn credential_with(
    emulator: &RunningEmulator,
    code: &str,
    cache: Option<&credential_core::PersistentTokenCache>,
) -> (AuthorizationCodeCredential, credential_core::ManualClock) {
    let (ctx, clock, _) = browser_context();
    let mut builder = AuthorizationCodeCredential::builder(
        emulator.tenant_id(),
        emulator.client_id(),
        code,
        REDIRECT,
    )
    .with_client_secret(emulator.client_secret())
    .with_authority_host(emulator.authority_host())
    .with_context(ctx);
    if let Some(cache) = cache {
        builder = builder.with_persistent_token_cache(cache.clone());
    }
    (builder.build().unwrap(), clock)
}

#[tokio::test]
async fn the_code_is_redeemed_once_then_the_refresh_token_is_used() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let code = code(&emulator).await;
    let (cred, clock) = credential(&emulator, &code);
    let first = token(&cred, VAULT).await.unwrap();
    let c = claims(first.token.expose_secret());
    assert_eq!(c["preferred_username"], emulator.test_user().username);
    assert_eq!(c["appid"], emulator.client_id());
    clock.advance(Duration::hours(2));
    token(&cred, VAULT).await.unwrap();
    token(&cred, STORAGE).await.unwrap();

    // The same code in a new credential: already redeemed.
    let (again, _) = credential(&emulator, &code);
    let err = token(&again, VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("invalid_grant"), "{err:?}");
}

#[tokio::test]
async fn a_clone_is_served_from_the_originals_cache() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let code = code(&emulator).await;
    let (original, _clock) = credential(&emulator, &code);
    let first = token(&original, VAULT).await.unwrap();
    // Any request now fails: the code is redeemed, the refresh token revoked.
    emulator.revoke_refresh_tokens();
    let clone = original.clone();
    drop(original);
    assert_eq!(token(&clone, VAULT).await.unwrap(), first);
    let err = token(&clone, STORAGE).await.unwrap_err();
    assert!(
        err.to_string().contains("obtain a new authorization code"),
        "{err}"
    );
}

#[tokio::test]
async fn without_a_usable_refresh_token_a_new_code_is_needed() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let code = code(&emulator).await;
    let (cred, clock) = credential(&emulator, &code);
    token(&cred, VAULT).await.unwrap();
    emulator.revoke_refresh_tokens();
    clock.advance(Duration::hours(2));
    let err = token(&cred, VAULT).await.unwrap_err();
    assert!(
        err.to_string().contains("obtain a new authorization code"),
        "{err}"
    );
}

#[test]
fn bad_inputs_are_configuration_errors() {
    for (code, redirect) in [(" ", REDIRECT), ("code", "not a url")] {
        let err = AuthorizationCodeCredential::builder("t", "c", code, redirect)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                credential_core::CredentialError::InvalidConfiguration { .. }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_new_instance_with_the_persistent_cache_refreshes_without_redeeming_its_code() {
    use credential_core::{CacheStore, PersistentTokenCache};

    let emulator = emulator(InteractiveOptions::default()).await;
    let store = credential_core::MemoryCacheStore::new();
    let cache = PersistentTokenCache::new("test", std::sync::Arc::new(store.clone()));
    let code = code(&emulator).await;
    let build = |code: &str| credential_with(&emulator, code, Some(&cache)).0;
    token(&build(&code), VAULT).await.unwrap();
    for key in store.keys() {
        let entry = store.load(&key).await.unwrap().unwrap();
        assert!(
            !entry.expose_secret().contains(emulator.client_secret()),
            "the client secret is never stored"
        );
    }
    // The code was used: redeeming it again would be refused.
    let token = token(&build(&code), STORAGE).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["aud"],
        "https://storage.azure.com"
    );
}
