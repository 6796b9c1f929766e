//! Shared test helpers: an isolated context whose `PATH` holds the tools and
//! whose process runner is scripted.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential};
use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{
    AccessToken, CredentialError, Env, Fs, ManualClock, ProcessRequest, ProviderContext,
    TokenCredential, TokenRequestOptions,
};
use time::macros::datetime;

#[cfg(unix)]
pub mod fake_tools;

/// A JWT-looking token, so that redaction is exercised.
pub const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ2YXVsdCJ9.c2lnbmF0dXJlLXNlY3JldA";
/// 2030-01-01T01:00:00Z, one hour after the isolated clock's start.
pub const EXPIRES_EPOCH: i64 = 1_893_459_600;
pub const VAULT_SCOPE: &str = "https://vault.azure.net/.default";

/// The three developer tools, for tests that are the same for each.
#[derive(Clone, Copy, Debug)]
pub enum Tool {
    /// Azure CLI.
    Az,
    /// Azure Developer CLI.
    Azd,
    /// Azure PowerShell.
    Pwsh,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Az, Tool::Azd, Tool::Pwsh];

    /// The program looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Az => "az",
            Tool::Azd => "azd",
            Tool::Pwsh => "pwsh",
        }
    }

    /// The name the "not found on PATH" message uses.
    pub fn display_name(self) -> &'static str {
        match self {
            Tool::Az => "Azure CLI",
            Tool::Azd => "Azure Developer CLI",
            Tool::Pwsh => "Azure PowerShell",
        }
    }

    /// This tool's credential over `ctx`, with `timeout` if given.
    pub fn credential(
        self,
        ctx: ProviderContext,
        timeout: Option<Duration>,
    ) -> Box<dyn TokenCredential> {
        match self {
            Tool::Az => {
                let mut builder = AzureCliCredential::builder().with_context(ctx);
                if let Some(timeout) = timeout {
                    builder = builder.with_process_timeout(timeout);
                }
                Box::new(builder.build().unwrap())
            }
            Tool::Azd => {
                let mut builder = AzureDeveloperCliCredential::builder().with_context(ctx);
                if let Some(timeout) = timeout {
                    builder = builder.with_process_timeout(timeout);
                }
                Box::new(builder.build().unwrap())
            }
            Tool::Pwsh => {
                let mut builder = AzurePowerShellCredential::builder().with_context(ctx);
                if let Some(timeout) = timeout {
                    builder = builder.with_process_timeout(timeout);
                }
                Box::new(builder.build().unwrap())
            }
        }
    }
}

/// Asks `credential` for a vault token with default options.
pub async fn vault_token(
    credential: &(impl TokenCredential + ?Sized),
) -> Result<AccessToken, CredentialError> {
    credential
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
}

/// Runs `tool` (default settings) once against one scripted exit code and
/// output; returns what `get_token` gave.
pub async fn scripted_run(
    tool: Tool,
    exit: i32,
    stdout: &str,
    stderr: &str,
) -> Result<AccessToken, CredentialError> {
    let h = harness(tool.program());
    h.runner.push_output(exit, stdout, stderr);
    vault_token(&*tool.credential(h.ctx, None)).await
}

/// Asks `credential` (configured for another tenant, without allowing
/// more) for a vault token for tenant `fabrikam`: refused before any launch.
pub async fn fabrikam_token_is_refused(
    h: &Harness,
    credential: &(impl TokenCredential + ?Sized),
) -> CredentialError {
    let options = TokenRequestOptions::default().with_tenant_id("fabrikam");
    let err = credential
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_authentication(&err);
    assert!(h.runner.requests().is_empty(), "nothing may be launched");
    err
}

