//! [`WorkloadIdentityCredential`]: a federated token file (AKS workload
//! identity) exchanged for an Entra ID token.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use credential_core::__private::entra::{validate_client_id_from, validate_tenant_id_from};
use credential_core::__private::env_vars::{
    AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID,
};
use credential_core::{
    AccessToken, CredentialError, ProviderContext, Secret, TokenCredential, TokenRequestOptions,
    async_trait,
};
use time::{Duration, OffsetDateTime};

use crate::options::{CommonOptions, allowed_tenants_from_env, common_builder_methods};
use crate::service_principal::ServicePrincipal;

const NAME: &str = credential_core::__private::credential_names::WORKLOAD_IDENTITY;

/// How long a read of the token file is used before the file is read again
/// (Kubernetes rotates it).
pub const TOKEN_FILE_MAX_AGE: Duration = Duration::minutes(5);

/// Exchanges a federated token (a Kubernetes service-account token) for an
/// Entra ID token, sending it as a `jwt-bearer` client assertion.
///
/// Each of tenant id, client id and token file path comes from the builder,
/// else from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
/// `AZURE_FEDERATED_TOKEN_FILE`; the authority from the builder, else
/// `AZURE_AUTHORITY_HOST`; the additionally allowed tenants from the builder,
/// else `AZURE_ADDITIONALLY_ALLOWED_TENANTS`. A missing value makes `build`
/// fail with [`CredentialError::Unavailable`] naming every missing one; a
/// present but malformed one (a tenant id with spaces, an `http://`
/// authority) with [`CredentialError::InvalidConfiguration`] naming the
/// variable or option it came from.
///
/// The file is read on a cache miss, trimmed, and read again when the last
/// read is 5 minutes old (by the context's clock). `Debug` never shows the
/// token.
///
/// ```no_run
/// use credential_env::WorkloadIdentityCredential;
/// # fn f() -> Result<(), credential_core::CredentialError> {
/// // In a pod set up for workload identity, the webhook's variables
/// // (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE) suffice:
/// let credential = WorkloadIdentityCredential::new()?;
/// // Elsewhere, or to override them:
/// let credential = WorkloadIdentityCredential::builder()
///     .with_tenant_id("contoso.onmicrosoft.com")
///     .with_client_id("00000000-0000-0000-0000-000000000001")
///     .with_token_file_path("/var/run/secrets/azure/tokens/azure-identity-token")
///     .build()?;
/// # let _ = credential; Ok(()) }
/// ```
#[derive(Clone)]
pub struct WorkloadIdentityCredential {
    principal: ServicePrincipal,
    token_file: PathBuf,
    last_read: Arc<Mutex<Option<(OffsetDateTime, Secret)>>>,
}

impl WorkloadIdentityCredential {
    /// A credential configured from the process environment.
    ///
    /// # Errors
    /// As [`WorkloadIdentityCredentialBuilder::build`].
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A credential configured from `context`'s environment, for
    /// `DefaultAzureCredential`.
    ///
    /// # Errors
    /// As [`WorkloadIdentityCredentialBuilder::build`].
    pub fn from_context(context: ProviderContext) -> Result<Self, CredentialError> {
        Self::builder().with_context(context).build()
    }

    /// A builder; every value not given is read from the environment.
    pub fn builder() -> WorkloadIdentityCredentialBuilder {
        WorkloadIdentityCredentialBuilder::default()
    }

    /// The federated token: the last read if younger than 5 minutes, else
    /// the file, trimmed.
    async fn assertion(&self) -> Result<Secret, CredentialError> {
        let now = self.principal.context.clock.now();
        if let Some((read_at, token)) = &*lock(&self.last_read)
            && now - *read_at < TOKEN_FILE_MAX_AGE
        {
            return Ok(token.clone());
        }
        let token = read_token_file(&self.principal.context, &self.token_file).await?;
        *lock(&self.last_read) = Some((now, token.clone()));
        Ok(token)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

async fn read_token_file(ctx: &ProviderContext, path: &Path) -> Result<Secret, CredentialError> {
    let content = ctx.fs.read_to_string(path).await.map_err(|e| {
        CredentialError::invalid_configuration(
            NAME,
            format!(
                "could not read the federated token file {} ({e}); set {AZURE_FEDERATED_TOKEN_FILE} \
                 (or with_token_file_path) to the projected service account token's path, and \
                 check that the pod has the label azure.workload.identity/use: \"true\" so that \
                 the token is projected",
                path.display()
            ),
        )
    })?;
    let token = content.trim();
    if token.is_empty() {
        return Err(CredentialError::invalid_configuration(
            NAME,
            format!(
                "the federated token file {} is empty; {AZURE_FEDERATED_TOKEN_FILE} (or \
                 with_token_file_path) must name the projected service account token",
                path.display()
            ),
        ));
    }
    Ok(Secret::new(token))
}

impl fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal
            .debug_struct(f, NAME)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for WorkloadIdentityCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.principal
            .get_token_with_assertion(scopes, options, || {
                let this = self.clone();
                async move { this.assertion().await }
            })
            .await
    }
}

