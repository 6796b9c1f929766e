//! [`AzureDeveloperCliCredential`]: a token from `azd auth token`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credential_core::{
    AccessToken, CredentialError, ProcessOutput, ProcessRequest, ProviderContext, TokenCache,
    TokenCredential, TokenRequestOptions, async_trait,
};
use serde_json::Value;

use crate::classify::{Failure, classify_azd};
use crate::common::{
    Common, CommonOptions, Tool, common_only_build, debug_tool_credential, in_directory,
    non_blank_str, not_installed, not_signed_in, tool_builder_methods,
    tool_credential_constructors, tool_failed, unexpected_output, with_tenant,
};
use crate::expiry;
use crate::validate::validate_scopes;

const NAME: &str = credential_core::__private::credential_names::AZURE_DEVELOPER_CLI;

pub(crate) const TOOL: Tool = Tool {
    credential: NAME,
    display_name: "Azure Developer CLI",
    install_help: "Install it from https://aka.ms/azure-dev, then sign in with `azd auth login`.",
    builder: "AzureDeveloperCliCredentialBuilder",
};

/// Gets tokens from the Azure Developer CLI (`azd`) a developer has signed in to.
///
/// Runs `azd auth token --output json --no-prompt --scope <scope>…
/// [--tenant-id <tenant>] [--claims <base64 claims>]` without a shell, from
/// `/bin` (`%SystemRoot%` on Windows), with `NO_COLOR=true`, and stops it
/// after the timeout (10 s by default). Tokens are cached in memory.
///
/// ```no_run
/// use credential_cli::AzureDeveloperCliCredential;
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_core::CredentialError> {
/// let credential = AzureDeveloperCliCredential::builder().with_tenant_id("contoso.onmicrosoft.com").build()?;
/// let token = credential
///     .get_token(&["https://management.azure.com/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzureDeveloperCliCredential {
    common: Common,
    cache: TokenCache,
}

/// Builds an [`AzureDeveloperCliCredential`].
#[derive(Debug, Clone, Default)]
pub struct AzureDeveloperCliCredentialBuilder {
    common: CommonOptions,
}

impl AzureDeveloperCliCredentialBuilder {
    tool_builder_methods!("--tenant-id", "`azd`");

    common_only_build!(AzureDeveloperCliCredential);
}

impl AzureDeveloperCliCredential {
    tool_credential_constructors!(AzureDeveloperCliCredentialBuilder);

    async fn fetch(
        &self,
        scopes: &[&str],
        tenant: Option<&str>,
        claims: Option<&str>,
    ) -> Result<AccessToken, CredentialError> {
        let program = self.common.program(&TOOL, &["azd"])?;
        let cwd = self.common.working_directory(&TOOL)?;
        let request = build_request(program, cwd, scopes, tenant, claims, self.common.timeout);
        let output = self.common.launch(&TOOL, request).await?;
        if !output.success() {
            return Err(failure_error(&output, scopes, tenant));
        }
        parse_output(&output.stdout)
    }
}

/// The launch: fixed arguments, the safe directory, no colour codes.
pub(crate) fn build_request(
    program: PathBuf,
    cwd: PathBuf,
    scopes: &[&str],
    tenant: Option<&str>,
    claims: Option<&str>,
    timeout: Duration,
) -> ProcessRequest {
    let mut args: Vec<String> = ["auth", "token", "--output", "json", "--no-prompt"]
        .map(String::from)
        .to_vec();
    for scope in scopes {
        args.extend(["--scope".to_owned(), (*scope).to_owned()]);
    }
    if let Some(tenant) = tenant {
        args.extend(["--tenant-id".to_owned(), tenant.to_owned()]);
    }
    if let Some(claims) = claims {
        args.extend(["--claims".to_owned(), STANDARD.encode(claims)]);
    }
    let mut request = ProcessRequest::new(program, args);
    request.env.push(("NO_COLOR".into(), "true".into()));
    in_directory(request, cwd, timeout)
}

