//! [`DefaultAzureCredentialBuilder`]: the options, and building every link.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use credential_cli::__private::DEFAULT_TIMEOUT;
use credential_cli::{AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential};
use credential_core::__private::entra::validate_request_timeout;
use credential_core::__private::env_vars::AZURE_CLIENT_ID;
use credential_core::__private::transport_with_ca_pems;
use credential_core::RetryPolicy;
use credential_core::{
    CloudConfiguration, CredentialError, PersistentTokenCache, ProviderContext, SharedHttpClient,
    TokenCredential,
};
use credential_env::{EnvironmentCredential, WorkloadIdentityCredential};
use credential_msi::{ManagedIdentityCredential, UserAssignedId};
use url::Url;

use crate::credential::DefaultAzureCredential;
use crate::kind::{AZURE_TOKEN_CREDENTIALS, Selection};
use crate::link::link;
use crate::{CredentialKind, NAME};

/// Builds a [`DefaultAzureCredential`].
///
/// ```
/// use credential_default::{CredentialKind, DefaultAzureCredential};
/// let credential = DefaultAzureCredential::builder()
///     .with_excluded(CredentialKind::AzurePowerShell)
///     .with_process_timeout(std::time::Duration::from_secs(20))
///     .build()
///     .unwrap();
/// assert!(!credential.credential_kinds().contains(&CredentialKind::AzurePowerShell));
/// ```
#[derive(Debug, Clone)]
pub struct DefaultAzureCredentialBuilder {
    excluded: HashSet<CredentialKind>,
    managed_identity: Option<UserAssignedId>,
    workload_identity_client_id: Option<String>,
    workload_identity_tenant_id: Option<String>,
    tenant_id: Option<String>,
    process_timeout: Duration,
    authority_host: Option<String>,
    additionally_allowed_tenants: Option<Vec<String>>,
    context: Option<ProviderContext>,
    imds_endpoint: Option<Url>,
    required_env_vars: Vec<String>,
    require_token_credentials_env_var: bool,
    retry_policy: Option<RetryPolicy>,
    request_timeout: Option<Duration>,
    http_client: Option<SharedHttpClient>,
    ca_pems: Vec<Vec<u8>>,
    cloud: Option<CloudConfiguration>,
    persistent_cache: Option<PersistentTokenCache>,
    background_refresh: bool,
}

impl Default for DefaultAzureCredentialBuilder {
    fn default() -> Self {
        Self {
            excluded: HashSet::new(),
            managed_identity: None,
            workload_identity_client_id: None,
            workload_identity_tenant_id: None,
            tenant_id: None,
            process_timeout: DEFAULT_TIMEOUT,
            authority_host: None,
            additionally_allowed_tenants: None,
            context: None,
            imds_endpoint: None,
            required_env_vars: Vec::new(),
            require_token_credentials_env_var: false,
            retry_policy: None,
            request_timeout: None,
            http_client: None,
            ca_pems: Vec::new(),
            cloud: None,
            persistent_cache: None,
            background_refresh: true,
        }
    }
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl DefaultAzureCredentialBuilder {
    /// Leaves `kind` out of the chain. Exclusions apply on top of
    /// `AZURE_TOKEN_CREDENTIALS`.
    pub fn with_excluded(mut self, kind: CredentialKind) -> Self {
        self.excluded.insert(kind);
        self
    }

    /// The user-assigned managed identity (default: `AZURE_CLIENT_ID` as a
    /// [`UserAssignedId::ClientId`]; neither means the system-assigned
    /// identity). A client id is also the workload identity's client id
    /// unless that is given.
    pub fn with_managed_identity(mut self, id: UserAssignedId) -> Self {
        self.managed_identity = Some(id);
        self
    }

    /// The workload identity's client id (default: the managed identity
    /// client id, else `AZURE_CLIENT_ID`).
    pub fn with_workload_identity_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.workload_identity_client_id = Some(client_id.into());
        self
    }

