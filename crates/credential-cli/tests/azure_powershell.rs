//! AzurePowerShellCredential through a scripted process runner.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credential_cli::AzurePowerShellCredential;
use credential_core::test_util::ScriptedFailure;
use credential_core::{CredentialError, ProcessRequest, TokenCredential, TokenRequestOptions};
use support::*;
use time::macros::datetime;

fn ok_output() -> String {
    format!("WARNING: upgrade soon\n{{\"Token\":\"{TOKEN}\",\"ExpiresOn\":{EXPIRES_EPOCH}}}\n")
}

fn credential(h: &Harness) -> AzurePowerShellCredential {
    AzurePowerShellCredential::builder()
        .with_context(h.ctx.clone())
        .build()
        .unwrap()
}

/// The script behind `-EncodedCommand`, decoded from base64 UTF-16LE.
fn decoded_script(request: &ProcessRequest) -> String {
    assert_eq!(request.args.len(), 4, "{:?}", request.args);
    assert_eq!(
        request.args[..3],
        ["-NoProfile", "-NonInteractive", "-EncodedCommand"]
    );
    let bytes = STANDARD.decode(&request.args[3]).unwrap();
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

#[tokio::test]
async fn launches_pwsh_with_encoded_script() {
    let h = harness("pwsh");
    h.runner.push_output(0, &ok_output(), "");
    let token = vault_token(&credential(&h)).await.unwrap();
    assert_is_the_token(&token);

    let request = &h.runner.requests()[0];
    assert_launched_in_bin(request, "pwsh", Duration::from_secs(10));
    let script = decoded_script(request);
    assert!(
        script.contains("Get-Module -ListAvailable -Name Az.Accounts"),
        "{script}"
    );
    assert!(
        script.contains("$params = @{ ResourceUrl = 'https://vault.azure.net' }"),
        "{script}"
    );
    assert!(script.contains("Get-AzAccessToken @params"), "{script}");
    assert!(script.contains("SecureStringToBSTR"), "{script}");
    assert!(script.contains("ConvertTo-Json"), "{script}");
    assert!(!script.contains("TenantId'] ="), "{script}");
}

#[tokio::test]
async fn tenant_and_timeout() {
    let h = harness("pwsh");
    h.runner.push_output(0, &ok_output(), "");
    AzurePowerShellCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .with_process_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get_token(
            &["https://management.azure.com/.default"],
            &TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    let request = &h.runner.requests()[0];
    assert_eq!(request.timeout, Duration::from_secs(30));
    let script = decoded_script(request);
    assert!(
        script.contains("ResourceUrl = 'https://management.azure.com'"),
        "{script}"
    );
    assert!(
        script.contains("$params['TenantId'] = 'contoso'"),
        "{script}"
    );
}

#[tokio::test]
async fn powershell_is_not_a_fallback_on_unix() {
    let h = harness("powershell");
    let err = vault_token(&credential(&h)).await.unwrap_err();
    if cfg!(windows) {
        assert_eq!(h.runner.requests().len(), 1);
    } else {
        assert_unavailable(&err, "Azure PowerShell was not found on PATH");
        assert!(h.runner.requests().is_empty());
    }
}

#[tokio::test]
async fn expires_on_variants() {
    for expires in [
        format!("{EXPIRES_EPOCH}"),
        format!("\"{EXPIRES_EPOCH}\""),
        "\"2030-01-01T01:00:00+00:00\"".to_owned(),
    ] {
        let token = scripted_run(
            Tool::Pwsh,
            0,
            &format!("{{\"Token\":\"{TOKEN}\",\"ExpiresOn\":{expires}}}"),
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            token.expires_on,
            datetime!(2030-01-01 1:00 UTC),
            "{expires}"
        );
    }
}

#[tokio::test]
async fn malformed_outputs() {
    for stdout in [
        format!("garbage {TOKEN}"),
        format!("{{\"Token\":\"{TOKEN}\""),
        format!("{{\"Token\":\"{TOKEN}\"}}"),
        format!("{{\"Token\":\"{TOKEN}\",\"ExpiresOn\":\"someday\"}}"),
        String::new(),
    ] {
        let err = fail(0, &stdout, "").await;
        assert_unexpected_response_in(&stdout, &err);
        assert_no_token(&err.to_string());
    }
}

/// Runs pwsh once against a scripted output, expecting an error.
async fn fail(exit: i32, stdout: &str, stderr: &str) -> CredentialError {
    scripted_run(Tool::Pwsh, exit, stdout, stderr)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn error_mapping() {
    for (exit, stdout, stderr, needle) in [
        (
            1,
            "",
            "Get-AzAccessToken: Run Connect-AzAccount to login.",
            "Run `Connect-AzAccount`",
        ),
        (
            0,
            "NO_AZ_ACCOUNT_MODULE\n",
            "",
            "Install-Module -Name Az.Accounts",
        ),
        (
            1,
            "",
            "Import-Module: The specified module 'Az.Accounts' was not loaded because no valid module file was found",
            "Az.Accounts module",
        ),
        (127, "", "", "Azure PowerShell was not found on PATH"),
    ] {
        let err = fail(exit, stdout, stderr).await;
        let case = format!("exit {exit}, {stdout:?}, {stderr:?}");
        assert_unavailable_in(&case, &err, needle);
    }
    let err = fail(
        1,
        "",
        &format!("AuthorizationManager check failed. {TOKEN}"),
    )
    .await;
    assert_developer_tool(&err, 1);
    assert!(err.to_string().contains("AuthorizationManager"), "{err}");
    assert_no_token(&err.to_string());

    let h = harness("pwsh");
    h.runner.push_failure(ScriptedFailure::TimedOut);
    let err = vault_token(&credential(&h)).await.unwrap_err();
    assert_unavailable(
        &err,
        "AzurePowerShellCredentialBuilder::with_process_timeout",
    );
}

#[tokio::test]
async fn claims_and_injection_launch_nothing() {
    let h = harness("pwsh");
    let credential = AzurePowerShellCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    let options = TokenRequestOptions::default().with_claims(r#"{"a":1}"#);
    let err = credential
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(
        &err,
        "Connect-AzAccount -ClaimsChallenge eyJhIjoxfQ== -Tenant contoso",
    );

    assert_scopes_rejected(
        &credential,
        &[
            "https://x/.default'; Remove-Item -Recurse ~; '",
            "a b",
            "a\nb",
            "a\"b",
        ],
    )
    .await;
    assert_request_tenants_rejected(&credential, &["x'"]).await;
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn cached_and_redacted() {
    let h = harness("pwsh");
    h.runner.push_output(0, &ok_output(), "");
    let credential = credential(&h);
    let first = vault_token(&credential).await.unwrap();
    let second = vault_token(&credential).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(h.runner.requests().len(), 1);
    assert_no_token(&format!("{credential:?} {first:?}"));
}
