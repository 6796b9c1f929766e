//! WorkloadIdentityCredential: configuration, the token file, the request.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;

use common::*;
use credential_core::{CredentialError, Env, Fs, TokenCredential, TokenRequestOptions};
use credential_env::WorkloadIdentityCredential;
use time::Duration;

const FILE: &str = "/var/run/secrets/azure/tokens/azure-identity-token";

fn env(server: &mockito::ServerGuard) -> Env {
    Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", FILE),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
    ])
}

#[tokio::test]
async fn from_context_sends_trimmed_file_as_assertion() {
    let mut server = mockito::Server::new_async().await;
    let (mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (ctx, _clock) = context(env(&server));
    let ctx = ctx.with_fs(Fs::from_files([(FILE, "\n  federated-jwt  \n")]));
    let cred = WorkloadIdentityCredential::from_context(ctx).unwrap();
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok");
    mock.assert_async().await;
    assert_assertion_post(&recorder.last(), "federated-jwt");
}

#[tokio::test]
async fn options_win_over_environment() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "tok").await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", "ignored"),
        ("AZURE_CLIENT_ID", "ignored"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/ignored"),
    ]));
    let ctx = ctx.with_fs(Fs::from_files([("/opt/token", "from-option")]));
    let cred = WorkloadIdentityCredential::builder()
        .with_tenant_id("fabrikam")
        .with_client_id("option-client")
        .with_token_file_path("/opt/token")
        .with_authority_host(server.url())
        .with_context(ctx)
        .build()
        .unwrap();
    fetch_token(&cred).await;
    let form = recorder.last().form;
    assert_eq!(form["client_id"], "option-client");
    assert_eq!(form["client_assertion"], "from-option");
}

#[tokio::test]
async fn file_is_reread_only_when_older_than_five_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "first").unwrap();
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (ctx, clock) = context(Env::empty());
    let cred = WorkloadIdentityCredential::builder()
        .with_tenant_id(TENANT)
        .with_client_id(CLIENT_ID)
        .with_token_file_path(&path)
        .with_authority_host(server.url())
        .with_context(ctx.with_fs(Fs::real()))
        .build()
        .unwrap();
    let none = TokenRequestOptions::default();
    let last_assertion = || recorder.last().form["client_assertion"].clone();
    cred.get_token(&["a/.default"], &none).await.unwrap();
    std::fs::write(&path, "second").unwrap();
    clock.advance(Duration::minutes(4));
    cred.get_token(&["b/.default"], &none).await.unwrap();
    assert_eq!(last_assertion(), "first", "read < 5 min ago");
    clock.advance(Duration::minutes(1));
    cred.get_token(&["c/.default"], &none).await.unwrap();
    assert_eq!(last_assertion(), "second", "re-read at 5 min");
    // A cached token sends nothing and reads nothing.
    std::fs::remove_file(&path).unwrap();
    cred.get_token(&["c/.default"], &none).await.unwrap();
    assert_eq!(recorder.count(), 3);
}

#[tokio::test]
async fn unreadable_or_empty_file_is_invalid_configuration() {
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", "/missing"),
    ]));
    let cred = WorkloadIdentityCredential::from_context(ctx.clone()).unwrap();
    let err = fetch_error(&cred).await;
    assert_invalid_configuration(&err, "WorkloadIdentityCredential");
    assert!(err.to_string().contains("/missing"), "{err}");

    for content in ["", " \n\t"] {
        let cred = WorkloadIdentityCredential::builder()
            .with_token_file_path("/empty")
            .with_context(ctx.clone().with_fs(Fs::from_files([("/empty", content)])))
            .build()
            .unwrap();
        let err = fetch_error(&cred).await;
        assert!(err.to_string().contains("is empty"), "{err:?}: {content:?}");
    }
}

#[test]
fn missing_configuration_names_exactly_what_is_missing() {
    let build = |pairs: &[(&str, &str)]| {
        WorkloadIdentityCredential::from_context(
            credential_core::ProviderContext::isolated()
                .with_env(Env::from_pairs(pairs.iter().copied())),
        )
        .unwrap_err()
    };
    let err = build(&[]);
    assert!(err.is_unavailable(), "{err:?}");
    let text = err.to_string();
    for name in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
    ] {
        assert!(text.contains(name), "{text}");
    }
    let text = build(&[("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", " ")]).to_string();
    assert!(
        text.contains("AZURE_CLIENT_ID")
            && text.contains("AZURE_FEDERATED_TOKEN_FILE")
            && !text.contains("AZURE_TENANT_ID"),
        "{text}"
    );
    let text = build(&[
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", FILE),
    ])
    .to_string();
    assert!(
        text.contains("AZURE_TENANT_ID")
            && !text.contains("AZURE_CLIENT_ID")
            && !text.contains("AZURE_FEDERATED_TOKEN_FILE"),
        "{text}"
    );
}

#[test]
fn bad_tenant_and_http_authority_are_refused() {
    let base = [
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", FILE),
    ];
    let ctx = |extra: &[(&'static str, &'static str)]| {
        credential_core::ProviderContext::isolated()
            .with_env(Env::from_pairs(base.iter().chain(extra).copied()))
    };
    let err =
        WorkloadIdentityCredential::from_context(ctx(&[("AZURE_TENANT_ID", "a b")])).unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    let err = WorkloadIdentityCredential::from_context(ctx(&[
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
async fn allowed_tenants_come_from_environment() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "tok").await;
    let env = env(&server).with_var("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "x;fabrikam");
    let (ctx, _clock) = context(env.clone());
    let cred = WorkloadIdentityCredential::from_context(ctx.with_fs(Fs::from_files([(FILE, "t")])))
        .unwrap();
    let fabrikam = for_tenant("fabrikam");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(recorder.count(), 1);
    let other = for_tenant("other");
    let err = cred.get_token(&[SCOPE], &other).await.unwrap_err();
    assert!(
        matches!(err, CredentialError::Authentication { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn debug_never_shows_the_federated_token() {
    let mut server = mockito::Server::new_async().await;
    let (_m, _r) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (ctx, _clock) = context(env(&server));
    let cred = WorkloadIdentityCredential::from_context(
        ctx.with_fs(Fs::from_files([(FILE, "federated-secret-jwt")])),
    )
    .unwrap();
    fetch_token(&cred).await;
    let debug = format!("{cred:?}");
    assert!(
        debug.contains(FILE) && !debug.contains("federated-secret-jwt"),
        "{debug}"
    );
    assert!(Path::new(FILE).is_absolute());
}
