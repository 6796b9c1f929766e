//! Silent refresh after a browser sign-in (against the emulator, whose
//! refresh tokens rotate: each works once): expiry, other scopes, a revoked
//! refresh token with and without automatic prompting.

use std::sync::Arc;

use credential_interactive::InteractiveBrowserCredential;
use keyvault_emulator::{InteractiveOptions, RunningEmulator};
use time::Duration;

use crate::common::*;

fn credential(
    emulator: &RunningEmulator,
    automatic: bool,
) -> (
    InteractiveBrowserCredential,
    credential_core::ManualClock,
    Arc<Browser>,
) {
    let (ctx, clock, browser) = browser_context();
    let cred = InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_automatic_authentication(automatic)
        .build()
        .unwrap();
    (cred, clock, browser)
}

#[tokio::test]
async fn tokens_after_expiry_and_for_other_scopes_come_without_a_prompt() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (cred, clock, browser) = credential(&emulator, true);
    let first = token(&cred, VAULT).await.unwrap();
    for _ in 0..3 {
        clock.advance(Duration::hours(2));
        let again = token(&cred, VAULT).await.unwrap();
        assert_ne!(again.token.expose_secret(), first.token.expose_secret());
    }
    let storage = token(&cred, STORAGE).await.unwrap();
    assert_eq!(
        claims(storage.token.expose_secret())["aud"],
        "https://storage.azure.com"
    );
    assert_eq!(
        browser.count(),
        1,
        "one sign-in; every later token came from the (rotated) refresh token"
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_to_sign_in_again_when_prompting_is_off() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (cred, clock, browser) = credential(&emulator, false);
    let err = token(&cred, VAULT).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(
        err.to_string()
            .contains("call InteractiveBrowserCredential::authenticate"),
        "{err}"
    );
    assert_eq!(browser.count(), 0);

    let record = cred.authenticate(&[VAULT]).await.unwrap();
    assert_eq!(record.username, emulator.test_user().username);
    token(&cred, VAULT).await.unwrap();
    assert!(emulator.revoke_refresh_tokens() >= 1);
    clock.advance(Duration::hours(2));
    let err = token(&cred, VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("invalid_grant"), "{err:?}");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(browser.count(), 1, "no new prompt");
}

#[tokio::test]
async fn a_revoked_refresh_token_prompts_again_when_allowed() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let (cred, clock, browser) = credential(&emulator, true);
    token(&cred, VAULT).await.unwrap();
    emulator.revoke_refresh_tokens();
    clock.advance(Duration::hours(2));
    token(&cred, VAULT).await.unwrap();
    assert_eq!(browser.count(), 2);
}
