//! The secret bundle reader (keyvault-secrets' fast reader, with
//! `serde_json` behind it), through `SecretClient::get_secret` over a
//! scripted transport: the challenge, then a `200` with the fuzzed body.
//! Nothing panics, and a secret read from the body has the `value` that
//! `serde_json` finds there.
#![no_main]
use credential_core::test_util::ScriptedHttpClient;
use libfuzzer_sys::fuzz_target;

#[path = "common/vault.rs"]
mod vault;

const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let http = ScriptedHttpClient::new();
    http.push_response(401, &[("www-authenticate", CHALLENGE)], "");
    http.push_response(200, &[], body);
    let client = vault::client_over(&http);
    let runtime = vault::runtime();
    if let Ok(secret) = runtime.block_on(client.get_secret("s").into_future()) {
        let json: serde_json::Value =
            serde_json::from_str(body).expect("a secret was read from a body that is not JSON");
        assert_eq!(json["value"].as_str(), Some(secret.value.as_str()));
    }
});
