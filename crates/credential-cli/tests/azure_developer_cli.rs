//! AzureDeveloperCliCredential through a scripted process runner.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use credential_cli::AzureDeveloperCliCredential;
use credential_core::test_util::ScriptedFailure;
use credential_core::{CredentialError, TokenCredential, TokenRequestOptions};
use support::*;
use time::macros::datetime;

const ARM_SCOPE: &str = "https://management.azure.com/.default";

fn ok_output() -> String {
    format!(r#"{{"token": "{TOKEN}", "expiresOn": "2030-01-01T01:00:00Z"}}"#)
}

fn args(tail: &[&str]) -> Vec<String> {
    ["auth", "token", "--output", "json", "--no-prompt"]
        .iter()
        .chain(tail)
        .map(|s| s.to_string())
        .collect()
}

fn credential(h: &Harness) -> AzureDeveloperCliCredential {
    AzureDeveloperCliCredential::builder()
        .with_context(h.ctx.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_scope_is_passed_exactly() {
    let h = harness("azd");
    h.runner.push_output(0, &ok_output(), "");
    let token = credential(&h)
        .get_token(&[VAULT_SCOPE, ARM_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_is_the_token(&token);
    let request = &h.runner.requests()[0];
    assert_launched_in_bin(request, "azd", Duration::from_secs(10));
    assert_eq!(
        request.args,
        args(&["--scope", VAULT_SCOPE, "--scope", ARM_SCOPE])
    );
    assert_eq!(
        request.env,
        vec![("NO_COLOR".to_owned(), "true".to_owned())]
    );
}

#[tokio::test]
async fn tenant_claims_and_timeout() {
    let h = harness("azd");
    h.runner.push_output(0, &ok_output(), "");
    let credential = AzureDeveloperCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .with_process_timeout(Duration::from_millis(2500))
        .build()
        .unwrap();
    let options = TokenRequestOptions::default().with_claims(r#"{"a":1}"#);
    credential
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap();
    let request = &h.runner.requests()[0];
    assert_eq!(
        request.args,
        args(&[
            "--scope",
            VAULT_SCOPE,
            "--tenant-id",
            "contoso",
            "--claims",
            "eyJhIjoxfQ=="
        ])
    );
    assert_eq!(request.timeout, Duration::from_millis(2500));

    // A request's tenant, allowed by "*".
    h.runner.push_output(0, &ok_output(), "");
    let credential = AzureDeveloperCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .with_additionally_allowed_tenants(["*"])
        .build()
        .unwrap();
    let options = TokenRequestOptions::default().with_tenant_id("fabrikam");
    credential
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap();
    assert_eq!(
        h.runner.requests()[1].args,
        args(&["--scope", VAULT_SCOPE, "--tenant-id", "fabrikam"])
    );
}

#[tokio::test]
async fn disallowed_request_tenant_launches_nothing() {
    let h = harness("azd");
    let credential = AzureDeveloperCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    fabrikam_token_is_refused(&h, &credential).await;
}

#[tokio::test]
async fn expires_on_with_offset_is_converted_to_utc() {
    let token = scripted_run(
        Tool::Azd,
        0,
        &format!(r#"{{"token": "{TOKEN}", "expiresOn": "2030-01-01T03:00:00+02:00"}}"#),
        "",
    )
    .await
    .unwrap();
    assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
}

#[tokio::test]
async fn malformed_outputs() {
    for stdout in [
        format!("not json {TOKEN}"),
        format!(r#"{{"accessToken": "{TOKEN}", "expiresOn": "2030-01-01T01:00:00Z"}}"#),
        format!(r#"{{"token": "{TOKEN}"}}"#),
        format!(r#"{{"token": "{TOKEN}", "expiresOn": "2030-01-01 01:00:00"}}"#),
    ] {
        let err = fail(0, &stdout, "").await;
        assert_unexpected_response_in(&stdout, &err);
        assert_no_token(&err.to_string());
    }
}

/// Runs azd once against a scripted output, expecting an error.
async fn fail(exit: i32, stdout: &str, stderr: &str) -> CredentialError {
    scripted_run(Tool::Azd, exit, stdout, stderr)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn error_mapping() {
    let reauthenticate = format!("azd auth login --scope {VAULT_SCOPE}");
    for (exit, stderr, needle) in [
        (
            1,
            "ERROR: not logged in, run `azd auth login` to login\n",
            "Run `azd auth login`",
        ),
        // azd's JSON error lines.
        (
            1,
            r#"{"type":"consoleMessage","data":{"message":"\nERROR: not logged in, run `azd auth login` to login\n"}}"#,
            "Run `azd auth login`",
        ),
        (127, "", "Azure Developer CLI was not found on PATH"),
        (1, "Error: unknown flag: --claims", "1.18.1"),
        (1, "ERROR: reauthentication required", &reauthenticate),
    ] {
        let err = fail(exit, "", stderr).await;
        assert_unavailable_in(&format!("exit {exit}, {stderr:?}"), &err, needle);
    }

    let err = fail(
        1,
        "",
        &format!("ERROR: fetching token: AADSTS50173 {TOKEN}"),
    )
    .await;
    assert_developer_tool(&err, 1);
    assert!(err.to_string().contains("AADSTS50173"), "{err}");
    assert_no_token(&err.to_string());
}

#[tokio::test]
async fn timeout_and_not_found() {
    let h = harness("azd");
    h.runner.push_failure(ScriptedFailure::TimedOut);
    let err = vault_token(&credential(&h)).await.unwrap_err();
    assert_unavailable(&err, "within the timeout of 10s");
    assert!(
        err.to_string()
            .contains("AzureDeveloperCliCredentialBuilder::with_process_timeout")
    );

    let h = harness("az");
    let err = vault_token(&credential(&h)).await.unwrap_err();
    assert_unavailable(&err, "Azure Developer CLI was not found on PATH");
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn injection_attempts_are_rejected_before_launch() {
    let h = harness("azd");
    let credential = credential(&h);
    for scopes in [
        &[VAULT_SCOPE, "x; rm -rf ~"][..],
        &["a\"b"][..],
        &["a b"][..],
        &["a\nb"][..],
        &["--tenant-id"][..],
        &[][..],
    ] {
        let err = credential
            .get_token(scopes, &TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_invalid(&err);
    }
    assert_request_tenants_rejected(&credential, &["a;b"]).await;
    assert_invalid(
        &AzureDeveloperCliCredential::builder()
            .with_tenant_id("a b")
            .build()
            .unwrap_err(),
    );
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn cached_and_redacted() {
    let h = harness("azd");
    h.runner.push_output(0, &ok_output(), "");
    let credential = credential(&h);
    let options = TokenRequestOptions::default();
    credential
        .get_token(&[VAULT_SCOPE, ARM_SCOPE], &options)
        .await
        .unwrap();
    // Scope order does not matter to the cache.
    credential
        .get_token(&[ARM_SCOPE, VAULT_SCOPE], &options)
        .await
        .unwrap();
    assert_eq!(h.runner.requests().len(), 1);
    assert_no_token(&format!("{credential:?}"));
}
