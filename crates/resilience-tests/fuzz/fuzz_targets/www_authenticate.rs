//! The `WWW-Authenticate` challenge parser (private to keyvault-secrets),
//! through `SecretClient` over a scripted transport: a 401 with the fuzzed
//! header, then a secret. A token may go only to the vault.
#![no_main]
use std::sync::Arc;

use credential_core::test_util::ScriptedHttpClient;
use credential_core::{AccessToken, token_credential_fn};
use keyvault_secrets::{GetSecretOptions, RetryPolicy, SecretClient};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let http = ScriptedHttpClient::new();
    http.push_response(401, &[("www-authenticate", header)], "");
    http.push_response(200, &[], r#"{"value":"v","id":"https://myvault.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef"}"#);
    let credential = token_credential_fn("Fuzz", |_s, _o| async {
        Ok(AccessToken::new(
            "tok",
            time::OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
        ))
    });
    let client = SecretClient::builder("https://myvault.vault.azure.net", credential)
        .retry_policy(RetryPolicy::none())
        .transport(Arc::new(http.clone()))
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _ = runtime.block_on(client.get_secret("s", GetSecretOptions::default()));
    for request in http.requests() {
        assert_eq!(request.url.host_str(), Some("myvault.vault.azure.net"));
    }
});
