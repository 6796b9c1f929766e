//! ClientAssertionCredential: the callback's assertion on the wire.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use credential_core::{CredentialError, Env, Secret, TokenCredential, TokenRequestOptions};
use credential_env::ClientAssertionCredential;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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
    let (mock, recorder) = token_mock(&mut server, "/contoso/oauth2/v2.0/token", "tok").await;
    let (cred, calls) = counting_credential(&server, &[]);
    let token = cred
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "tok");
    mock.assert_async().await;
    let request = recorder.last();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/contoso/oauth2/v2.0/token");
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let expected: std::collections::BTreeMap<String, String> = [
        ("client_assertion", "assertion-1"),
        ("client_assertion_type", JWT_BEARER),
        ("client_id", CLIENT_ID),
        ("grant_type", "client_credentials"),
        ("scope", SCOPE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(request.form, expected);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cached_tokens_do_not_call_the_callback() {
    let mut server = mockito::Server::new_async().await;
    let (_m, own) = token_mock(&mut server, "/contoso/oauth2/v2.0/token", "a").await;
    let (_m2, other) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "b").await;
    let (cred, calls) = counting_credential(&server, &["fabrikam"]);
    let none = TokenRequestOptions::default();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    assert_eq!((own.count(), calls.load(Ordering::SeqCst)), (1, 1));
    cred.get_token(&["other/.default"], &none).await.unwrap();
    assert_eq!(own.last().form["client_assertion"], "assertion-2");
    let fabrikam = TokenRequestOptions::default().with_tenant_id("fabrikam");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(other.count(), 1);
    assert_eq!(other.last().form["client_assertion"], "assertion-3");
}

#[tokio::test]
async fn tenant_not_allowed_is_refused_before_the_callback() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, "/contoso/oauth2/v2.0/token", "a").await;
    let (cred, calls) = counting_credential(&server, &[]);
    let err = cred
        .get_token(
            &[SCOPE],
            &TokenRequestOptions::default().with_tenant_id("other"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialError::Authentication {
                credential: "ClientAssertionCredential",
                ..
            }
        ),
        "{err:?}"
    );
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
    let err = cred
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no assertion today"), "{err}");

    let cred =
        ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async { Ok(Secret::new("  ")) })
            .with_context(ctx)
            .build()
            .unwrap();
    let err = cred
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialError::InvalidConfiguration {
                credential: "ClientAssertionCredential",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn entra_error_keeps_code_and_hides_assertion() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .with_status(400)
        .with_body(r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.","error_codes":[700027]}"#)
        .create_async()
        .await;
    let (cred, _calls) = counting_credential(&server, &[]);
    let err = cred
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
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
    assert!(
        matches!(
            err,
            CredentialError::InvalidConfiguration {
                credential: "ClientAssertionCredential",
                ..
            }
        ),
        "{err:?}"
    );
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