    /// The workload identity's tenant id (default: `AZURE_TENANT_ID`).
    pub fn with_workload_identity_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.workload_identity_tenant_id = Some(tenant_id.into());
        self
    }

    /// The tenant the developer tools (Azure CLI, Azure PowerShell, Azure
    /// Developer CLI) get tokens from (default: the tool's signed-in tenant).
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// How long a developer tool may run before it is stopped (default 10 s).
    pub fn with_process_timeout(mut self, timeout: Duration) -> Self {
        self.process_timeout = timeout;
        self
    }

    /// The Entra ID authority host for every link that talks to Entra ID:
    /// environment, workload identity and managed identity's token exchange
    /// (default: the [`with_cloud`](Self::with_cloud) cloud's, else
    /// `AZURE_AUTHORITY_HOST`, else the public cloud). The developer tools
    /// use their own cloud setting (`az cloud set`).
    pub fn with_authority_host(mut self, authority_host: impl Into<String>) -> Self {
        self.authority_host = Some(authority_host.into());
        self
    }

    /// The Azure cloud every network link uses: its authority host (unless
    /// [`with_authority_host`](Self::with_authority_host) gives one) and its
    /// default audiences, which [`DefaultAzureCredential::cloud`] hands to
    /// clients (e.g. the Key Vault scope). Default: the public cloud, with
    /// `AZURE_AUTHORITY_HOST` honoured.
    pub fn with_cloud(mut self, cloud: CloudConfiguration) -> Self {
        self.cloud = Some(cloud);
        self
    }

    /// How every network link retries its token requests (environment,
    /// workload identity, and managed identity sources other than IMDS,
    /// which keeps its own policy). Default: [`RetryPolicy::default`].
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// How long one try of a network link's token request may take before
    /// it is abandoned as timed out (default 30 s). The managed identity
    /// probe keeps its 1 s.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The HTTP client every network link sends with (default: the
    /// context's, the process-wide `ReqwestHttpClient`). To send with a
    /// `reqwest::Client` of your own, wrap it in a small
    /// [`HttpClient`](credential_core::HttpClient) (the trait's docs show
    /// one); its own timeouts are kept.
    pub fn with_http_client(mut self, http: SharedHttpClient) -> Self {
        self.http_client = Some(http);
        self
    }

    /// Also trusts the CA certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks) for every network link, for an authority or
    /// managed identity endpoint behind a private CA, or a local emulator
    /// with TLS: the links then send through an HTTP client of their own that
    /// trusts the system's roots plus these. May be called more than once;
    /// [`build`](Self::build) checks the PEM.
    ///
    /// ```no_run
    /// # fn f() -> Result<(), credential_default::CredentialError> {
    /// # let pem = "";
    /// use credential_default::DefaultAzureCredential;
    /// let credential = DefaultAzureCredential::builder()
    ///     .with_ca_pem(pem) // e.g. the emulator's certificate
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pems.push(pem.as_ref().to_vec());
        self
    }

    /// Tenants besides the configured one a request's `tenant_id` may name
    /// (`"*"` for any), for every credential that has a tenant (default for
    /// the environment and workload identity credentials:
    /// `AZURE_ADDITIONALLY_ALLOWED_TENANTS`).
    pub fn with_additionally_allowed_tenants<T: Into<String>>(
        mut self,
        tenants: impl IntoIterator<Item = T>,
    ) -> Self {
        self.additionally_allowed_tenants = Some(tenants.into_iter().map(Into::into).collect());
        self
    }

    /// The environment, files, clock, HTTP client and process runner every
    /// link uses (default: [`ProviderContext::system`]).
    pub fn with_context(mut self, context: ProviderContext) -> Self {
        self.context = Some(context);
        self
    }

    /// Sends the managed identity's IMDS requests (and probe) to this base URL
    /// instead of `http://169.254.169.254`.
    pub fn with_imds_endpoint(mut self, base: Url) -> Self {
        self.imds_endpoint = Some(base);
        self
    }

    /// Environment variables that must be set (and not blank), or
    /// construction fails naming the missing ones (JavaScript's
    /// `requiredEnvVars`).
    pub fn with_required_env_vars<T: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = T>,
    ) -> Self {
        self.required_env_vars = names.into_iter().map(Into::into).collect();
        self
    }

    /// When true, construction fails unless `AZURE_TOKEN_CREDENTIALS` is set
    /// (Python's `require_envvar`).
    pub fn with_required_token_credentials_env_var(mut self, require: bool) -> Self {
        self.require_token_credentials_env_var = require;
        self
    }

    /// Also keeps the tokens of the environment, workload identity and
    /// developer tool credentials in this named persistent cache, shared by
    /// processes (off by default). The managed identity's tokens are not
    /// persisted: its endpoint is local and cheap.
    pub fn with_persistent_token_cache(mut self, cache: PersistentTokenCache) -> Self {
        self.persistent_cache = Some(cache);
        self
    }

    /// Whether each link refreshes a token inside its refresh window in a
    /// task spawned on the caller's tokio runtime while the caller gets the
    /// cached token (`true`, the default), or inline in the caller that
    /// finds it stale (`false`: no link ever spawns a task). Passed to
    /// every link's `with_background_refresh`.
    pub fn with_background_refresh(mut self, background: bool) -> Self {
        self.background_refresh = background;
        self
    }

    /// Checks the options and the variables, and builds every included link.
    ///
    /// Fails only on the default credential's own configuration: an invalid
    /// `AZURE_TOKEN_CREDENTIALS`, a required variable that is missing, or
    /// every link excluded. A
    /// link that could not be built is kept as an entry that returns why:
    /// "unavailable" when its inputs are absent (the chain moves on), a
    /// configuration error when they are present but wrong (the chain stops
    /// there).
    ///
    /// # Errors
    /// As listed above: [`CredentialError::InvalidConfiguration`] for the default
    /// credential's own configuration (including a PEM given to
    /// [`with_ca_pem`](Self::with_ca_pem) that holds no certificate, or
    /// `with_ca_pem` together with [`with_http_client`](Self::with_http_client)).
    /// A link that could not be built does not fail construction: its error
    /// comes from `get_token`.
    pub fn build(self) -> Result<DefaultAzureCredential, CredentialError> {
        let mut ctx = self.context.clone().unwrap_or_else(ProviderContext::system);
        if let Some(http) = self.transport()? {
            ctx = ctx.with_http(http);
        }
        self.check_required(&ctx)?;
        validate_request_timeout(NAME, self.request_timeout)?;
        ctx.env.require_unicode(NAME, &[AZURE_TOKEN_CREDENTIALS])?;
        let selection = Selection::parse(ctx.env.get(AZURE_TOKEN_CREDENTIALS).as_deref())?;
        let kinds: Vec<CredentialKind> = CredentialKind::all()
            .filter(|k| selection.includes(*k) && !self.excluded.contains(k))
            .collect();
        if kinds.is_empty() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                format!(
                    "every credential is excluded (by the builder's with_excluded calls{}); \
                     include at least one",
                    match selection {
                        Selection::All => String::new(),
                        _ => format!(" and {AZURE_TOKEN_CREDENTIALS}"),
                    }
                ),
            ));
        }
        let links = kinds
            .into_iter()
            .map(|kind| {
                let built = self.build_link(kind, &ctx, selection);
                link(kind, built)
            })
            .collect();
        Ok(DefaultAzureCredential::from_links(
            links,
            self.cloud.clone().unwrap_or_default(),
        ))
    }

    /// The transport the links send with: the caller's, or one trusting the
    /// `with_ca_pem` certificates, or `None` for the context's.
    fn transport(&self) -> Result<Option<SharedHttpClient>, CredentialError> {
        transport_with_ca_pems(self.http_client.clone(), &self.ca_pems)
            .map_err(|e| CredentialError::invalid_configuration(NAME, e.message))
    }

    fn check_required(&self, ctx: &ProviderContext) -> Result<(), CredentialError> {
        if self.require_token_credentials_env_var && ctx.env.get(AZURE_TOKEN_CREDENTIALS).is_none()
        {
            return Err(CredentialError::invalid_configuration(
                NAME,
                format!(
                    "the {AZURE_TOKEN_CREDENTIALS} environment variable is required but is not \
                     set or is empty. Set it to 'dev', 'prod', or a specific credential name"
                ),
            ));
        }
        let missing: Vec<&str> = self
            .required_env_vars
            .iter()
            .map(String::as_str)
            .filter(|name| ctx.env.get(name).is_none())
            .collect();
        match missing.as_slice() {
            [] => Ok(()),
            [one] => Err(CredentialError::invalid_configuration(
                NAME,
                format!("required environment variable '{one}' for {NAME} is not set or empty"),
            )),
            many => Err(CredentialError::invalid_configuration(
                NAME,
                format!(
                    "required environment variables '{}' for {NAME} are not set or empty",
                    many.join(", ")
                ),
            )),
        }
    }

    fn build_link(
        &self,
        kind: CredentialKind,
        ctx: &ProviderContext,
        selection: Selection,
    ) -> Result<Arc<dyn TokenCredential>, CredentialError> {
        let mi_client_id = match &self.managed_identity {
            Some(UserAssignedId::ClientId(id)) => given(Some(id.clone())),
            _ => None,
        };
        let tenants = self.additionally_allowed_tenants.clone();
        let tool_tenant = given(self.tenant_id.clone());
        let authority_host = self
            .authority_host
            .clone()
            .or_else(|| self.cloud.as_ref().map(|c| c.authority_host().to_owned()));
        // The network links share their options: authority host, retry
        // policy, per-try timeout and background refresh.
        macro_rules! network_link {
            ($builder:expr) => {{
                let mut b = $builder;
                if let Some(host) = &authority_host {
                    b = b.with_authority_host(host.clone());
                }
                if let Some(policy) = &self.retry_policy {
                    b = b.with_retry_policy(policy.clone());
                }
                if let Some(timeout) = self.request_timeout {
                    b = b.with_request_timeout(timeout);
                }
                b.with_background_refresh(self.background_refresh)
            }};
        }
        let persistent = self.persistent_cache.clone();
        // The developer tools share their options: context, timeout, background
        // refresh, tenant, and additionally allowed tenants.
        macro_rules! developer_tool {
            ($builder:expr) => {{
                let mut b = $builder
                    .with_context(ctx.clone())
                    .with_process_timeout(self.process_timeout)
                    .with_background_refresh(self.background_refresh);
                if let Some(tenant) = tool_tenant {
                    b = b.with_tenant_id(tenant);
                }
                if let Some(tenants) = tenants {
                    b = b.with_additionally_allowed_tenants(tenants);
                }
                if let Some(cache) = persistent {
                    b = b.with_persistent_token_cache(cache);
                }
                Arc::new(b.build()?)
            }};
        }
        Ok(match kind {
            CredentialKind::Environment => {
                let mut b =
                    network_link!(EnvironmentCredential::builder().with_context(ctx.clone()));
                if let Some(tenants) = tenants {
                    b = b.with_additionally_allowed_tenants(tenants);
                }
                if let Some(cache) = persistent {
                    b = b.with_persistent_token_cache(cache);
                }
                Arc::new(b.build()?)
            }
            CredentialKind::WorkloadIdentity => {
                let mut b =
                    network_link!(WorkloadIdentityCredential::builder().with_context(ctx.clone()));
                if let Some(id) =
                    given(self.workload_identity_client_id.clone()).or_else(|| mi_client_id.clone())
                {
                    b = b.with_client_id(id);
                }
                if let Some(tenant) = given(self.workload_identity_tenant_id.clone()) {
                    b = b.with_tenant_id(tenant);
                }
                if let Some(tenants) = tenants {
                    b = b.with_additionally_allowed_tenants(tenants);
                }
                if let Some(cache) = persistent {
                    b = b.with_persistent_token_cache(cache);
                }
                Arc::new(b.build()?)
            }
            CredentialKind::ManagedIdentity => {
                let mut b = network_link!(
                    ManagedIdentityCredential::builder()
                        .with_context(ctx.clone())
                        .with_probe(selection != Selection::Only(CredentialKind::ManagedIdentity))
                );
                if let Some(id) = self
                    .managed_identity
                    .clone()
                    .or_else(|| ctx.env.get(AZURE_CLIENT_ID).map(UserAssignedId::ClientId))
                {
                    b = b.with_user_assigned_id(id);
                }
                if let Some(endpoint) = &self.imds_endpoint {
                    b = b.with_imds_endpoint(endpoint.clone());
                }
                let credential = b.build()?;
                // A detected source with malformed inputs stops the chain
                // before any link after it starts.
                credential.source_kind()?;
                Arc::new(credential)
            }
            CredentialKind::AzureCli => developer_tool!(AzureCliCredential::builder()),
            CredentialKind::AzurePowerShell => {
                developer_tool!(AzurePowerShellCredential::builder())
            }
            CredentialKind::AzureDeveloperCli => {
                developer_tool!(AzureDeveloperCliCredential::builder())
            }
        })
    }
}
