//! A `SecretClient` for the vault `https://myvault.vault.azure.net` over a
//! scripted transport, with no retries and a credential that always hands
//! out a token; and the runtime to drive it. Shared by the targets that
//! reach a parser through `SecretClient`.
use std::sync::Arc;

use credential_core::test_util::ScriptedHttpClient;
use credential_core::{AccessToken, token_credential_fn};
use keyvault_secrets::{RetryPolicy, SecretClient};

pub const VAULT: &str = "https://myvault.vault.azure.net";

pub fn client_over(http: &ScriptedHttpClient) -> SecretClient {
    let credential = token_credential_fn("Fuzz", |_s, _o| async {
        Ok(AccessToken::new(
            "tok",
            time::OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
        ))
    });
    SecretClient::builder(VAULT, credential)
        .with_retry_policy(RetryPolicy::none())
        .with_http_client(Arc::new(http.clone()))
        .build()
        .unwrap()
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}
