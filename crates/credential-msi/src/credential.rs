//! [`ManagedIdentityCredential`] and its builder: detection at build time,
//! then one thin `get_token` that dispatches to the detected source.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use credential_core::__private::entra::{
    AllowedTenants, TOKEN_REQUEST_TIMEOUT, resolve_tenant, scope_to_resource, send_token_request,
    validate_request_timeout, validate_scope,
};
use credential_core::__private::retry::{send_with_retry, send_with_rules};
use credential_core::RetryPolicy;
use credential_core::{
    AccessToken, CredentialError, HttpClient, HttpRequest, ProviderContext, Secret,
    SharedHttpClient, TokenCache, TokenCredential, TokenRequestOptions, async_trait,
};
use url::Url;

use crate::azure_arc::{self, ArcConfig, KeyDirectory};
use crate::identity::UserAssignedId;
use crate::imds::{self, ImdsConfig};
use crate::imds_retry::ImdsRetryPolicy;
use crate::response::parse_token_response;
use crate::source::{Detection, Source, SourceKind, detect};
use crate::{NAME, app_service, azure_ml, cloud_shell, service_fabric, token_exchange};

/// Gets tokens for the managed identity of the Azure resource this program
/// runs on: AKS workload identity (token exchange), Service Fabric, App
/// Service / Functions / Container Apps, Azure Machine Learning, Cloud Shell,
/// Azure Arc, or IMDS (VMs, scale sets), detected in that order from the
/// environment when the credential is built.
///
/// ```no_run
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// use credential_msi::{ManagedIdentityCredential, UserAssignedId};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // The system-assigned identity:
/// let credential = ManagedIdentityCredential::new()?;
/// // Or a user-assigned one:
/// let id: UserAssignedId = "client_id=00000000-0000-0000-0000-000000000001".parse()?;
/// let credential = ManagedIdentityCredential::builder()
///     .with_user_assigned_id(id)
///     .build()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
///
/// Errors: [`CredentialError::Unavailable`] when no managed identity is here
/// (IMDS unreachable, IMDS "identity not found", Docker Desktop's 403
/// "unreachable"); any other failure of a detected source is a different
/// variant, which stops a credential chain.
#[derive(Clone)]
pub struct ManagedIdentityCredential {
    ctx: ProviderContext,
    source: Arc<Result<Source, CredentialError>>,
    cache: TokenCache,
    retry: RetryPolicy,
    imds_retry: ImdsRetryPolicy,
    request_timeout: Duration,
    probe: bool,
    probe_succeeded: Arc<AtomicBool>,
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("source", &(*self.source).as_ref().map(Source::kind))
            .field("probe", &self.probe)
            .finish_non_exhaustive()
    }
}

impl ManagedIdentityCredential {
    /// The system-assigned identity, with the real environment.
    ///
    /// # Errors
    ///
    /// As [`ManagedIdentityCredentialBuilder::build`]: the detected source's
    /// inputs are wrong.
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A builder, for a user-assigned identity or other options.
    pub fn builder() -> ManagedIdentityCredentialBuilder {
        ManagedIdentityCredentialBuilder::default()
    }

    /// The source detected at build time, or why detection failed.
    ///
    /// # Errors
    /// The error that detection gave (a malformed endpoint variable, or an id
    /// kind the detected source does not support), which `get_token` returns too.
    pub fn source_kind(&self) -> Result<SourceKind, CredentialError> {
        (*self.source)
            .as_ref()
            .map(Source::kind)
            .map_err(Clone::clone)
    }

