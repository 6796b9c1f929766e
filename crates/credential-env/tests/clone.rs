//! Every credential is cheap to clone, and a clone shares the token cache:
//! a clone's first `get_token` is served from the original's cache.

use crate::common;

use common::*;
use credential_core::{Env, Fs, Secret, TokenCredential};
use credential_env::{
    ClientAssertionCredential, ClientSecretCredential, EnvironmentCredential,
    WorkloadIdentityCredential,
};

/// Gets a token from `original`, then from a clone: one request in all.
async fn assert_clone_shares_cache<C: TokenCredential + Clone>(original: C, mock: mockito::Mock) {
    let first = fetch_token(&original).await;
    let clone = original.clone();
    drop(original);
    let second = fetch_token(&clone).await;
    assert_eq!(first, second);
    mock.assert_async().await;
}

async fn server_and_mock() -> (mockito::ServerGuard, mockito::Mock) {
    let mut server = mockito::Server::new_async().await;
    let (mock, _recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    (server, mock.expect(1))
}

#[tokio::test]
async fn client_secret_clone_shares_cache() {
    let (server, mock) = server_and_mock().await;
    let (ctx, _clock) = context(Env::empty());
    let credential = ClientSecretCredential::builder(TENANT, CLIENT_ID, "s")
        .with_authority_host(server.url())
        .with_context(ctx)
        .build()
        .unwrap();
    assert_clone_shares_cache(credential, mock).await;
}

#[tokio::test]
async fn client_assertion_clone_shares_cache() {
    let (server, mock) = server_and_mock().await;
    let (ctx, _clock) = context(Env::empty());
    let credential =
        ClientAssertionCredential::builder(TENANT, CLIENT_ID, || async { Ok(Secret::new("a")) })
            .with_authority_host(server.url())
            .with_context(ctx)
            .build()
            .unwrap();
    assert_clone_shares_cache(credential, mock).await;
}

#[tokio::test]
async fn environment_clone_shares_cache() {
    let (server, mock) = server_and_mock().await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", "s"),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
    ]));
    let credential = EnvironmentCredential::from_context(ctx).unwrap();
    assert_clone_shares_cache(credential, mock).await;
}

#[tokio::test]
async fn workload_identity_clone_shares_cache() {
    let (server, mock) = server_and_mock().await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", "/t"),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
    ]));
    let ctx = ctx.with_fs(Fs::from_files([("/t", "jwt")]));
    let credential = WorkloadIdentityCredential::from_context(ctx).unwrap();
    assert_clone_shares_cache(credential, mock).await;
}
