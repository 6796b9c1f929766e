//! What the three tool credentials share: builder options, the resolved
//! configuration, and launching a tool with its failures mapped to errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use credential_core::__private::cache_store::{CachePartition, SecondLevel};
use credential_core::__private::entra::{AllowedTenants, resolve_tenant, scope_to_resource};
use credential_core::{
    CredentialError, PersistentTokenCache, ProcessError, ProcessOutput, ProcessRequest,
    ProviderContext, TokenCache, TokenRequestOptions,
};
use serde_json::Value;

use crate::platform::{Platform, find_program, working_directory};
use crate::validate::{single_scope, validate_tenant};

/// How long a tool may run before it is stopped, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A tool, for error messages.
#[derive(Debug)]
pub(crate) struct Tool {
    /// The credential's name.
    pub credential: &'static str,
    /// The tool's name for people, e.g. "Azure CLI".
    pub display_name: &'static str,
    /// What to do when it is not installed.
    pub install_help: &'static str,
    /// The builder whose `with_process_timeout` raises the timeout.
    pub builder: &'static str,
}

/// Builder options every tool credential has.
#[derive(Debug, Clone)]
pub(crate) struct CommonOptions {
    pub context: Option<ProviderContext>,
    pub tenant_id: Option<String>,
    pub timeout: Duration,
    pub additionally_allowed_tenants: Vec<String>,
    pub persistent_cache: Option<PersistentTokenCache>,
    pub background_refresh: bool,
}

impl Default for CommonOptions {
    fn default() -> Self {
        Self {
            context: None,
            tenant_id: None,
            timeout: DEFAULT_TIMEOUT,
            additionally_allowed_tenants: Vec::new(),
            persistent_cache: None,
            background_refresh: true,
        }
    }
}

impl CommonOptions {
    /// Checks the options and resolves the context.
    pub(crate) fn build(self, tool: &Tool) -> Result<Common, CredentialError> {
        let tenant_id = self
            .tenant_id
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if let Some(tenant) = &tenant_id {
            validate_tenant(tool.credential, tenant)?;
        }
        if self.timeout.is_zero() {
            return Err(CredentialError::invalid_configuration(
                tool.credential,
                format!("the timeout must be longer than zero; the default is {DEFAULT_TIMEOUT:?}"),
            ));
        }
        Ok(Common {
            ctx: self.context.unwrap_or_else(ProviderContext::system),
            tenant_id,
            timeout: self.timeout,
            allowed: AllowedTenants::new(self.additionally_allowed_tenants),
            platform: Platform::current(),
            persistent_cache: self.persistent_cache,
            background_refresh: self.background_refresh,
        })
    }
}

/// The checked configuration every tool credential has.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub ctx: ProviderContext,
    pub tenant_id: Option<String>,
    pub timeout: Duration,
    pub allowed: AllowedTenants,
    pub platform: Platform,
    pub persistent_cache: Option<PersistentTokenCache>,
    pub background_refresh: bool,
}

impl Common {
    /// The credential's token cache: in memory, with the persistent cache
    /// (if configured) as its second level, partitioned by the credential,
    /// the configured tenant and `extra` (e.g. the subscription).
    pub(crate) fn token_cache(&self, tool: &Tool, extra: Option<&str>) -> TokenCache {
        let second_level = self.persistent_cache.clone().map(|cache| {
            SecondLevel::new(
                cache,
                CachePartition {
                    tenant: self.tenant_id.clone().unwrap_or_default(),
                    client_id: extra.unwrap_or_default().to_owned(),
                    ..CachePartition::new(tool.credential)
                },
            )
        });
        TokenCache::new(self.ctx.clock.clone())
            .with_background_refresh(self.background_refresh)
            .with_second_level(second_level)
    }

    /// The tenant for this request under the multi-tenant rules.
    pub(crate) fn tenant_for(
        &self,
        tool: &Tool,
        options: &TokenRequestOptions,
    ) -> Result<Option<String>, CredentialError> {
        let tenant = resolve_tenant(
            tool.credential,
            self.tenant_id.as_deref(),
            options.tenant_id(),
            &self.allowed,
            &self.ctx.env,
        )?;
        if let Some(tenant) = &tenant {
            validate_tenant(tool.credential, tenant)?;
        }
        Ok(tenant)
    }

