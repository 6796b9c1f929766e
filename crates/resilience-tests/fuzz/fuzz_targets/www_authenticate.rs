//! The `WWW-Authenticate` challenge parser (private to keyvault-secrets),
//! through `SecretClient` over a scripted transport: a 401 with the fuzzed
//! header, then a secret. A token may go only to the vault.
#![no_main]
use credential_core::test_util::ScriptedHttpClient;
use libfuzzer_sys::fuzz_target;

#[path = "common/vault.rs"]
mod vault;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let http = ScriptedHttpClient::new();
    http.push_response(401, &[("www-authenticate", header)], "");
    http.push_response(200, &[], r#"{"value":"v","id":"https://myvault.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef"}"#);
    let client = vault::client_over(&http);
    let runtime = vault::runtime();
    let _ = runtime.block_on(client.get_secret("s").into_future());
    for request in http.requests() {
        assert_eq!(request.url.host_str(), Some("myvault.vault.azure.net"));
    }
});
