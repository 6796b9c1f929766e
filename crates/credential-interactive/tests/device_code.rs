//! Device code against the emulator: pending then success, declined,
//! expired, cancelled, approved through the admin endpoint.

use std::sync::{Arc, Mutex};

use credential_core::CredentialError;
use credential_interactive::{Cancellation, DeviceCodeCredential, DeviceCodeInfo};
use keyvault_emulator::{Approval, InteractiveOptions, RunningEmulator};

use crate::common::*;

fn credential(
    emulator: &RunningEmulator,
    on_prompt: impl Fn(&DeviceCodeInfo) + Send + Sync + 'static,
) -> DeviceCodeCredential {
    let (ctx, _clock, _) = browser_context();
    DeviceCodeCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_prompt_callback(on_prompt)
        .build()
        .unwrap()
}

#[tokio::test]
async fn pending_polls_then_success_names_the_user() {
    let emulator = emulator(InteractiveOptions::default().approval(Approval::AfterPolls(2))).await;
    let shown = Arc::new(Mutex::new(Vec::new()));
    let sink = shown.clone();
    let cred = credential(&emulator, move |info| {
        sink.lock().unwrap().push(info.clone())
    });
    let token = token(&cred, VAULT).await.unwrap();
    let claims = claims(token.token.expose_secret());
    assert_eq!(claims["preferred_username"], emulator.test_user().username);
    assert_eq!(claims["aud"], "https://vault.azure.net");
    let shown = shown.lock().unwrap();
    assert_eq!(shown.len(), 1, "the user is prompted once");
    assert!(
        shown[0].message.contains(&shown[0].user_code),
        "{:?}",
        shown[0]
    );
    assert!(shown[0].verification_uri.ends_with("/devicelogin"));
}

#[tokio::test]
async fn declined_is_a_clear_error() {
    let emulator =
        Arc::new(emulator(InteractiveOptions::default().approval(Approval::Manual)).await);
    let handle = emulator.clone();
    let cred = credential(&emulator, move |info| {
        assert!(handle.decline_device_code(&info.user_code));
    });
    let err = token(&cred, VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("authorization_declined"), "{err:?}");
    assert!(
        err.to_string().contains("the user declined the sign-in"),
        "{err}"
    );
}

#[tokio::test]
async fn expired_code_is_a_clear_error() {
    let emulator = emulator(InteractiveOptions::default().device_code_lifetime(0)).await;
    let cred = credential(&emulator, |_| {});
    let err = token(&cred, VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("expired_token"), "{err:?}");
    assert!(
        err.to_string()
            .contains("expired before the user signed in"),
        "{err}"
    );
}

#[tokio::test]
async fn cancellation_stops_the_wait() {
    let emulator = emulator(InteractiveOptions::default().approval(Approval::Manual)).await;
    let cancel = Cancellation::new();
    let trigger = cancel.clone();
    let (ctx, _clock, _) = browser_context();
    let cred = DeviceCodeCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_cancellation(cancel)
        .with_prompt_callback(move |_| trigger.cancel())
        .build()
        .unwrap();
    let err = token(&cred, VAULT).await.unwrap_err();
    assert!(
        matches!(err, CredentialError::Authentication { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("cancelled"), "{err}");
}

#[tokio::test]
async fn admin_endpoint_approves_a_waiting_sign_in() {
    let emulator = emulator(InteractiveOptions::default().approval(Approval::Manual)).await;
    let admin = format!("{}/admin/devicecode/approve", emulator.vault_url());
    let cred = credential(&emulator, move |info| {
        let admin = admin.clone();
        let body = format!("user_code={}", info.user_code);
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(admin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        });
    });
    let token = token(&cred, VAULT).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["oid"],
        emulator.test_user().object_id
    );
}

#[tokio::test]
async fn authenticate_returns_a_record_that_round_trips_as_json() {
    let emulator = emulator(InteractiveOptions::default().approval(Approval::AfterPolls(0))).await;
    let cred = credential(&emulator, |_| {});
    let record = cred.authenticate(&[]).await.unwrap();
    assert_eq!(record.username, emulator.test_user().username);
    assert_eq!(record.tenant_id, emulator.tenant_id());
    assert_eq!(record.client_id, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
    assert_eq!(
        record.home_account_id,
        format!(
            "{}.{}",
            emulator.test_user().object_id,
            emulator.tenant_id()
        )
    );
    let json = record.to_json();
    assert!(
        json.contains("\"homeAccountId\"") && json.contains("\"version\":\"1.0\""),
        "{json}"
    );
    assert_eq!(
        credential_interactive::AuthenticationRecord::from_json(&json).unwrap(),
        record
    );
    // After authenticate, get_token is silent (the refresh token).
    let token = token(&cred, VAULT).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["aud"],
        "https://vault.azure.net"
    );
}
