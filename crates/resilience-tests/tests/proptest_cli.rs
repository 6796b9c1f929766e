//! Property tests of the CLI output parsers (private to credential-cli),
//! through the credentials with a scripted process runner: any stdout,
//! stderr and exit code give a result, never a panic, and an error never
//! echoes a token-looking output.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential};
use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{Env, Fs, ProviderContext, TokenCredential, TokenRequestOptions};
use proptest::prelude::*;

fn run(tool: usize, exit: i32, stdout: &str, stderr: &str) -> Result<String, String> {
    let runner = ScriptedProcessRunner::new();
    runner.push_output(exit, stdout, stderr);
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", "/usr/bin")]))
        .with_fs(Fs::from_files([
            ("/usr/bin/az", ""),
            ("/usr/bin/azd", ""),
            ("/usr/bin/pwsh", ""),
        ]))
        .with_process(Arc::new(runner));
    let credential: Box<dyn TokenCredential> = match tool {
        0 => Box::new(
            AzureCliCredential::builder()
                .with_context(ctx)
                .build()
                .unwrap(),
        ),
        1 => Box::new(
            AzureDeveloperCliCredential::builder()
                .with_context(ctx)
                .build()
                .unwrap(),
        ),
        _ => Box::new(
            AzurePowerShellCredential::builder()
                .with_context(ctx)
                .build()
                .unwrap(),
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(credential.get_token(
            &["https://vault.azure.net/.default"],
            &TokenRequestOptions::default(),
        ))
        .map(|t| t.token.expose_secret().to_owned())
        .map_err(|e| e.to_string())
}

fn json_text() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "accessToken",
        "token",
        "Token",
        "expiresOn",
        "expires_on",
        "ExpiresOn",
        "tokenType",
        "subscription",
        "tenant",
    ]);
    let value = prop_oneof![
        Just(serde_json::json!("eyJhbGciOi.secret-token-part.sig")),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,30}".prop_map(serde_json::Value::from),
        "[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}[T ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?".prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ];
    prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        serde_json::Value::Object(map).to_string()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_output_never_panics(tool in 0usize..3, exit in prop::sample::select(vec![0, 1, 2, 127, -1]), stdout in ".{0,200}", stderr in ".{0,100}") {
        let _ = run(tool, exit, &stdout, &stderr);
    }

    #[test]
    fn json_shaped_output_never_panics_nor_leaks(tool in 0usize..3, stdout in json_text()) {
        match run(tool, 0, &stdout, "") {
            Ok(token) => prop_assert!(!token.is_empty()),
            Err(e) => prop_assert!(!e.contains("secret-token-part"), "{}", e),
        }
    }

    #[test]
    fn failures_never_echo_a_token(tool in 0usize..3, exit in 1i32..3, prefix in "[ -~]{0,40}") {
        let stderr = format!("{prefix} eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
        if let Err(e) = run(tool, exit, "", &stderr) {
            prop_assert!(!e.contains("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"), "{}", e);
        }
    }
}