    async fn fetch(
        &self,
        source: &Source,
        scope: &str,
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let resource = scope_to_resource(scope);
        let kind = source.kind();
        let http = &*self.ctx.http;
        let result = match source {
            Source::TokenExchange { config, file } => {
                let tenant = resolve_tenant(
                    NAME,
                    Some(&config.tenant_id),
                    options.tenant_id(),
                    &AllowedTenants::default(),
                    &self.ctx.env,
                )?
                .unwrap_or_else(|| config.tenant_id.clone());
                let assertion = file
                    .read(&self.ctx.fs, &config.token_file, self.ctx.clock.now())
                    .await?;
                let request = token_exchange::build_request(
                    config,
                    &tenant,
                    scope,
                    options.claims(),
                    options.enable_cae,
                    &assertion,
                )
                .with_timeout(self.request_timeout);
                send_token_request(NAME, http, &request, &self.retry, &*self.ctx.clock).await
            }
            Source::ServiceFabric { config, http } => {
                let request = service_fabric::build_request(config, resource)
                    .with_timeout(self.request_timeout);
                self.send_and_parse(kind, &**http, request).await
            }
            Source::AppService(config) => {
                let request =
                    app_service::build_request(config, resource).with_timeout(self.request_timeout);
                self.send_and_parse(kind, http, request).await
            }
            Source::AzureMl(config) => {
                let request =
                    azure_ml::build_request(config, resource).with_timeout(self.request_timeout);
                self.send_and_parse(kind, http, request).await
            }
            Source::CloudShell(config) => {
                let request =
                    cloud_shell::build_request(config, resource).with_timeout(self.request_timeout);
                self.send_and_parse(kind, http, request).await
            }
            Source::AzureArc(config) => self.azure_arc(config, resource).await,
            Source::Imds(config) => self.imds(config, resource).await,
        };
        match &result {
            Ok(_) => tracing::debug!(credential = NAME, source = %kind, "got a token"),
            Err(error) => tracing::debug!(credential = NAME, source = %kind, %error, "no token"),
        }
        result
    }

    async fn send_and_parse(
        &self,
        kind: SourceKind,
        http: &dyn HttpClient,
        request: HttpRequest,
    ) -> Result<AccessToken, CredentialError> {
        let clock = &*self.ctx.clock;
        let requested_at = clock.now();
        let response = send_with_retry(http, &request, &self.retry, || clock.now())
            .await
            .map_err(|e| e.into_credential_error(NAME))?;
        response.tag_error(parse_token_response(
            kind,
            response.status.as_u16(),
            &response.body,
            requested_at,
        ))
    }

    async fn azure_arc(
        &self,
        config: &ArcConfig,
        resource: &str,
    ) -> Result<AccessToken, CredentialError> {
        let clock = &*self.ctx.clock;
        let http = &*self.ctx.http;
        let requested_at = clock.now();
        let send = |request: HttpRequest| async move {
            let request = request.with_timeout(self.request_timeout);
            send_with_retry(http, &request, &self.retry, || clock.now())
                .await
                .map_err(|e| e.into_credential_error(NAME))
        };
        let first = send(azure_arc::build_request(config, resource, None)).await?;
        let response = if first.status.as_u16() == 401 {
            let realm = azure_arc::challenge_path(&first)?;
            let directory = KeyDirectory::for_this_platform(&self.ctx.env);
            let path = azure_arc::validate_key_path(&realm, &directory)?;
            let unreadable = |e: std::io::Error| {
                CredentialError::invalid_configuration(
                    NAME,
                    format!(
                        "could not read the Azure Arc key file {} ({e}); the process must be \
                         allowed to read the agent's token directory (on Linux, run as root or \
                         a member of the himds group; on Windows, as an administrator or a \
                         member of 'Hybrid agent extension applications')",
                        path.display()
                    ),
                )
            };
            let size = self.ctx.fs.file_size(&path).await.map_err(unreadable)?;
            azure_arc::check_key_size(&path, size)?;
            let key = self
                .ctx
                .fs
                .read_to_string(&path)
                .await
                .map_err(unreadable)?;
            let key = Secret::new(key.trim());
            send(azure_arc::build_request(config, resource, Some(&key))).await?
        } else {
            first
        };
        let token = response.tag_error(parse_token_response(
            SourceKind::AzureArc,
            response.status.as_u16(),
            &response.body,
            requested_at,
        ))?;
        azure_arc::confirm_identity(&response.body, config.id.as_ref())?;
        Ok(token)
    }

    async fn imds(
        &self,
        config: &ImdsConfig,
        resource: &str,
    ) -> Result<AccessToken, CredentialError> {
        let clock = &*self.ctx.clock;
        let http = &*self.ctx.http;
        if self.probe && !config.skip_probe && !self.probe_succeeded.load(Ordering::Acquire) {
            imds::probe_outcome(http.send(imds::build_probe_request(config)).await)?;
            self.probe_succeeded.store(true, Ordering::Release);
            tracing::debug!("the IMDS endpoint answered the probe");
        }
        let requested_at = clock.now();
        let request = imds::build_request(config, resource).with_timeout(self.request_timeout);
        let response = send_with_rules(http, &request, &self.imds_retry.rules(), || clock.now())
            .await
            .map_err(imds::transport_failure)?;
        response.tag_error(parse_token_response(
            SourceKind::Imds,
            response.status.as_u16(),
            &response.body,
            requested_at,
        ))
    }
}