/// Reads `token` and `expiresOn` (RFC 3339, UTC). Never echoes the output.
pub(crate) fn parse_output(stdout: &str) -> Result<AccessToken, CredentialError> {
    let unexpected = |what: &str| {
        unexpected_output(
            &TOOL,
            "the Azure Developer CLI",
            what,
            "run `azd auth token --output json` yourself to see it, and update azd if it is old",
        )
    };
    let json: Value =
        serde_json::from_str(stdout.trim()).map_err(|_| unexpected("output that is not JSON"))?;
    let token = non_blank_str(&json, "token")
        .ok_or_else(|| unexpected("JSON without a \"token\" string"))?;
    let expires_on = json
        .get("expiresOn")
        .and_then(Value::as_str)
        .ok_or_else(|| unexpected("JSON without an \"expiresOn\" string"))
        .and_then(|text| {
            expiry::from_rfc3339(text)
                .ok_or_else(|| unexpected("an \"expiresOn\" that is not an RFC 3339 time"))
        })?;
    Ok(AccessToken::new(token, expires_on))
}

/// The messages of azd's JSON error lines (`error`, or `data.message`), else
/// the raw error output.
fn error_text(output: &ProcessOutput) -> String {
    let messages: Vec<String> = output
        .stderr
        .lines()
        .chain(output.stdout.lines())
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .filter_map(|json| {
            json.get("error")
                .and_then(Value::as_str)
                .or_else(|| json.pointer("/data/message").and_then(Value::as_str))
                .map(|m| m.trim().to_owned())
        })
        .filter(|m| !m.is_empty())
        .collect();
    if messages.is_empty() {
        output.stderr.clone()
    } else {
        messages.join("\n")
    }
}

/// A non-zero exit: not installed, not signed in, too old, or another failure.
pub(crate) fn failure_error(
    output: &ProcessOutput,
    scopes: &[&str],
    tenant: Option<&str>,
) -> CredentialError {
    let text = error_text(output);
    let needs_reauth = text.contains("must use multi-factor authentication")
        || text.contains("reauthentication required");
    if needs_reauth && !text.contains("AADSTS") {
        let mut command = "azd auth login".to_owned();
        for scope in scopes {
            command.push_str(&format!(" --scope {scope}"));
        }
        return CredentialError::unavailable(
            NAME,
            format!(
                "the Azure Developer CLI needs you to sign in again. Run `{command}` and try again"
            ),
        );
    }
    match classify_azd(output.exit_code, &text) {
        Failure::NotInstalled => not_installed(&TOOL),
        Failure::NotLoggedIn => {
            let command = with_tenant("azd auth login".to_owned(), "--tenant-id", tenant);
            not_signed_in(&TOOL, "the Azure Developer CLI", &command, "")
        }
        Failure::ClaimsUnsupported => CredentialError::unavailable(
            NAME,
            "claims challenges are not supported by the installed Azure Developer CLI; update it to version 1.18.1 or later",
        ),
        _ => tool_failed(&TOOL, output, &text),
    }
}

#[async_trait]
impl TokenCredential for AzureDeveloperCliCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        validate_scopes(NAME, scopes)?;
        let claims = options.claims();
        // The tenant is checked only on a cache miss (see AzureCliCredential).
        self.cache
            .get_or_fetch(scopes, options, || {
                // Owned, because a refresh ahead of expiry runs in the background.
                let this = self.clone();
                let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
                let claims = claims.map(str::to_owned);
                let tenant = self.common.tenant_for(&TOOL, options);
                async move {
                    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                    this.fetch(&scopes, tenant?.as_deref(), claims.as_deref())
                        .await
                }
            })
            .await
    }
}

impl fmt::Debug for AzureDeveloperCliCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_tool_credential(f, NAME, &self.common, &self.cache)
    }
}
