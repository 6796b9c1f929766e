//! Security: no bearer token over plain http to a non-loopback host, to a
//! host whose challenge names another domain, or across a redirect; CLI
//! arguments with shell metacharacters are refused before launch; an Arc key
//! file outside the allowed directory is never read; a full quickstart run
//! at trace level logs no token, client secret, assertion or secret value.
#![allow(clippy::unwrap_used)]

use crate::common;
use keyvault_secrets::StatusCode;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Behaviour, Server, TOKEN, static_credential};
use credential_core::test_util::{LogCapture, ScriptedProcessRunner};
use credential_core::{
    AccessToken, CredentialError, Env, Fs, LoopbackOnlyHttpClient, ProviderContext,
    TokenCredential, TokenRequestOptions, token_credential_fn,
};
use keyvault_secrets::{Error, SecretClient};

/// A credential that counts how often it was asked for a token.
fn counting_credential(calls: Arc<AtomicUsize>) -> credential_core::FnCredential {
    token_credential_fn("Counting", move |_s, _o| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            Ok(AccessToken::new(
                TOKEN,
                time::OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
            ))
        }
    })
}

#[test]
fn plain_http_to_a_non_loopback_vault_is_refused() {
    for url in [
        "http://myvault.vault.azure.net",
        "http://10.0.0.1",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
    ] {
        let calls = Arc::new(AtomicUsize::new(0));
        let err = SecretClient::new(url, counting_credential(calls.clone())).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn no_token_for_a_challenge_naming_another_domain() {
    for resource in [
        "https://vault.evil.example",
        "http://127.0.0.2",
        "https://127.0.0.1.evil.example",
    ] {
        let server = Server::start(
            |_| false,
            move |_, _| {
                Behaviour::status(401).with_header(
                    "www-authenticate",
                    &format!(
                        r#"Bearer authorization="https://login.microsoftonline.com/t", resource="{resource}""#
                    ),
                )
            },
        )
        .await;
        let calls = Arc::new(AtomicUsize::new(0));
        let client = SecretClient::builder(server.url(), counting_credential(calls.clone()))
            .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
            .build()
            .unwrap();
        let err = common::get_s(&client).await.unwrap_err();
        assert!(
            matches!(err, Error::Challenge { .. }),
            "{resource}: {err:?}"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{resource}: a token was requested"
        );
        assert_eq!(server.authorized(), 0, "{resource}: a token was sent");
    }
}

#[tokio::test]
async fn no_token_follows_a_redirect_to_another_host() {
    let elsewhere = Server::start(|_| false, |_, _| Behaviour::status(200)).await;
    let target = format!("{}/secrets/s", elsewhere.url());
    let vault = Server::start(
        |_| false,
        move |seen, server| {
            if seen.header("authorization").is_none() {
                let origin = server.url();
                Behaviour::status(401).with_header(
                    "www-authenticate",
                    &format!(r#"Bearer authorization="{origin}/t", resource="{origin}""#),
                )
            } else {
                Behaviour::status(302).with_header("location", &target)
            }
        },
    )
    .await;
    let err = common::get_s_from(&vault).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::FOUND), "{err:?}");
    assert_eq!(vault.authorized(), 1);
    assert_eq!(elsewhere.count(), 0, "the redirect was followed");
    assert!(
        elsewhere
            .seen()
            .iter()
            .all(|s| s.header("authorization").is_none()),
        "a token crossed the redirect"
    );
}

type Built = Result<Box<dyn TokenCredential>, CredentialError>;

/// Boxes a freshly built credential so that different kinds share a table.
fn boxed<C: TokenCredential + 'static>(built: Result<C, CredentialError>) -> Built {
    built.map(|c| Box::new(c) as Box<dyn TokenCredential>)
}

/// Asks `credential` for a Key Vault token with default options.
async fn vault_token(credential: &dyn TokenCredential) -> Result<AccessToken, CredentialError> {
    credential
        .get_token(
            &["https://vault.azure.net/.default"],
            &TokenRequestOptions::default(),
        )
        .await
}

fn cli_context(runner: &ScriptedProcessRunner) -> ProviderContext {
    ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", "/usr/bin")]))
        .with_fs(Fs::from_files([
            ("/usr/bin/az", ""),
            ("/usr/bin/azd", ""),
            ("/usr/bin/pwsh", ""),
        ]))
        .with_process(Arc::new(runner.clone()))
}

/// Every CLI-backed credential, built with `bad` as a tenant or subscription.
fn cli_credentials_with(ctx: &ProviderContext, bad: &str) -> Vec<(&'static str, Built)> {
    use credential_cli::{
        AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential,
    };
    vec![
        (
            "az tenant",
            boxed(
                AzureCliCredential::builder()
                    .with_context(ctx.clone())
                    .with_tenant_id(bad)
                    .build(),
            ),
        ),
        (
            "az subscription",
            boxed(
                AzureCliCredential::builder()
                    .with_context(ctx.clone())
                    .with_subscription(bad)
                    .build(),
            ),
        ),
        (
            "azd tenant",
            boxed(
                AzureDeveloperCliCredential::builder()
                    .with_context(ctx.clone())
                    .with_tenant_id(bad)
                    .build(),
            ),
        ),
        (
            "pwsh tenant",
            boxed(
                AzurePowerShellCredential::builder()
                    .with_context(ctx.clone())
                    .with_tenant_id(bad)
                    .build(),
            ),
        ),
    ]
}

