//! Real processes: small shell scripts named `az`, `azd` and `pwsh` in a
//! temporary directory that is the whole injected `PATH`, launched through
//! `SystemProcessRunner` (no shell of ours: the scripts' own `#!/bin/sh`
//! line is the kernel's business).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential};
use credential_core::{
    CredentialError, Env, Fs, ProviderContext, SystemProcessRunner, TokenCredential,
    TokenRequestOptions,
};
use support::*;
use tempfile::TempDir;
use time::macros::datetime;

/// Writing an executable while another thread forks can make its `exec`
/// fail with "text file busy"; the tests in this file take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes an executable `#!/bin/sh` script `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A real context whose `PATH` is only `dir`.
fn context(dir: &Path) -> ProviderContext {
    ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", dir.to_str().unwrap())]))
        .with_fs(Fs::real())
        .with_process(Arc::new(SystemProcessRunner))
}

/// Records the arguments (one per line), the working directory and a variable.
fn recorder(dir: &Path, variable: &str) -> String {
    let dir = dir.display();
    format!(
        "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{dir}/args'\n\
         pwd > '{dir}/cwd'\n\
         printf '%s' \"${variable}\" > '{dir}/env'"
    )
}

/// The script ran in `/bin` (which may be a link to `/usr/bin`).
fn assert_runs_in_bin(dir: &Path) {
    let cwd = read(dir, "cwd");
    assert_eq!(
        std::fs::canonicalize(cwd.trim_end()).unwrap(),
        std::fs::canonicalize("/bin").unwrap()
    );
}

/// Reads what a script recorded (a test artifact, not credential input).
#[allow(clippy::disallowed_methods)]
fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[tokio::test]
async fn az_prints_a_token() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "az",
        &format!(
            "{}\necho '{{\"accessToken\": \"{TOKEN}\", \"expiresOn\": \"2030-01-01 01:00:00.000000\", \"expires_on\": {EXPIRES_EPOCH}, \"tokenType\": \"Bearer\"}}'",
            recorder(dir.path(), "AZURE_CORE_NO_COLOR")
        ),
    );
    let credential = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .with_subscription("My Sub")
        .build()
        .unwrap();
    let token = credential
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), TOKEN);
    assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
    assert_eq!(
        read(dir.path(), "args"),
        "account\nget-access-token\n--output\njson\n--resource\nhttps://vault.azure.net\n--subscription\nMy Sub\n"
    );
    assert_runs_in_bin(dir.path());
    assert_eq!(read(dir.path(), "env"), "true");

    // Cached: removing the tool changes nothing within the token's life.
    std::fs::remove_file(dir.path().join("az")).unwrap();
    let again = credential
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(again, token);
}

#[tokio::test]
async fn az_not_logged_in() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "az",
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let err = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_unavailable(&err, "Run `az login`");
}

#[tokio::test]
async fn az_other_failure_carries_sanitized_stderr() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "az",
        &format!("echo 'ERROR: AADSTS500011: resource not found {TOKEN}' >&2\nexit 1"),
    );
    let err = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::Authentication { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("AADSTS500011"), "{err}");
    assert_no_token(&err.to_string());
}

#[tokio::test]
async fn az_that_hangs_is_stopped() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(dir.path(), "az", "exec sleep 30");
    let err = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .with_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_unavailable(&err, "within the timeout of 300ms");
}

#[tokio::test]
async fn az_garbage_is_unexpected() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(dir.path(), "az", &format!("echo 'garbage {TOKEN}'"));
    let err = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::UnexpectedResponse { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("garbage"), "{err}");
    assert_no_token(&err.to_string());
}

#[tokio::test]
async fn azd_prints_a_token_and_fails_when_signed_out() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "azd",
        &format!(
            "{}\necho '{{\"token\": \"{TOKEN}\", \"expiresOn\": \"2030-01-01T01:00:00Z\"}}'",
            recorder(dir.path(), "NO_COLOR")
        ),
    );
    let token = AzureDeveloperCliCredential::builder()
        .with_context(context(dir.path()))
        .with_tenant_id("contoso")
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), TOKEN);
    assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
    assert_eq!(
        read(dir.path(), "args"),
        format!(
            "auth\ntoken\n--output\njson\n--no-prompt\n--scope\n{VAULT_SCOPE}\n--tenant-id\ncontoso\n"
        )
    );
    assert_eq!(read(dir.path(), "env"), "true");

    script(
        dir.path(),
        "azd",
        "echo 'ERROR: not logged in, run `azd auth login` to login' >&2\nexit 1",
    );
    let err = AzureDeveloperCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_unavailable(&err, "Run `azd auth login`");
}

#[tokio::test]
async fn azd_hangs_and_garbage() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(dir.path(), "azd", "exec sleep 30");
    let err = AzureDeveloperCliCredential::builder()
        .with_context(context(dir.path()))
        .with_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_unavailable(&err, "within the timeout of 300ms");

    script(dir.path(), "azd", "echo '<html>oops</html>'");
    let err = AzureDeveloperCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::UnexpectedResponse { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn pwsh_prints_a_token() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "pwsh",
        &format!(
            "{}\necho 'WARNING: a newer Az.Accounts is available'\necho '{{\"Token\":\"{TOKEN}\",\"ExpiresOn\":{EXPIRES_EPOCH}}}'",
            recorder(dir.path(), "HOME")
        ),
    );
    let token = AzurePowerShellCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), TOKEN);
    assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
    let args = read(dir.path(), "args");
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args[..3],
        ["-NoProfile", "-NonInteractive", "-EncodedCommand"]
    );
    assert_eq!(args.len(), 4);
    assert_runs_in_bin(dir.path());
}

#[tokio::test]
async fn pwsh_not_connected_hangs_and_garbage() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    script(
        dir.path(),
        "pwsh",
        "echo 'Get-AzAccessToken: Run Connect-AzAccount to login.' >&2\nexit 1",
    );
    let make = |timeout: Duration| {
        AzurePowerShellCredential::builder()
            .with_context(context(dir.path()))
            .with_timeout(timeout)
            .build()
            .unwrap()
    };
    let options = TokenRequestOptions::default();
    let err = make(Duration::from_secs(10))
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(&err, "Run `Connect-AzAccount`");

    script(dir.path(), "pwsh", "exec sleep 30");
    let err = make(Duration::from_millis(300))
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(&err, "within the timeout of 300ms");

    script(dir.path(), "pwsh", "echo '{not json, Token'");
    let err = make(Duration::from_secs(10))
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::UnexpectedResponse { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_tool_on_path_at_all() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    let ctx = context(dir.path());
    let options = TokenRequestOptions::default();
    let err = AzureCliCredential::builder()
        .with_context(ctx.clone())
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(&err, "Azure CLI was not found on PATH");
    let err = AzureDeveloperCliCredential::builder()
        .with_context(ctx.clone())
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(&err, "Azure Developer CLI was not found on PATH");
    let err = AzurePowerShellCredential::builder()
        .with_context(ctx)
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(&err, "Azure PowerShell was not found on PATH");
}

#[tokio::test]
async fn a_non_executable_file_is_not_installed() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("az"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("az"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = AzureCliCredential::builder()
        .with_context(context(dir.path()))
        .build()
        .unwrap()
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_unavailable(&err, "Azure CLI was not found on PATH");
}