/// Each of `scopes`, asked for alone, is rejected as invalid.
pub async fn assert_scopes_rejected(credential: &(impl TokenCredential + ?Sized), scopes: &[&str]) {
    for scope in scopes {
        let err = credential
            .get_token(&[scope], &TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_invalid_in(&format!("scope {scope:?}"), &err);
    }
}

/// A vault token for each of `tenants`, asked for in the request, is
/// rejected as invalid.
pub async fn assert_request_tenants_rejected(
    credential: &(impl TokenCredential + ?Sized),
    tenants: &[&str],
) {
    for tenant in tenants {
        let options = TokenRequestOptions::default().with_tenant_id(*tenant);
        let err = credential
            .get_token(&[VAULT_SCOPE], &options)
            .await
            .unwrap_err();
        assert_invalid_in(&format!("request tenant {tenant:?}"), &err);
    }
}

/// `request` launched `/usr/bin/{program}` in `/bin` with `timeout`.
pub fn assert_launched_in_bin(request: &ProcessRequest, program: &str, timeout: Duration) {
    assert_eq!(
        request.program,
        PathBuf::from(format!("/usr/bin/{program}"))
    );
    assert_eq!(request.current_dir, Some(PathBuf::from("/bin")));
    assert_eq!(request.timeout, timeout);
}

pub struct Harness {
    pub ctx: ProviderContext,
    pub runner: ScriptedProcessRunner,
    pub clock: ManualClock,
}

/// `PATH=/opt/other:/usr/bin` with `program` in `/usr/bin`.
pub fn harness(program: &str) -> Harness {
    harness_with(
        Env::from_pairs([("PATH", "/opt/other:/usr/bin")]),
        &[program],
    )
}

pub fn harness_with(env: Env, programs: &[&str]) -> Harness {
    let runner = ScriptedProcessRunner::new();
    let clock = ManualClock::new(ProviderContext::ISOLATED_EPOCH);
    let files: Vec<(String, &str)> = programs
        .iter()
        .map(|p| (format!("/usr/bin/{p}"), ""))
        .collect();
    let ctx = ProviderContext::isolated()
        .with_env(env)
        .with_fs(Fs::from_files(files))
        .with_clock(Arc::new(clock.clone()))
        .with_process(Arc::new(runner.clone()));
    Harness { ctx, runner, clock }
}

pub fn assert_unavailable(err: &CredentialError, needle: &str) {
    assert_unavailable_in("", err, needle);
}

/// [`assert_unavailable`] for one `case` of a table, named in the message.
pub fn assert_unavailable_in(case: &str, err: &CredentialError, needle: &str) {
    assert!(
        err.is_unavailable(),
        "{case}: expected Unavailable, got {err:?}"
    );
    assert!(
        err.to_string().contains(needle),
        "{case}: {needle:?} not in: {err}"
    );
}

pub fn assert_invalid(err: &CredentialError) {
    assert_invalid_in("", err);
}

/// [`assert_invalid`] for one `case` of a table, named in the message.
pub fn assert_invalid_in(case: &str, err: &CredentialError) {
    let is_kind = matches!(err, CredentialError::InvalidConfiguration { .. });
    assert_kind(case, err, is_kind, "InvalidConfiguration");
}

/// `err` is of the error kind `kind` (`is_kind`); the message names `case`.
fn assert_kind(case: &str, err: &CredentialError, is_kind: bool, kind: &str) {
    assert!(is_kind, "{case}: expected {kind}, got {err:?}");
}

/// The `get_token` error text never holds the token.
pub fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    assert!(!text.contains("c2lnbmF0dXJl"), "token part leaked: {text}");
}

/// The token is [`TOKEN`], expiring at [`EXPIRES_EPOCH`].
pub fn assert_is_the_token(token: &AccessToken) {
    assert_eq!(token.token.expose_secret(), TOKEN);
    assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
}

pub fn assert_unexpected_response(err: &CredentialError) {
    assert_unexpected_response_in("", err);
}

/// [`assert_unexpected_response`] for one `case` of a table.
pub fn assert_unexpected_response_in(case: &str, err: &CredentialError) {
    let is_kind = matches!(err, CredentialError::UnexpectedResponse { .. });
    assert_kind(case, err, is_kind, "UnexpectedResponse");
}

pub fn assert_authentication(err: &CredentialError) {
    let is_kind = matches!(err, CredentialError::Authentication { .. });
    assert_kind("", err, is_kind, "Authentication");
}

/// The tool ran and exited with `exit_code`: a
/// [`CredentialError::DeveloperTool`], which stops a chain (not unavailable).
pub fn assert_developer_tool(err: &CredentialError, exit_code: i32) {
    let is_kind = matches!(
        err,
        CredentialError::DeveloperTool { exit_code: Some(code), .. } if *code == exit_code
    );
    assert_kind("", err, is_kind, "DeveloperTool");
    assert!(!err.is_unavailable() && !err.is_transient(), "{err:?}");
}