    /// The resource of a request for a single scope. The tool cannot satisfy
    /// a claims challenge, so a request with claims is refused with
    /// `claims_error(claims, scope, tenant)`.
    pub(crate) fn resource_for<'s>(
        &self,
        tool: &Tool,
        scopes: &[&'s str],
        options: &TokenRequestOptions,
        claims_error: impl FnOnce(&str, &str, Option<&str>) -> CredentialError,
    ) -> Result<&'s str, CredentialError> {
        let scope = single_scope(tool.credential, scopes)?;
        if let Some(claims) = options.claims() {
            let tenant = self.tenant_for(tool, options)?;
            return Err(claims_error(claims, scope, tenant.as_deref()));
        }
        Ok(scope_to_resource(scope))
    }

    /// The first of `names` on `PATH`, or "not installed".
    pub(crate) fn program(&self, tool: &Tool, names: &[&str]) -> Result<PathBuf, CredentialError> {
        find_program(&self.ctx.env, &self.ctx.fs, self.platform, names)
            .ok_or_else(|| not_installed(tool))
    }

    /// The safe directory to run tools in.
    pub(crate) fn working_directory(&self, tool: &Tool) -> Result<PathBuf, CredentialError> {
        working_directory(tool.credential, &self.ctx.env, self.platform)
    }

    /// Runs a request; a launch failure or a timeout becomes an error.
    pub(crate) async fn launch(
        &self,
        tool: &Tool,
        request: ProcessRequest,
    ) -> Result<ProcessOutput, CredentialError> {
        tracing::debug!(
            credential = tool.credential,
            program = %request.program.display(),
            "starting developer tool"
        );
        let timeout = request.timeout;
        self.ctx
            .process
            .run(request)
            .await
            .map_err(|error| launch_error(tool, timeout, error))
    }
}

/// "Not installed", with what to do about it.
pub(crate) fn not_installed(tool: &Tool) -> CredentialError {
    CredentialError::unavailable(
        tool.credential,
        format!(
            "{} was not found on PATH. {}",
            tool.display_name, tool.install_help
        ),
    )
}

fn launch_error(tool: &Tool, timeout: Duration, error: ProcessError) -> CredentialError {
    match error {
        ProcessError::NotFound { .. } => not_installed(tool),
        ProcessError::TimedOut { .. } => CredentialError::unavailable(
            tool.credential,
            format!(
                "{} did not finish within the timeout of {timeout:?} and was stopped. \
                 If it is only slow (first use, slow network), raise the timeout with \
                 {}::with_process_timeout (the default is {DEFAULT_TIMEOUT:?})",
                tool.display_name, tool.builder
            ),
        ),
        ProcessError::Io { program, source } => CredentialError::unavailable(
            tool.credential,
            format!(
                "could not run {} ({}): {source}",
                tool.display_name,
                program.display()
            ),
        ),
        other => CredentialError::unavailable(
            tool.credential,
            format!("could not run {}: {other}", tool.display_name),
        ),
    }
}

/// "Other failure": a [`CredentialError::DeveloperTool`] carrying the exit
/// code and the tool's error output, with anything that looks like a token
/// removed.
pub(crate) fn tool_failed(tool: &Tool, output: &ProcessOutput, details: &str) -> CredentialError {
    let details = crate::sanitize::sanitize(details);
    let details = if details.is_empty() {
        "it printed no error message".to_owned()
    } else {
        details
    };
    CredentialError::developer_tool(
        tool.credential,
        tool.display_name,
        output.exit_code,
        details,
    )
}

/// `request`, run in the safe directory `cwd` and stopped after `timeout`.
pub(crate) fn in_directory(
    mut request: ProcessRequest,
    cwd: PathBuf,
    timeout: Duration,
) -> ProcessRequest {
    request.current_dir = Some(cwd);
    request.timeout = timeout;
    request
}

/// "Unexpected output": `subject` (the tool) printed `what`. The output is
/// never echoed (it may hold a token); `advice` says how to see it and what
/// to update.
pub(crate) fn unexpected_output(
    tool: &Tool,
    subject: &str,
    what: &str,
    advice: &str,
) -> CredentialError {
    CredentialError::unexpected_response(
        tool.credential,
        None,
        format!(
            "{subject} printed {what} (the output is not shown because it may hold a token); {advice}"
        ),
    )
}

/// "Not signed in": `subject` (the tool) needs `command`, run
/// `where_to_run` (e.g. " in PowerShell").
pub(crate) fn not_signed_in(
    tool: &Tool,
    subject: &str,
    command: &str,
    where_to_run: &str,
) -> CredentialError {
    CredentialError::unavailable(
        tool.credential,
        format!("{subject} is not signed in. Run `{command}`{where_to_run} and try again"),
    )
}

