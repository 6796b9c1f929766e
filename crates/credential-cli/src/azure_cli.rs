//! [`AzureCliCredential`]: a token from `az account get-access-token`.

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
use time::UtcOffset;

use crate::classify::{Failure, classify_az};
use crate::common::{
    Common, CommonOptions, Tool, claims_unsupported, in_directory, non_blank_str, not_signed_in,
    tool_builder_methods, tool_credential_constructors, tool_failed, unexpected_output,
    with_tenant,
};
use crate::expiry;
use crate::platform::Platform;
use crate::validate::validate_subscription;

const NAME: &str = credential_core::__private::credential_names::AZURE_CLI;

pub(crate) const TOOL: Tool = Tool {
    credential: NAME,
    display_name: "Azure CLI",
    install_help: "Install it from https://aka.ms/azure-cli, then sign in with `az login`.",
    builder: "AzureCliCredentialBuilder",
};

/// Gets tokens from the Azure CLI (`az`) a developer has signed in to.
///
/// Runs `az account get-access-token --output json --resource <resource>
/// [--tenant <tenant>] [--subscription <subscription>]` without a shell, from
/// `/bin` (`%SystemRoot%` on Windows), with `AZURE_CORE_NO_COLOR=true`, and
/// stops it after the timeout (10 s by default). Tokens are cached in memory,
/// so a second call within a token's life starts no process.
///
/// ```no_run
/// use credential_cli::AzureCliCredential;
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_core::CredentialError> {
/// let credential = AzureCliCredential::builder()
///     .with_subscription("00000000-0000-0000-0000-000000000000")
///     .with_process_timeout(std::time::Duration::from_secs(20))
///     .build()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzureCliCredential {
    common: Common,
    subscription: Option<String>,
    local_offset: UtcOffset,
    cache: TokenCache,
}

/// Builds an [`AzureCliCredential`].
#[derive(Debug, Clone, Default)]
pub struct AzureCliCredentialBuilder {
    common: CommonOptions,
    subscription: Option<String>,
    local_offset: Option<UtcOffset>,
}

impl AzureCliCredentialBuilder {
    tool_builder_methods!("--tenant", "the CLI");

    /// Gets tokens for this subscription (`--subscription`), by id or name.
    pub fn with_subscription(mut self, subscription: impl Into<String>) -> Self {
        self.subscription = Some(subscription.into());
        self
    }

    /// The UTC offset of the machine's local time, used only when the CLI is
    /// too old to print `expires_on` and its `expiresOn` is a local time.
    /// Defaults to UTC (see the crate docs for why).
    pub fn with_local_offset(mut self, offset: UtcOffset) -> Self {
        self.local_offset = Some(offset);
        self
    }

    /// Checks the options (tenant and subscription characters, timeout).
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a tenant or subscription
    /// with characters outside the allowed set (or starting with `-`), or a zero
    /// timeout.
    pub fn build(self) -> Result<AzureCliCredential, CredentialError> {
        let common = self.common.build(&TOOL)?;
        let subscription = self
            .subscription
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if let Some(subscription) = &subscription {
            validate_subscription(NAME, subscription)?;
        }
        Ok(AzureCliCredential {
            cache: common.token_cache(&TOOL, subscription.as_deref()),
            common,
            subscription,
            local_offset: self.local_offset.unwrap_or(UtcOffset::UTC),
        })
    }
}

impl AzureCliCredential {
    tool_credential_constructors!(AzureCliCredentialBuilder);

    async fn fetch(
        &self,
        resource: &str,
        tenant: Option<&str>,
    ) -> Result<AccessToken, CredentialError> {
        let program = self
            .common
            .program(&TOOL, program_names(self.common.platform))?;
        let cwd = self.common.working_directory(&TOOL)?;
        let request = build_request(
            program,
            cwd,
            resource,
            tenant,
            self.subscription.as_deref(),
            self.common.timeout,
        );
        let output = self.common.launch(&TOOL, request).await?;
        if !output.success() {
            return Err(failure_error(&output, tenant));
        }
        parse_output(&output.stdout, self.local_offset)
    }
}

fn program_names(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Windows => &["az.cmd", "az"],
        Platform::Unix => &["az"],
    }
}

