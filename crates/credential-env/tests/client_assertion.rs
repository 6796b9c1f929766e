//! ClientAssertionCredential: the callback's assertion on the wire.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use credential_core::{CredentialError, Env, Secret, TokenCredential, TokenRequestOptions};
use credential_env::ClientAssertionCredential;

fn counting_credential(
    server: &mockito::ServerGuard,
    tenants: &[&str],
) -> (ClientAssertionCredential, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let (ctx, _clock) = context(Env::empty());
    let cred = ClientAssertionCredential::builder(TENANT, CLIENT_ID, move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok(Secret::new(format!("assertion-{n}"))) }
    })
    .with_authority_host(server.url())
    .with_additionally_allowed_tenants(tenants.iter().copied())
    .with_context(ctx)
    .build()
    .unwrap();
    (cred, calls)
}

#[tokio::test]
async fn sends_the_callbacks_assertion() {
    let mut server = mockito::Server::new_async().await;
    let (mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (cred, calls) = counting_credential(&server, &[]);
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok");
    mock.assert_async().await;
    assert_assertion_post(&recorder.last(), "assertion-1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cached_tokens_do_not_call_the_callback() {
    let mut server = mockito::Server::new_async().await;
    let (_m, own) = token_mock(&mut server, TOKEN_PATH, "a").await;
    let (_m2, other) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "b").await;
    let (cred, calls) = counting_credential(&server, &["fabrikam"]);
    let none = TokenRequestOptions::default();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    assert_eq!((own.count(), calls.load(Ordering::SeqCst)), (1, 1));
    cred.get_token(&["other/.default"], &none).await.unwrap();
    assert_eq!(own.last().form["client_assertion"], "assertion-2");
    let fabrikam = for_tenant("fabrikam");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(other.count(), 1);
    assert_eq!(other.last().form["client_assertion"], "assertion-3");
}

#[tokio::test]
async fn tenant_not_allowed_is_refused_before_the_callback() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "a").await;
    let (cred, calls) = counting_credential(&server, &[]);
    let other = for_tenant("other");
    let err = cred.get_token(&[SCOPE], &other).await.unwrap_err();
    assert_authentication(&err, "ClientAssertionCredential");
    assert_eq!((recorder.count(), calls.load(Ordering::SeqCst)), (0, 0));
}

#[tokio::test]
async fn callback_errors_pass_through_and_blank_assertions_are_refused() {
    let (ctx, _clock) = context(Env::empty());
    let cred = ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async {
        Err(CredentialError::unavailable(
            "MyAssertionSource",
            "no assertion today",
        ))
    })
    .with_context(ctx.clone())
    .build()
    .unwrap();
    let err = fetch_error(&cred).await;
    assert!(err.to_string().contains("no assertion today"), "{err}");

    let cred =
        ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async { Ok(Secret::new("  ")) })
            .with_context(ctx)
            .build()
            .unwrap();
    let err = fetch_error(&cred).await;
    assert_invalid_configuration(&err, "ClientAssertionCredential");
}

#[tokio::test]
async fn entra_error_keeps_code_and_hides_assertion() {
    let (server, _m) = entra_error_server(
        400,
        r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.","error_codes":[700027]}"#,
    )
    .await;
    let (cred, _calls) = counting_credential(&server, &[]);
    let err = fetch_error(&cred).await;
    let CredentialError::Authentication { error_code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error_code.as_deref(), Some("AADSTS700027"));
    assert!(!format!("{err} {err:?}").contains("assertion-1"));
}

#[test]
fn bad_configuration_is_refused() {
    let err = ClientAssertionCredential::builder("", CLIENT_ID, || async { Ok(Secret::new("a")) })
        .with_context(credential_core::ProviderContext::isolated())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("tenant id is blank"), "{err}");
    let err =
        ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async { Ok(Secret::new("a")) })
            .with_authority_host("http://login.example.com")
            .with_context(credential_core::ProviderContext::isolated())
            .build()
            .unwrap_err();
    assert_invalid_configuration(&err, "ClientAssertionCredential");
}

#[test]
fn debug_never_shows_the_assertion() {
    let cred = ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async {
        Ok(Secret::new("the-assertion"))
    })
    .with_context(credential_core::ProviderContext::isolated())
    .build()
    .unwrap();
    let debug = format!("{cred:?}");
    assert!(debug.contains("ClientAssertionCredential") && !debug.contains("the-assertion"));
}