/// `base` followed by `flag tenant` when there is a tenant: a command line
/// for the user to run.
pub(crate) fn with_tenant(base: String, flag: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(tenant) => format!("{base} {flag} {tenant}"),
        None => base,
    }
}

/// The Unavailable error for a claims challenge: the tool cannot satisfy one,
/// so the message names the `command` that signs in with the claims, to be
/// run `where_to_run` (e.g. " in PowerShell").
pub(crate) fn claims_unsupported(
    tool: &Tool,
    where_to_run: &str,
    command: &str,
) -> CredentialError {
    CredentialError::unavailable(
        tool.credential,
        format!(
            "this credential does not support claims challenges. To sign in with the required claims, \
             run the following command{where_to_run}: {command}"
        ),
    )
}

/// The non-blank string at `key` of a tool's JSON output (the token).
pub(crate) fn non_blank_str<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key)
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
}

/// `Debug` of a tool credential with only the common configuration and the
/// token cache.
pub(crate) fn debug_tool_credential(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    common: &Common,
    cache: &TokenCache,
) -> fmt::Result {
    f.debug_struct(name)
        .field("tenant_id", &common.tenant_id)
        .field("timeout", &common.timeout)
        .field("additionally_allowed_tenants", &common.allowed)
        .field("cache", cache)
        .finish()
}

/// The builder methods every tool credential shares: context, tenant,
/// timeout and additionally allowed tenants. `$flag` is the tool's tenant
/// argument and `$tool` its name, for the docs.
macro_rules! tool_builder_methods {
    ($flag:literal, $tool:literal) => {
        /// Uses this context (environment, files, clock, process runner) instead
        /// of the real system.
        pub fn with_context(mut self, context: ProviderContext) -> Self {
            self.common.context = Some(context);
            self
        }

        #[doc = concat!("Gets tokens from this tenant (`", $flag, "`) unless a request names an")]
        /// allowed other one.
        pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
            self.common.tenant_id = Some(tenant_id.into());
            self
        }

        #[doc = concat!("Stops ", $tool, " after this long (default 10 s).")]
        pub fn with_process_timeout(mut self, timeout: Duration) -> Self {
            self.common.timeout = timeout;
            self
        }

        /// Tenants a request may name besides the configured one; `"*"` allows any.
        pub fn with_additionally_allowed_tenants(
            mut self,
            tenants: impl IntoIterator<Item = impl Into<String>>,
        ) -> Self {
            self.common.additionally_allowed_tenants =
                tenants.into_iter().map(Into::into).collect();
            self
        }

        #[doc = concat!("Whether a token inside its refresh window is refreshed by running ", $tool)]
        /// in a task spawned on the caller's tokio runtime while the caller gets
        /// the cached token (`true`, the default), or inline by the caller that
        /// finds it stale (`false`: no task is ever spawned).
        pub fn with_background_refresh(mut self, background: bool) -> Self {
            self.common.background_refresh = background;
            self
        }

        #[doc = concat!("Also keeps tokens in this named persistent cache, so that a new process")]
        #[doc = concat!("starts no ", $tool, " while a token is valid (off by default). The cache")]
        /// is keyed by credential and tenant, not by the signed-in account: after
        /// signing in as someone else, clear it.
        pub fn with_persistent_token_cache(
            mut self,
            cache: credential_core::PersistentTokenCache,
        ) -> Self {
            self.common.persistent_cache = Some(cache);
            self
        }
    };
}

pub(crate) use tool_builder_methods;

/// `builder()` and `new()` of a tool credential whose builder is `$builder`.
macro_rules! tool_credential_constructors {
    ($builder:ident) => {
        /// A builder with the defaults.
        pub fn builder() -> $builder {
            $builder::default()
        }

        /// A credential with the defaults.
        ///
        /// # Errors
        /// As the builder's `build()`; the defaults themselves pass its
        /// checks.
        pub fn new() -> Result<Self, CredentialError> {
            Self::builder().build()
        }
    };
}

pub(crate) use tool_credential_constructors;

/// `build()` of a builder with only the common options, for a credential with
/// only `common` and `cache` fields and a `TOOL` in scope.
macro_rules! common_only_build {
    ($credential:ident) => {
        /// Checks the options (tenant characters, timeout).
        ///
        /// # Errors
        /// [`CredentialError::InvalidConfiguration`] for a tenant with characters
        /// outside the allowed set (or starting with `-`), or a zero timeout.
        pub fn build(self) -> Result<$credential, CredentialError> {
            let common = self.common.build(&TOOL)?;
            Ok($credential {
                cache: common.token_cache(&TOOL, None),
                common,
            })
        }
    };
}

pub(crate) use common_only_build;