/// The launch: fixed arguments, the safe directory, no colour codes.
pub(crate) fn build_request(
    program: PathBuf,
    cwd: PathBuf,
    resource: &str,
    tenant: Option<&str>,
    subscription: Option<&str>,
    timeout: Duration,
) -> ProcessRequest {
    let mut args = vec![
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
        resource,
    ];
    if let Some(tenant) = tenant {
        args.extend(["--tenant", tenant]);
    }
    if let Some(subscription) = subscription {
        args.extend(["--subscription", subscription]);
    }
    let mut request = ProcessRequest::new(program, args);
    request
        .env
        .push(("AZURE_CORE_NO_COLOR".into(), "true".into()));
    in_directory(request, cwd, timeout)
}

/// Reads `accessToken` and `expires_on` (epoch seconds, number or string),
/// else `expiresOn` (local time at `local_offset`). Never echoes the output.
pub(crate) fn parse_output(
    stdout: &str,
    local_offset: UtcOffset,
) -> Result<AccessToken, CredentialError> {
    let unexpected = |what: &str| {
        unexpected_output(
            &TOOL,
            "the Azure CLI",
            what,
            "run `az account get-access-token --output json` yourself to see it, and update the CLI if it is old",
        )
    };
    let json: Value =
        serde_json::from_str(stdout.trim()).map_err(|_| unexpected("output that is not JSON"))?;
    let token = non_blank_str(&json, "accessToken")
        .ok_or_else(|| unexpected("JSON without an \"accessToken\" string"))?;
    let expires_on = match json.get("expires_on").filter(|v| !v.is_null()) {
        Some(epoch) => expiry::from_epoch(epoch)
            .ok_or_else(|| unexpected("an \"expires_on\" that is not a number of seconds"))?,
        None => {
            let local = json
                .get("expiresOn")
                .and_then(Value::as_str)
                .ok_or_else(|| unexpected("JSON without \"expires_on\" or \"expiresOn\""))?;
            expiry::from_local(local, local_offset).ok_or_else(|| {
                unexpected("an \"expiresOn\" that is not of the form YYYY-MM-DD HH:MM:SS.ffffff")
            })?
        }
    };
    Ok(AccessToken::new(token, expires_on))
}

/// A non-zero exit: not installed, not signed in, or another failure.
pub(crate) fn failure_error(output: &ProcessOutput, tenant: Option<&str>) -> CredentialError {
    match classify_az(output.exit_code, &output.stderr) {
        Failure::NotInstalled => crate::common::not_installed(&TOOL),
        Failure::NotLoggedIn => not_signed_in(&TOOL, "the Azure CLI", &login_command(tenant), ""),
        _ => tool_failed(&TOOL, output, &output.stderr),
    }
}

fn login_command(tenant: Option<&str>) -> String {
    with_tenant("az login".to_owned(), "--tenant", tenant)
}

/// The Unavailable error for a claims challenge, with the command that
/// satisfies it.
pub(crate) fn claims_error(claims: &str, scope: &str, tenant: Option<&str>) -> CredentialError {
    let command = with_tenant(
        format!(
            "az login --claims-challenge {} --scope {scope}",
            STANDARD.encode(claims)
        ),
        "--tenant",
        tenant,
    );
    claims_unsupported(&TOOL, " (Azure CLI 2.76.0 or later)", &command)
}

#[async_trait]
impl TokenCredential for AzureCliCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let resource = self
            .common
            .resource_for(&TOOL, scopes, options, claims_error)?;
        // The tenant is checked only on a cache miss (a tenant that is not
        // allowed is never cached), so a cached token costs no allocation.
        self.cache
            .get_or_fetch(scopes, options, || {
                // Owned, because a refresh ahead of expiry runs in the background.
                let (this, resource) = (self.clone(), resource.to_owned());
                let tenant = self.common.tenant_for(&TOOL, options);
                async move { this.fetch(&resource, tenant?.as_deref()).await }
            })
            .await
    }
}

impl fmt::Debug for AzureCliCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("tenant_id", &self.common.tenant_id)
            .field("subscription", &self.subscription)
            .field("timeout", &self.common.timeout)
            .field("additionally_allowed_tenants", &self.common.allowed)
            .field("cache", &self.cache)
            .finish()
    }
}
