//! Test helpers: a client for the embedded emulator, and a mockito vault.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use credential_core::{AccessToken, LoopbackOnlyHttpClient, token_credential_fn};
use keyvault_emulator::RunningEmulator;
use keyvault_secrets::{RetryPolicy, SecretClient};

/// A client for the emulator, without retries.
pub fn emulator_client(emulator: &RunningEmulator) -> SecretClient {
    SecretClient::builder(emulator.vault_url(), emulator.client_secret_credential())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

const LOCAL_CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://127.0.0.1""#;

/// A mockito server that challenges unauthenticated requests, and a client
/// for it with a fixed token and no retries.
pub async fn mock_vault() -> (mockito::ServerGuard, SecretClient) {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", mockito::Matcher::Any)
        .match_header("authorization", mockito::Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", LOCAL_CHALLENGE)
        .create_async()
        .await;
    let credential = token_credential_fn("TestCredential", |_, _| async {
        Ok(AccessToken::new(
            "test-token",
            time::macros::datetime!(2100-01-01 0:00 UTC),
        ))
    });
    let client = SecretClient::builder(server.url(), credential)
        .with_retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}