const METACHARACTERS: [&str; 10] = [
    "a;rm -rf /",
    "a|cat /etc/passwd",
    "a&calc",
    "$(id)",
    "`id`",
    "a>out",
    "a\nb",
    "'quoted'",
    "a\"b",
    "%PATH%",
];

#[tokio::test]
async fn cli_arguments_with_shell_metacharacters_are_refused_before_launch() {
    for bad in METACHARACTERS {
        let runner = ScriptedProcessRunner::new();
        let ctx = cli_context(&runner);
        for (what, credential) in cli_credentials_with(&ctx, bad) {
            if let Ok(credential) = credential {
                let err = vault_token(credential.as_ref()).await.unwrap_err();
                assert!(
                    matches!(err, CredentialError::InvalidConfiguration { .. }),
                    "{what} {bad:?}: {err:?}"
                );
            }
        }
        // Metacharacters in the scope or a request's tenant, too.
        let az = credential_cli::AzureCliCredential::builder()
            .with_context(ctx.clone())
            .build()
            .unwrap();
        let scope = format!("https://vault.azure.net/{bad}");
        assert!(
            az.get_token(&[&scope], &TokenRequestOptions::default())
                .await
                .is_err()
        );
        let options = TokenRequestOptions::default().with_tenant_id(bad);
        assert!(
            az.get_token(&["https://vault.azure.net/.default"], &options)
                .await
                .is_err()
        );
        assert!(
            runner.requests().is_empty(),
            "{bad:?}: a process was launched"
        );
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_arc_key_file_outside_the_allowed_directory_is_never_read() {
    for path in [
        "/etc/shadow.key",
        "/var/opt/azcmagent/tokens/../../../../etc/x.key",
        "/var/opt/azcmagent/tokens/sub/x.key",
        "/var/opt/azcmagent/tokens/x.txt",
        "relative.key",
    ] {
        let server = Server::start(
            |_| false,
            move |_, _| {
                Behaviour::status(401)
                    .with_header("www-authenticate", &format!("Basic realm={path}"))
            },
        )
        .await;
        let endpoint = format!("{}/metadata/identity/oauth2/token", server.url());
        let ctx = ProviderContext::isolated()
            .with_env(Env::from_pairs([
                ("IDENTITY_ENDPOINT", endpoint.as_str()),
                ("IMDS_ENDPOINT", server.url().as_str()),
            ]))
            // The file exists: only the path check keeps it from being read.
            .with_fs(Fs::from_files([(path, "stolen-key-material")]))
            .with_http(Arc::new(LoopbackOnlyHttpClient::real()));
        let credential = credential_msi::ManagedIdentityCredential::builder()
            .with_context(ctx)
            .build()
            .unwrap();
        assert_eq!(
            credential.source_kind().unwrap(),
            credential_msi::SourceKind::AzureArc
        );
        let err = vault_token(&credential).await.unwrap_err();
        assert!(
            err.to_string().contains("refusing to read it"),
            "{path}: {err}"
        );
        assert!(!err.to_string().contains("stolen-key-material"));
        // The key never went out: only the challenge request was sent.
        assert_eq!(server.count(), 1, "{path}");
        assert!(
            server
                .seen()
                .iter()
                .all(|s| s.header("authorization").is_none())
        );
    }
}

/// The quick-start example itself, run here so that its logs can be read.
#[path = "../../examples/examples/quickstart.rs"]
mod quickstart;

#[test]
fn a_quickstart_run_at_trace_level_logs_no_secret() {
    // The example's `main` builds a current-thread runtime on this thread,
    // where the capture listens. It uses the embedded emulator unless the
    // environment names a vault, which a test must never reach: refuse
    // before anything is sent.
    #[allow(clippy::disallowed_methods)] // Read only, to stay on loopback.
    let named = std::env::var_os("AZURE_KEYVAULT_URL").is_some_and(|v| !v.is_empty());
    assert!(
        !named,
        "AZURE_KEYVAULT_URL is set: unset it, this test runs the quick-start on the embedded emulator only"
    );
    let logs = LogCapture::start();
    quickstart::main().unwrap();
    let contents = logs.contents();
    assert!(
        contents.contains("TRACE") || contents.contains("DEBUG"),
        "nothing was captured"
    );
    logs.assert_absent(&[
        keyvault_emulator::DEFAULT_CLIENT_SECRET,
        "first-value",
        "second-value",
        "client_secret=",
        "client_assertion",
        "Bearer ey",
        // The emulator's tokens and any assertion are JWTs: base64 of '{"'.
        "eyJ",
    ]);
}

#[tokio::test]
async fn the_static_token_of_these_tests_is_what_the_servers_see() {
    // Guards the helpers above: an authorized request carries the token.
    let server = common::vault_server().await;
    common::get_s_from(&server).await.unwrap();
    let seen = server.seen();
    let auth = seen.iter().find_map(|s| s.header("authorization")).unwrap();
    assert_eq!(auth, format!("Bearer {TOKEN}"));
    let _ = static_credential();
}