/// The one scope a managed identity request allows, validated.
fn single_scope<'a>(scopes: &[&'a str]) -> Result<&'a str, CredentialError> {
    match scopes {
        [scope] => {
            validate_scope(NAME, scope)?;
            Ok(scope)
        }
        _ => Err(CredentialError::invalid_configuration(
            NAME,
            format!(
                "managed identity tokens are for exactly one scope (a resource such as \
                 https://vault.azure.net/.default), but {} were requested",
                scopes.len()
            ),
        )),
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        (*self.source).as_ref().map_err(Clone::clone)?;
        let scope = single_scope(scopes)?;
        self.cache
            .get_or_fetch(scopes, options, || {
                // Owned, because a refresh ahead of expiry runs in the background.
                let (this, scope, options) = (self.clone(), scope.to_owned(), options.clone());
                async move {
                    let source = (*this.source).as_ref().map_err(Clone::clone)?;
                    this.fetch(source, &scope, &options).await
                }
            })
            .await
    }
}

/// Builds a [`ManagedIdentityCredential`].
///
/// ```
/// use credential_msi::{ManagedIdentityCredential, UserAssignedId};
/// let credential = ManagedIdentityCredential::builder()
///     .with_user_assigned_id(UserAssignedId::ClientId("00000000-0000-0000-0000-000000000001".into()))
///     .build()
///     .unwrap();
/// let err = ManagedIdentityCredential::builder()
///     .with_user_assigned_id(UserAssignedId::ObjectId(" ".into()))
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("object id is empty"));
/// ```
#[derive(Debug, Default)]
pub struct ManagedIdentityCredentialBuilder {
    user_assigned_id: Option<UserAssignedId>,
    context: Option<ProviderContext>,
    imds_endpoint: Option<Url>,
    probe: bool,
    retry: Option<RetryPolicy>,
    imds_retry: Option<ImdsRetryPolicy>,
    request_timeout: Option<Duration>,
    service_fabric_http: Option<SharedHttpClient>,
    http_client: Option<SharedHttpClient>,
    authority_host: Option<String>,
    background_refresh: Option<bool>,
}

impl ManagedIdentityCredentialBuilder {
    /// Use this user-assigned identity instead of the system-assigned one.
    /// A [`UserAssignedId::ClientId`] is also the client id for token
    /// exchange (AKS workload identity), instead of `AZURE_CLIENT_ID`. Given
    /// twice, the last one wins.
    pub fn with_user_assigned_id(mut self, id: UserAssignedId) -> Self {
        self.user_assigned_id = Some(id);
        self
    }

    /// Sends token requests through `http` (default: the process-wide
    /// `ReqwestHttpClient`; Service Fabric keeps its pinned client unless
    /// [`with_service_fabric_http_client`](Self::with_service_fabric_http_client)
    /// replaces it). A `reqwest::Client` of your own goes through a small
    /// adapter (see `credential_core::HttpClient`) and keeps its own
    /// timeouts. Takes precedence over the context's transport.
    pub fn with_http_client(mut self, http: SharedHttpClient) -> Self {
        self.http_client = Some(http);
        self
    }

    /// The environment, files, clock and HTTP client to use (tests inject
    /// their own; the default is [`ProviderContext::system`]).
    pub fn with_context(mut self, context: ProviderContext) -> Self {
        self.context = Some(context);
        self
    }

    /// Sends IMDS requests to this base URL (scheme, host, port and an
    /// optional path prefix) instead of `http://169.254.169.254`; it takes
    /// precedence over `AZURE_POD_IDENTITY_AUTHORITY_HOST`. Unlike that
    /// variable, it does not turn the probe off.
    pub fn with_imds_endpoint(mut self, base: Url) -> Self {
        self.imds_endpoint = Some(base);
        self
    }

