//! [`AzurePowerShellCredential`]: a token from Azure PowerShell's
//! `Get-AzAccessToken`.

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

use crate::classify::{Failure, NO_MODULE_MARKER, classify_powershell};
use crate::common::{
    Common, CommonOptions, Tool, claims_unsupported, common_only_build, debug_tool_credential,
    in_directory, non_blank_str, not_installed, not_signed_in, tool_builder_methods,
    tool_credential_constructors, tool_failed, unexpected_output, with_tenant,
};
use crate::expiry;
use crate::platform::Platform;

const NAME: &str = credential_core::__private::credential_names::AZURE_POWERSHELL;

pub(crate) const TOOL: Tool = Tool {
    credential: NAME,
    display_name: "Azure PowerShell",
    install_help: "Install PowerShell 7 (https://aka.ms/install-powershell) and the Az.Accounts module \
                   (`Install-Module -Name Az.Accounts -Scope CurrentUser`), then sign in with `Connect-AzAccount`.",
    builder: "AzurePowerShellCredentialBuilder",
};

/// Gets tokens from Azure PowerShell (the Az.Accounts module) a developer
/// has signed in to with `Connect-AzAccount`.
///
/// Runs `pwsh -NoProfile -NonInteractive -EncodedCommand <script>` without a
/// shell (on Windows, `powershell` when `pwsh` is not installed), from `/bin`
/// (`%SystemRoot%` on Windows), and stops it after the timeout (10 s by
/// default). The script imports Az.Accounts (2.2.0 or later), calls
/// `Get-AzAccessToken -ResourceUrl <resource> [-TenantId <tenant>]`, turns a
/// `SecureString` token into text and prints one JSON line
/// `{"Token": …, "ExpiresOn": <epoch seconds>}`. Tokens are cached in memory.
///
/// ```no_run
/// use credential_cli::AzurePowerShellCredential;
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_core::CredentialError> {
/// let credential = AzurePowerShellCredential::new()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzurePowerShellCredential {
    common: Common,
    cache: TokenCache,
}

/// Builds an [`AzurePowerShellCredential`].
#[derive(Debug, Clone, Default)]
pub struct AzurePowerShellCredentialBuilder {
    common: CommonOptions,
}

impl AzurePowerShellCredentialBuilder {
    tool_builder_methods!("-TenantId", "PowerShell");

    common_only_build!(AzurePowerShellCredential);
}

impl AzurePowerShellCredential {
    tool_credential_constructors!(AzurePowerShellCredentialBuilder);

    async fn fetch(
        &self,
        resource: &str,
        tenant: Option<&str>,
    ) -> Result<AccessToken, CredentialError> {
        let program = self
            .common
            .program(&TOOL, program_names(self.common.platform))?;
        let cwd = self.common.working_directory(&TOOL)?;
        let request = build_request(program, cwd, resource, tenant, self.common.timeout);
        let output = self.common.launch(&TOOL, request).await?;
        if output.stdout.contains(NO_MODULE_MARKER) || !output.success() {
            return Err(failure_error(&output, tenant));
        }
        parse_output(&output.stdout)
    }
}

/// `pwsh` everywhere; Windows PowerShell only on Windows, as a fallback.
fn program_names(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Windows => &["pwsh", "powershell"],
        Platform::Unix => &["pwsh"],
    }
}

/// The script. `resource` and `tenant` have been validated (no quotes, no
/// white space), so single-quoting them is safe.
pub(crate) fn script(resource: &str, tenant: Option<&str>) -> String {
    let tenant_line = tenant
        .map(|t| format!("$params['TenantId'] = '{t}'\n"))
        .unwrap_or_default();
    format!(
        "$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$module = Get-Module -ListAvailable -Name Az.Accounts | Where-Object {{ $_.Version -ge [version]'2.2.0' }} | Sort-Object Version -Descending | Select-Object -First 1
if (-not $module) {{ Write-Output '{NO_MODULE_MARKER}'; exit 0 }}
Import-Module -ModuleInfo $module
$params = @{{ ResourceUrl = '{resource}' }}
{tenant_line}if ($module.Version -ge [version]'2.17.0' -and $module.Version -lt [version]'5.0.0') {{ $params['AsSecureString'] = $true }}
$token = Get-AzAccessToken @params
$plain = $token.Token
if ($plain -is [System.Security.SecureString]) {{
    $bstr = [System.Runtime.InteropServices.Marshal]::SecureStringToBSTR($plain)
    try {{ $plain = [System.Runtime.InteropServices.Marshal]::PtrToStringBSTR($bstr) }}
    finally {{ [System.Runtime.InteropServices.Marshal]::ZeroFreeBSTR($bstr) }}
}}
$result = [ordered]@{{ Token = $plain; ExpiresOn = $token.ExpiresOn.ToUnixTimeSeconds() }}
Write-Output (ConvertTo-Json -InputObject $result -Compress)
"
    )
}

