//! The CLI output parsers (private to credential-cli), through the three
//! credentials with a scripted process runner: the first byte picks the
//! tool and exit code, the rest is stdout (and stderr).
#![no_main]
use std::sync::Arc;

use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential};
use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{Env, Fs, ProviderContext, TokenCredential, TokenRequestOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let exit = if selector & 0x10 == 0 { 0 } else { 1 };
    let runner = ScriptedProcessRunner::new();
    runner.push_output(exit, text, text);
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", "/usr/bin")]))
        .with_fs(Fs::from_files([
            ("/usr/bin/az", ""),
            ("/usr/bin/azd", ""),
            ("/usr/bin/pwsh", ""),
        ]))
        .with_process(Arc::new(runner));
    let credential: Box<dyn TokenCredential> = match selector % 3 {
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
        .enable_time()
        .build()
        .unwrap();
    let _ = runtime.block_on(credential.get_token(
        &["https://vault.azure.net/.default"],
        &TokenRequestOptions::default(),
    ));
});
