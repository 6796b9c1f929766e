//! Real processes: small shell scripts named `az`, `azd` and `pwsh` in a
//! temporary directory that is the whole injected `PATH`, launched through
//! `SystemProcessRunner` (no shell of ours: the scripts' own `#!/bin/sh`
//! line is the kernel's business).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential};
use credential_core::{AccessToken, CredentialError};
use support::fake_tools::FakeTools;
use support::*;

/// Writing an executable while another thread forks can make its `exec`
/// fail with "text file busy"; the tests in this file take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `tool` (with `timeout` if given) from `tools` once.
async fn run(
    tools: &FakeTools,
    tool: Tool,
    timeout: Option<Duration>,
) -> Result<AccessToken, CredentialError> {
    vault_token(&*tool.credential(tools.context(), timeout)).await
}

/// Writes `tool`'s script as `body` in a fresh directory and runs it once
/// with default settings, expecting an error.
async fn failing_run(tool: Tool, body: &str) -> CredentialError {
    let tools = FakeTools::new();
    tools.script(tool.program(), body);
    run(&tools, tool, None).await.unwrap_err()
}

#[tokio::test]
async fn az_prints_a_token() {
    let _turn = SERIAL.lock().await;
    let tools = FakeTools::new();
    tools.recording_script(
        "az",
        "AZURE_CORE_NO_COLOR",
        &format!(
            "echo '{{\"accessToken\": \"{TOKEN}\", \"expiresOn\": \"2030-01-01 01:00:00.000000\", \"expires_on\": {EXPIRES_EPOCH}, \"tokenType\": \"Bearer\"}}'"
        ),
    );
    let credential = AzureCliCredential::builder()
        .with_context(tools.context())
        .with_subscription("My Sub")
        .build()
        .unwrap();
    let token = vault_token(&credential).await.unwrap();
    assert_is_the_token(&token);
    assert_eq!(
        tools.read("args"),
        "account\nget-access-token\n--output\njson\n--resource\nhttps://vault.azure.net\n--subscription\nMy Sub\n"
    );
    tools.assert_ran_in_bin();
    assert_eq!(tools.read("env"), "true");

    // Cached: removing the tool changes nothing within the token's life.
    std::fs::remove_file(tools.path().join("az")).unwrap();
    let again = vault_token(&credential).await.unwrap();
    assert_eq!(again, token);
}

#[tokio::test]
async fn az_not_logged_in() {
    let _turn = SERIAL.lock().await;
    let err = failing_run(
        Tool::Az,
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    )
    .await;
    assert_unavailable(&err, "Run `az login`");
}

#[tokio::test]
async fn az_other_failure_carries_sanitized_stderr() {
    let _turn = SERIAL.lock().await;
    let err = failing_run(
        Tool::Az,
        &format!("echo 'ERROR: AADSTS500011: resource not found {TOKEN}' >&2\nexit 1"),
    )
    .await;
    assert_developer_tool(&err, 1);
    assert!(err.to_string().contains("AADSTS500011"), "{err}");
    assert_no_token(&err.to_string());
}

#[tokio::test]
async fn every_tool_that_hangs_is_stopped() {
    let _turn = SERIAL.lock().await;
    for tool in Tool::ALL {
        let tools = FakeTools::new();
        tools.script(tool.program(), "exec sleep 30");
        let err = run(&tools, tool, Some(Duration::from_millis(300)))
            .await
            .unwrap_err();
        assert!(err.is_unavailable(), "{tool:?}: {err:?}");
        assert!(
            err.to_string().contains("within the timeout of 300ms"),
            "{tool:?}: {err}"
        );
    }
}

#[tokio::test]
async fn az_garbage_is_unexpected() {
    let _turn = SERIAL.lock().await;
    let err = failing_run(Tool::Az, &format!("echo 'garbage {TOKEN}'")).await;
    assert_unexpected_response(&err);
    assert!(!err.to_string().contains("garbage"), "{err}");
    assert_no_token(&err.to_string());
}

#[tokio::test]
async fn azd_prints_a_token_and_fails_when_signed_out() {
    let _turn = SERIAL.lock().await;
    let tools = FakeTools::new();
    tools.recording_script(
        "azd",
        "NO_COLOR",
        &format!("echo '{{\"token\": \"{TOKEN}\", \"expiresOn\": \"2030-01-01T01:00:00Z\"}}'"),
    );
    let credential = AzureDeveloperCliCredential::builder()
        .with_context(tools.context())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    assert_is_the_token(&vault_token(&credential).await.unwrap());
    assert_eq!(
        tools.read("args"),
        format!(
            "auth\ntoken\n--output\njson\n--no-prompt\n--scope\n{VAULT_SCOPE}\n--tenant-id\ncontoso\n"
        )
    );
    assert_eq!(tools.read("env"), "true");

    tools.script(
        "azd",
        "echo 'ERROR: not logged in, run `azd auth login` to login' >&2\nexit 1",
    );
    let err = run(&tools, Tool::Azd, None).await.unwrap_err();
    assert_unavailable(&err, "Run `azd auth login`");
}

#[tokio::test]
async fn azd_garbage_is_unexpected() {
    let _turn = SERIAL.lock().await;
    let err = failing_run(Tool::Azd, "echo '<html>oops</html>'").await;
    assert_unexpected_response(&err);
}

#[tokio::test]
async fn pwsh_prints_a_token() {
    let _turn = SERIAL.lock().await;
    let tools = FakeTools::new();
    tools.recording_script(
        "pwsh",
        "HOME",
        &format!(
            "echo 'WARNING: a newer Az.Accounts is available'\necho '{{\"Token\":\"{TOKEN}\",\"ExpiresOn\":{EXPIRES_EPOCH}}}'"
        ),
    );
    let token = run(&tools, Tool::Pwsh, None).await.unwrap();
    assert_is_the_token(&token);
    let args = tools.read("args");
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args[..3],
        ["-NoProfile", "-NonInteractive", "-EncodedCommand"]
    );
    assert_eq!(args.len(), 4);
    tools.assert_ran_in_bin();
}

#[tokio::test]
async fn pwsh_not_connected_and_garbage() {
    let _turn = SERIAL.lock().await;
    let err = failing_run(
        Tool::Pwsh,
        "echo 'Get-AzAccessToken: Run Connect-AzAccount to login.' >&2\nexit 1",
    )
    .await;
    assert_unavailable(&err, "Run `Connect-AzAccount`");

    let err = failing_run(Tool::Pwsh, "echo '{not json, Token'").await;
    assert_unexpected_response(&err);
}

#[tokio::test]
async fn no_tool_on_path_at_all() {
    let _turn = SERIAL.lock().await;
    let tools = FakeTools::new();
    for tool in Tool::ALL {
        let err = run(&tools, tool, None).await.unwrap_err();
        let needle = format!("{} was not found on PATH", tool.display_name());
        assert!(err.is_unavailable(), "{tool:?}: {err:?}");
        assert!(err.to_string().contains(&needle), "{tool:?}: {err}");
    }
}

#[tokio::test]
async fn a_non_executable_file_is_not_installed() {
    let _turn = SERIAL.lock().await;
    let tools = FakeTools::new();
    tools.write("az", "echo hi", 0o644);
    let err = run(&tools, Tool::Az, None).await.unwrap_err();
    assert_unavailable(&err, "Azure CLI was not found on PATH");
}