    /// Probe mode, for `DefaultAzureCredential`: before the first IMDS token
    /// request, check with a 1 s probe that IMDS is there at all, so that a
    /// machine without IMDS is reported unavailable quickly. A success is
    /// remembered for the credential's life.
    pub fn with_probe(mut self, probe: bool) -> Self {
        self.probe = probe;
        self
    }

    /// Retries for every source except IMDS (default:
    /// [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Retries for IMDS (default: [`ImdsRetryPolicy::default`]).
    pub fn with_imds_retry_policy(mut self, policy: ImdsRetryPolicy) -> Self {
        self.imds_retry = Some(policy);
        self
    }

    /// How long one try of a token request may take before it is abandoned
    /// as timed out and retried under the source's retry policy (default
    /// 30 s). The IMDS probe keeps its own 1 s timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The Microsoft Entra authority host for token exchange (AKS workload
    /// identity), e.g. `https://login.microsoftonline.us` (default:
    /// `AZURE_AUTHORITY_HOST`, else the public cloud). Other sources ask
    /// their platform's endpoint and do not use it.
    pub fn with_authority_host(mut self, authority_host: impl Into<String>) -> Self {
        self.authority_host = Some(authority_host.into());
        self
    }

    /// Whether a token inside its refresh window is refreshed in a task
    /// spawned on the caller's tokio runtime while the caller gets the
    /// cached token (`true`, the default), or inline by the caller that
    /// finds it stale (`false`: no task is ever spawned).
    pub fn with_background_refresh(mut self, background: bool) -> Self {
        self.background_refresh = Some(background);
        self
    }

    /// The HTTP client for Service Fabric, instead of the default one that
    /// pins the server certificate to `IDENTITY_SERVER_THUMBPRINT`.
    pub fn with_service_fabric_http_client(mut self, http: SharedHttpClient) -> Self {
        self.service_fabric_http = Some(http);
        self
    }

    /// The credential, with its source detected from the environment.
    ///
    /// # Errors
    ///
    /// [`CredentialError::InvalidConfiguration`] when the user-assigned id
    /// is blank or holds white space, the request timeout is zero, or the
    /// detected source's inputs are wrong (a malformed endpoint, a
    /// non-Unicode variable, an id kind the source does not support).
    pub fn build(mut self) -> Result<ManagedIdentityCredential, CredentialError> {
        validate_request_timeout(NAME, self.request_timeout)?;
        let id = self.user_assigned_id.take();
        if let Some(id) = &id {
            id.validate()
                .map_err(|why| CredentialError::invalid_configuration(NAME, why))?;
        }
        let credential = self.build_with(id);
        credential.source_kind()?;
        Ok(credential)
    }

    fn build_with(self, id: Option<UserAssignedId>) -> ManagedIdentityCredential {
        let mut ctx = self.context.unwrap_or_else(ProviderContext::system);
        if let Some(http) = self.http_client {
            ctx = ctx.with_http(http);
        }
        let id = id.map(|id| match id {
            UserAssignedId::ClientId(v) => UserAssignedId::ClientId(v.trim().to_owned()),
            UserAssignedId::ObjectId(v) => UserAssignedId::ObjectId(v.trim().to_owned()),
            UserAssignedId::ResourceId(v) => UserAssignedId::ResourceId(v.trim().to_owned()),
        });
        let source = detect(&Detection {
            env: &ctx.env,
            fs: &ctx.fs,
            id: id.as_ref(),
            imds_endpoint: self.imds_endpoint.as_ref(),
            default_imds_endpoint: ctx.imds_endpoint.as_ref(),
            service_fabric_http: self.service_fabric_http.as_ref(),
            authority_host: self.authority_host.as_deref(),
        });
        match &source {
            Ok(source) => {
                tracing::debug!(source = %source.kind(), "managed identity source detected")
            }
            Err(error) => tracing::debug!(%error, "managed identity source is misconfigured"),
        }
        ManagedIdentityCredential {
            cache: TokenCache::new(ctx.clock.clone())
                .with_background_refresh(self.background_refresh.unwrap_or(true)),
            ctx,
            source: Arc::new(source),
            retry: self.retry.unwrap_or_default(),
            imds_retry: self.imds_retry.unwrap_or_default(),
            request_timeout: self.request_timeout.unwrap_or(TOKEN_REQUEST_TIMEOUT),
            probe: self.probe,
            probe_succeeded: Arc::new(AtomicBool::new(false)),
        }
    }
}
