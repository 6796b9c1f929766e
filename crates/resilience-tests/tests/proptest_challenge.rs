//! Property tests of the `WWW-Authenticate` challenge parser (private to
//! keyvault-secrets), through `SecretClient` over a scripted transport: any
//! header gives a result, never a panic, and a token is sent only when the
//! challenge's resource is the vault's domain.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use credential_core::test_util::ScriptedHttpClient;
use credential_core::{AccessToken, token_credential_fn};
use keyvault_secrets::{RetryPolicy, SecretClient};
use proptest::prelude::*;

const VAULT: &str = "https://myvault.vault.azure.net";

fn run(header: &str) -> (Vec<credential_core::HttpRequest>, bool) {
    let http = ScriptedHttpClient::new();
    http.push_response(401, &[("www-authenticate", header)], "");
    http.push_response(200, &[], r#"{"value":"v","id":"https://myvault.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef"}"#);
    let credential = token_credential_fn("T", |_s, _o| async {
        Ok(AccessToken::new(
            "tok",
            time::OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
        ))
    });
    let client = SecretClient::builder(VAULT, credential)
        .with_retry_policy(RetryPolicy::none())
        .with_http_client(Arc::new(http.clone()))
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ok = runtime
        .block_on(client.get_secret("s").into_future())
        .is_ok();
    (http.requests(), ok)
}

fn param() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("authorization".to_owned()),
        Just("authorization_uri".to_owned()),
        Just("resource".to_owned()),
        Just("scope".to_owned()),
        Just("error".to_owned()),
        Just("claims".to_owned()),
        "[a-zA-Z_]{0,8}",
    ];
    let value = prop_oneof![
        Just("https://vault.azure.net".to_owned()),
        Just("https://login.microsoftonline.com/tenant".to_owned()),
        Just("insufficient_claims".to_owned()),
        "[ -~]{0,30}",
        ".{0,20}",
    ];
    (key, value, any::<bool>(), "[ ,]{0,3}").prop_map(|(k, v, quoted, sep)| {
        if quoted {
            format!("{k}=\"{}\"{sep}", v.replace('"', "\\\""))
        } else {
            format!("{k}={v}{sep}")
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_header_never_panics(header in "[ -~]{0,120}") {
        let _ = run(&header);
    }

    #[test]
    fn bearer_shaped_headers_never_panic_and_guard_the_token(
        scheme in prop::sample::select(vec!["Bearer", "bearer", "Basic", "PoP", ""]),
        params in prop::collection::vec(param(), 0..6),
    ) {
        let header = format!("{scheme} {}", params.concat());
        let (requests, _ok) = run(&header);
        // A token goes only to the vault, and only after a challenge whose
        // resource (or scope) names a domain the vault is in.
        for r in requests.iter().skip(1) {
            prop_assert_eq!(r.url.host_str(), Some("myvault.vault.azure.net"));
        }
        if requests.len() > 1 {
            let lower = header.to_ascii_lowercase();
            prop_assert!(lower.contains("vault.azure.net") || lower.contains("azure.net") || lower.contains("myvault"), "{}", header);
        }
    }
}
