//! Which managed identity source this environment offers, detected from its
//! variables (and, for Azure Arc, the agent's files) in a fixed order:
//! token exchange, Service Fabric, App Service, Azure Machine Learning,
//! Cloud Shell, Azure Arc, and IMDS as the fallback.

use std::fmt;

use credential_core::__private::entra::{
    resolve_authority_host, validate_client_id_from, validate_tenant_id_from,
};
use credential_core::__private::env_vars::{
    AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_POD_IDENTITY_AUTHORITY_HOST,
    AZURE_TENANT_ID, IDENTITY_ENDPOINT, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT, IMDS_ENDPOINT,
    MSI_ENDPOINT, MSI_SECRET,
};
use credential_core::{CredentialError, Env, Fs, Secret, SharedHttpClient};
use url::Url;

use crate::NAME;
use crate::app_service::AppServiceConfig;
use crate::azure_arc::{self, ArcConfig};
use crate::azure_ml::{self, AzureMlConfig};
use crate::cloud_shell::{self, CloudShellConfig};
use crate::identity::UserAssignedId;
use crate::imds::{DEFAULT_IMDS_HOST, ImdsConfig};
use crate::service_fabric::{self, ServiceFabricConfig};
use crate::tls::{Thumbprint, pinned_http_client};
use crate::token_exchange::{FederatedTokenFile, TokenExchangeConfig};

/// The kinds of managed identity source, in detection order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// AKS workload identity: a federated token exchanged at Entra ID.
    TokenExchange,
    /// Service Fabric.
    ServiceFabric,
    /// App Service, Functions, Container Apps.
    AppService,
    /// Azure Machine Learning.
    AzureMl,
    /// Azure Cloud Shell.
    CloudShell,
    /// Azure Arc-enabled servers.
    AzureArc,
    /// The Instance Metadata Service (VMs, scale sets, AKS nodes).
    Imds,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TokenExchange => "token exchange (workload identity)",
            Self::ServiceFabric => "Service Fabric",
            Self::AppService => "App Service",
            Self::AzureMl => "Azure Machine Learning",
            Self::CloudShell => "Cloud Shell",
            Self::AzureArc => "Azure Arc",
            Self::Imds => "IMDS",
        })
    }
}

/// A detected source with what it needs at request time.
#[derive(Debug)]
pub(crate) enum Source {
    TokenExchange {
        config: TokenExchangeConfig,
        file: FederatedTokenFile,
    },
    ServiceFabric {
        config: ServiceFabricConfig,
        http: SharedHttpClient,
    },
    AppService(AppServiceConfig),
    AzureMl(AzureMlConfig),
    CloudShell(CloudShellConfig),
    AzureArc(ArcConfig),
    Imds(ImdsConfig),
}

impl Source {
    pub(crate) fn kind(&self) -> SourceKind {
        match self {
            Self::TokenExchange { .. } => SourceKind::TokenExchange,
            Self::ServiceFabric { .. } => SourceKind::ServiceFabric,
            Self::AppService(_) => SourceKind::AppService,
            Self::AzureMl(_) => SourceKind::AzureMl,
            Self::CloudShell(_) => SourceKind::CloudShell,
            Self::AzureArc(_) => SourceKind::AzureArc,
            Self::Imds(_) => SourceKind::Imds,
        }
    }
}

/// Inputs to detection besides the environment.
pub(crate) struct Detection<'a> {
    pub env: &'a Env,
    pub fs: &'a Fs,
    pub id: Option<&'a UserAssignedId>,
    pub imds_endpoint: Option<&'a Url>,
    /// The context's IMDS endpoint, used when nothing else names one.
    pub default_imds_endpoint: Option<&'a Url>,
    pub service_fabric_http: Option<&'a SharedHttpClient>,
    /// The authority host for token exchange (default:
    /// `AZURE_AUTHORITY_HOST`, else the public cloud).
    pub authority_host: Option<&'a str>,
}

/// Parses an endpoint URL from a variable or option: `http` or `https` with
/// a host.
pub(crate) fn parse_endpoint(origin: &'static str, raw: &str) -> Result<Url, CredentialError> {
    let invalid = |why: String| {
        CredentialError::invalid_configuration(
            NAME,
            format!(
                "{origin} {} is not a valid http(s) URL ({why}); set {origin} to the endpoint \
                 URL the platform provides, or unset it where there is no such endpoint",
                credential_core::__private::entra::quote_untrusted(raw)
            ),
        )
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "expected http:// or https:// and a host".to_owned(),
        ));
    }
    Ok(url)
}

