//! Test helpers: a credential that asks the emulator's token endpoint with
//! the client secret, and a `SecretClient` with fast polls and retries.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use credential_core::{
    AccessToken, Clock, CredentialError, FnCredential, LoopbackOnlyHttpClient, SystemClock,
    token_credential_fn,
};
use keyvault_emulator::RunningEmulator;
use keyvault_secrets::{RetryPolicy, SecretClient};

/// A credential posting `grant_type=client_credentials` with the secret to
/// `token_endpoint`; counts its calls.
pub fn secret_credential(
    http: reqwest::Client,
    token_endpoint: String,
    client_id: String,
    client_secret: String,
    calls: Arc<AtomicUsize>,
) -> FnCredential {
    token_credential_fn("EmulatorSecretCredential", move |scopes, _options| {
        let http = http.clone();
        let endpoint = token_endpoint.clone();
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &client_id)
            .append_pair("client_secret", &client_secret)
            .append_pair("scope", &scopes.join(" "))
            .finish();
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let response = http
                .post(endpoint)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    CredentialError::unavailable("EmulatorSecretCredential", e.to_string())
                })?;
            let status = response.status();
            let bytes = response.bytes().await.unwrap();
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            if status != 200 {
                return Err(CredentialError::unexpected_response(
                    "EmulatorSecretCredential",
                    Some(status),
                    json.to_string(),
                ));
            }
            let expires_in = json["expires_in"].as_i64().unwrap();
            Ok(AccessToken::new(
                json["access_token"].as_str().unwrap().to_owned(),
                SystemClock.now() + time::Duration::seconds(expires_in),
            ))
        }
    })
}

/// A credential for `emulator`'s first client.
pub fn credential_for(emulator: &RunningEmulator, calls: Arc<AtomicUsize>) -> FnCredential {
    secret_credential(
        reqwest::Client::new(),
        emulator.token_endpoint(),
        emulator.client_id().to_owned(),
        emulator.client_secret().to_owned(),
        calls,
    )
}

/// A short retry policy for tests.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(3)
        .with_initial_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(50))
}

/// A `SecretClient` for `emulator` over loopback HTTP.
pub fn client_for(emulator: &RunningEmulator) -> SecretClient {
    SecretClient::builder(
        emulator.vault_url(),
        credential_for(emulator, Arc::default()),
    )
    .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
    .with_retry_policy(fast_retries())
    .with_poll_interval(Duration::from_millis(20))
    .build()
    .unwrap()
}

/// `path` on the emulator with `api-version=2025-07-01`.
pub fn url(emulator: &RunningEmulator, path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{}{path}{sep}api-version=2025-07-01", emulator.vault_url())
}

/// A token for the vault from the token endpoint.
pub async fn token(emulator: &RunningEmulator) -> String {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", emulator.client_id())
        .append_pair("client_secret", emulator.client_secret())
        .append_pair("scope", &format!("{}/.default", emulator.vault_url()))
        .finish();
    let r = reqwest::Client::new()
        .post(emulator.token_endpoint())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let json: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    json["access_token"].as_str().unwrap().to_owned()
}

/// Sends a request and returns status, headers and JSON body (Null if empty).
pub async fn send(
    request: reqwest::RequestBuilder,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, json)
}