/// The script in the form `-EncodedCommand` takes: base64 of UTF-16LE.
pub(crate) fn encode_command(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    STANDARD.encode(bytes)
}

/// The launch: fixed arguments, the script encoded, the safe directory.
pub(crate) fn build_request(
    program: PathBuf,
    cwd: PathBuf,
    resource: &str,
    tenant: Option<&str>,
    timeout: Duration,
) -> ProcessRequest {
    let request = ProcessRequest::new(
        program,
        [
            "-NoProfile".to_owned(),
            "-NonInteractive".to_owned(),
            "-EncodedCommand".to_owned(),
            encode_command(&script(resource, tenant)),
        ],
    );
    in_directory(request, cwd, timeout)
}

/// Reads the last JSON line holding `Token`; `ExpiresOn` is epoch seconds
/// (number or string) or an RFC 3339 time. Never echoes the output.
pub(crate) fn parse_output(stdout: &str) -> Result<AccessToken, CredentialError> {
    let unexpected = |what: &str| {
        unexpected_output(
            &TOOL,
            "Azure PowerShell",
            what,
            "run `Get-AzAccessToken` in PowerShell yourself to see it, and update Az.Accounts if it is old",
        )
    };
    let line = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with('{') && l.contains("Token"))
        .ok_or_else(|| unexpected("no JSON line with a token"))?;
    let json: Value =
        serde_json::from_str(line).map_err(|_| unexpected("a line that is not valid JSON"))?;
    let token = non_blank_str(&json, "Token")
        .ok_or_else(|| unexpected("JSON without a \"Token\" string"))?;
    let expires = json
        .get("ExpiresOn")
        .ok_or_else(|| unexpected("JSON without \"ExpiresOn\""))?;
    let expires_on = expiry::from_epoch(expires)
        .or_else(|| expires.as_str().and_then(expiry::from_rfc3339))
        .ok_or_else(|| unexpected("an \"ExpiresOn\" that is neither epoch seconds nor RFC 3339"))?;
    Ok(AccessToken::new(token, expires_on))
}

/// A failure: not installed, no Az.Accounts, not signed in, or another one.
pub(crate) fn failure_error(output: &ProcessOutput, tenant: Option<&str>) -> CredentialError {
    let text = format!("{}\n{}", output.stdout, output.stderr);
    match classify_powershell(output.exit_code, &text) {
        Failure::NotInstalled => not_installed(&TOOL),
        Failure::MissingModule => CredentialError::unavailable(
            NAME,
            "the Az.Accounts module (2.2.0 or later) is not installed. Run \
             `Install-Module -Name Az.Accounts -Scope CurrentUser -Repository PSGallery -Force` in PowerShell, \
             then `Connect-AzAccount`",
        ),
        Failure::NotLoggedIn => not_signed_in(
            &TOOL,
            "Azure PowerShell",
            &connect_command(tenant),
            " in PowerShell",
        ),
        _ => tool_failed(&TOOL, output, &output.stderr),
    }
}

fn connect_command(tenant: Option<&str>) -> String {
    with_tenant("Connect-AzAccount".to_owned(), "-Tenant", tenant)
}

/// The Unavailable error for a claims challenge, with the command that
/// satisfies it.
pub(crate) fn claims_error(claims: &str, tenant: Option<&str>) -> CredentialError {
    let command = with_tenant(
        format!(
            "Connect-AzAccount -ClaimsChallenge {}",
            STANDARD.encode(claims)
        ),
        "-Tenant",
        tenant,
    );
    claims_unsupported(&TOOL, " in PowerShell", &command)
}

#[async_trait]
impl TokenCredential for AzurePowerShellCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let resource =
            self.common
                .resource_for(&TOOL, scopes, options, |claims, _scope, tenant| {
                    claims_error(claims, tenant)
                })?;
        // The tenant is checked only on a cache miss (see AzureCliCredential).
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

impl fmt::Debug for AzurePowerShellCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_tool_credential(f, NAME, &self.common, &self.cache)
    }
}