/// Detects the source, in order. Fails only when a source is detected but
/// misconfigured (a malformed URL, an id kind it does not support).
pub(crate) fn detect(d: &Detection<'_>) -> Result<Source, CredentialError> {
    let env = d.env;
    env.require_unicode(
        NAME,
        &[
            AZURE_FEDERATED_TOKEN_FILE,
            AZURE_TENANT_ID,
            AZURE_CLIENT_ID,
            IDENTITY_ENDPOINT,
            IDENTITY_HEADER,
            IDENTITY_SERVER_THUMBPRINT,
            MSI_ENDPOINT,
            MSI_SECRET,
            azure_ml::DEFAULT_IDENTITY_CLIENT_ID,
            IMDS_ENDPOINT,
            AZURE_POD_IDENTITY_AUTHORITY_HOST,
        ],
    )?;
    if let Some(source) = token_exchange(d)? {
        return Ok(source);
    }
    let id = d.id;
    if let (Some(endpoint), Some(header)) = (env.get(IDENTITY_ENDPOINT), env.get(IDENTITY_HEADER)) {
        let endpoint = parse_endpoint(IDENTITY_ENDPOINT, &endpoint)?;
        if let Some(thumbprint) = env.get(IDENTITY_SERVER_THUMBPRINT) {
            service_fabric::check_identity(id)?;
            let thumbprint = Thumbprint::parse(&thumbprint)?;
            let http = match d.service_fabric_http {
                Some(http) => http.clone(),
                None => pinned_http_client(thumbprint)?,
            };
            return Ok(Source::ServiceFabric {
                config: ServiceFabricConfig {
                    endpoint,
                    identity_header: Secret::new(header),
                    thumbprint,
                },
                http,
            });
        }
        return Ok(Source::AppService(AppServiceConfig {
            endpoint,
            identity_header: Secret::new(header),
            id: id.cloned(),
        }));
    }
    if let Some(endpoint) = env.get(MSI_ENDPOINT) {
        let endpoint = parse_endpoint(MSI_ENDPOINT, &endpoint)?;
        if let Some(secret) = env.get(MSI_SECRET) {
            let client_id =
                azure_ml::client_id_for(id, env.get(azure_ml::DEFAULT_IDENTITY_CLIENT_ID))?;
            return Ok(Source::AzureMl(AzureMlConfig {
                endpoint,
                secret: Secret::new(secret),
                client_id,
            }));
        }
        cloud_shell::check_identity(id)?;
        return Ok(Source::CloudShell(CloudShellConfig { endpoint }));
    }
    if let Some(source) = azure_arc(d)? {
        return Ok(source);
    }
    let config = match (d.imds_endpoint, env.get(AZURE_POD_IDENTITY_AUTHORITY_HOST)) {
        (Some(url), _) => {
            ImdsConfig::from_base("the IMDS endpoint option", url.as_str(), id.cloned())?
        }
        (None, Some(host)) => ImdsConfig::from_pod_identity_host(&host, id.cloned())?,
        (None, None) => match d.default_imds_endpoint {
            Some(url) => {
                ImdsConfig::from_base("the context's IMDS endpoint", url.as_str(), id.cloned())?
            }
            None => ImdsConfig::from_base("the IMDS address", DEFAULT_IMDS_HOST, id.cloned())?,
        },
    };
    Ok(Source::Imds(config))
}

fn token_exchange(d: &Detection<'_>) -> Result<Option<Source>, CredentialError> {
    let env = d.env;
    let (Some(token_file), Some(tenant_id)) = (
        env.get(AZURE_FEDERATED_TOKEN_FILE),
        env.get(AZURE_TENANT_ID),
    ) else {
        return Ok(None);
    };
    // An object or resource id names an identity token exchange cannot use
    // (it needs the client id): leave it to the other sources.
    let client_id = match d.id {
        Some(UserAssignedId::ClientId(client_id)) => client_id.clone(),
        Some(_) => return Ok(None),
        None => match env.get(AZURE_CLIENT_ID) {
            Some(client_id) => client_id,
            None => return Ok(None),
        },
    };
    validate_tenant_id_from(NAME, AZURE_TENANT_ID, tenant_id.trim())?;
    if d.id.is_none() {
        validate_client_id_from(NAME, AZURE_CLIENT_ID, client_id.trim())?;
    }
    let authority = resolve_authority_host(NAME, d.authority_host, env)?;
    Ok(Some(Source::TokenExchange {
        config: TokenExchangeConfig {
            authority,
            tenant_id: tenant_id.trim().to_owned(),
            client_id: client_id.trim().to_owned(),
            token_file: token_file.trim().into(),
        },
        file: FederatedTokenFile::default(),
    }))
}

fn azure_arc(d: &Detection<'_>) -> Result<Option<Source>, CredentialError> {
    let env = d.env;
    let endpoint = match (env.get(IDENTITY_ENDPOINT), env.get(IMDS_ENDPOINT)) {
        (Some(endpoint), Some(imds)) => {
            parse_endpoint(IMDS_ENDPOINT, &imds)?;
            parse_endpoint(IDENTITY_ENDPOINT, &endpoint)?
        }
        _ => match azure_arc::himds_path(env) {
            Some(path) if d.fs.is_file(&path) => parse_endpoint(
                "the Azure Arc default endpoint",
                azure_arc::DEFAULT_ENDPOINT,
            )?,
            _ => return Ok(None),
        },
    };
    let mut endpoint = endpoint;
    if endpoint.host_str() == Some("localhost") {
        // The agent listens on IPv4 only; avoid trying ::1 first.
        let _ = endpoint.set_host(Some("127.0.0.1"));
    }
    Ok(Some(Source::AzureArc(ArcConfig {
        endpoint,
        id: d.id.cloned(),
    })))
}