/// Builds a [`WorkloadIdentityCredential`].
#[derive(Debug, Default)]
pub struct WorkloadIdentityCredentialBuilder {
    tenant_id: Option<String>,
    client_id: Option<String>,
    token_file_path: Option<PathBuf>,
    common: CommonOptions,
}

impl WorkloadIdentityCredentialBuilder {
    common_builder_methods!();

    /// The tenant id (default: `AZURE_TENANT_ID`).
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The client id of the app registration or user-assigned identity the
    /// federated credential belongs to (default: `AZURE_CLIENT_ID`).
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The federated token file (default: `AZURE_FEDERATED_TOKEN_FILE`).
    pub fn with_token_file_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file_path = Some(path.into());
        self
    }

    /// Fills what was not given from the environment and checks it all.
    ///
    /// # Errors
    /// [`CredentialError::Unavailable`] when the tenant id, client id or token
    /// file path is neither given nor in the environment (each missing one is
    /// named); [`CredentialError::InvalidConfiguration`] when one is present but
    /// malformed, or the authority host is bad, naming the input and the fix.
    pub fn build(mut self) -> Result<WorkloadIdentityCredential, CredentialError> {
        let context = self.common.context();
        let env = &context.env;
        env.require_unicode(
            NAME,
            &[AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE],
        )?;
        let given = |v: Option<String>, option: &'static str| {
            v.filter(|s| !s.trim().is_empty()).map(|v| (v, option))
        };
        let tenant_id = given(self.tenant_id, "with_tenant_id")
            .or_else(|| env.get(AZURE_TENANT_ID).map(|v| (v, AZURE_TENANT_ID)));
        let client_id = given(self.client_id, "with_client_id")
            .or_else(|| env.get(AZURE_CLIENT_ID).map(|v| (v, AZURE_CLIENT_ID)));
        let token_file = self
            .token_file_path
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| env.get(AZURE_FEDERATED_TOKEN_FILE).map(PathBuf::from));
        let mut missing = Vec::new();
        if tenant_id.is_none() {
            missing.push(format!(
                "the tenant id (with_tenant_id or {AZURE_TENANT_ID})"
            ));
        }
        if client_id.is_none() {
            missing.push(format!(
                "the client id (with_client_id or {AZURE_CLIENT_ID})"
            ));
        }
        if token_file.is_none() {
            missing.push(format!(
                "the token file path (with_token_file_path or {AZURE_FEDERATED_TOKEN_FILE})"
            ));
        }
        let (Some((tenant_id, tenant_origin)), Some((client_id, client_origin)), Some(token_file)) =
            (tenant_id, client_id, token_file)
        else {
            return Err(CredentialError::unavailable(
                NAME,
                format!(
                    "workload identity is not fully configured; missing {}. \
                     See https://learn.microsoft.com/azure/aks/workload-identity-overview",
                    missing.join(", ")
                ),
            ));
        };
        validate_tenant_id_from(NAME, tenant_origin, tenant_id.trim())?;
        validate_client_id_from(NAME, client_origin, client_id.trim())?;
        if self.common.additionally_allowed_tenants.is_none() {
            self.common.additionally_allowed_tenants = allowed_tenants_from_env(NAME, env)?;
        }
        let principal = ServicePrincipal::new(NAME, &tenant_id, &client_id, &self.common, context)?;
        Ok(WorkloadIdentityCredential {
            principal,
            token_file,
            last_read: Arc::new(Mutex::new(None)),
        })
    }
}
