//! Shared helpers: an isolated context with fake tools on `PATH=/fakebin`, a
//! scripted process runner, loopback-only HTTP, and mock endpoints.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{Env, Fs, LoopbackOnlyHttpClient, ProviderContext};
use credential_default::{
    AccessToken, CredentialError, DefaultAzureCredential, DefaultAzureCredentialBuilder,
    TokenCredential, TokenRequestOptions,
};
use url::Url;

pub const SCOPE: &str = "https://vault.azure.net/.default";
pub const OTHER_SCOPE: &str = "https://storage.azure.com/.default";
pub const TENANT: &str = "contoso";
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-000000000001";
pub const SECRET: &str = "client-secret-value-do-not-show";
/// ProviderContext::isolated()'s clock, as Unix seconds.
pub const EPOCH: i64 = 1_893_456_000;
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

pub struct Harness {
    pub ctx: ProviderContext,
    pub runner: ScriptedProcessRunner,
}

/// An isolated context with `env` (plus `PATH=/fakebin`), the `tools` as
/// files in `/fakebin`, extra `files`, a scripted runner and loopback HTTP.
pub fn harness(env: &[(&str, &str)], tools: &[&str], files: &[(&str, &str)]) -> Harness {
    let runner = ScriptedProcessRunner::new();
    let mut all_files: Vec<(String, String)> = tools
        .iter()
        .map(|t| (format!("/fakebin/{t}"), String::new()))
        .collect();
    all_files.extend(files.iter().map(|(p, c)| (p.to_string(), c.to_string())));
    let mut pairs: Vec<(String, String)> = vec![("PATH".into(), "/fakebin".into())];
    pairs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs(pairs))
        .with_fs(Fs::from_files(all_files))
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_process(Arc::new(runner.clone()));
    Harness { ctx, runner }
}

/// A loopback URL on which nothing listens.
pub fn closed_port_url() -> Url {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
}

/// The builder with the harness's context and IMDS at `imds`.
pub fn builder(h: &Harness, imds: &Url) -> DefaultAzureCredentialBuilder {
    DefaultAzureCredential::builder()
        .with_context(h.ctx.clone())
        .with_imds_endpoint(imds.clone())
}

pub async fn get(c: &DefaultAzureCredential) -> Result<AccessToken, CredentialError> {
    c.get_token(&[SCOPE], &TokenRequestOptions::default()).await
}

pub async fn get_scope(
    c: &DefaultAzureCredential,
    scope: &str,
) -> Result<AccessToken, CredentialError> {
    c.get_token(&[scope], &TokenRequestOptions::default()).await
}

/// `az account get-access-token` output.
pub fn az_output(token: &str) -> String {
    format!(
        r#"{{"accessToken": "{token}", "tokenType": "Bearer", "expires_on": {}}}"#,
        EPOCH + 3600
    )
}

/// Our PowerShell script's output.
pub fn pwsh_output(token: &str) -> String {
    format!("{{\"Token\":\"{token}\",\"ExpiresOn\":{}}}\n", EPOCH + 3600)
}

/// `azd auth token` output.
pub fn azd_output(token: &str) -> String {
    format!(r#"{{"token": "{token}", "expiresOn": "2030-01-01T01:00:00Z"}}"#)
}

/// An Entra ID token response.
pub fn entra_body(token: &str) -> String {
    format!(r#"{{"token_type":"Bearer","access_token":"{token}","expires_in":3600}}"#)
}

/// An IMDS token response.
pub fn imds_body(token: &str) -> String {
    format!(
        r#"{{"access_token":"{token}","expires_on":"{}","resource":"https://vault.azure.net","token_type":"Bearer"}}"#,
        EPOCH + 3600
    )
}

/// The program names the runner was asked to start, in order.
pub fn programs(runner: &ScriptedProcessRunner) -> Vec<String> {
    runner
        .requests()
        .iter()
        .map(|r| r.program.display().to_string())
        .collect()
}

/// The attempts of a chain error.
pub fn attempts(err: &CredentialError) -> &[CredentialError] {
    match err {
        CredentialError::ChainFailed { attempts, .. } => attempts,
        other => panic!("expected ChainFailed, got {other:?}"),
    }
}

/// `err` and its causes joined by `: `, as an error reporter prints them.
pub fn report(err: &CredentialError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The credential names of a chain error's attempts.
pub fn attempt_names(err: &CredentialError) -> Vec<&'static str> {
    attempts(err).iter().map(|a| a.credential()).collect()
}
