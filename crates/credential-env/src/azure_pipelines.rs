//! [`AzurePipelinesCredential`]: an Azure DevOps service connection with
//! workload identity federation, inside a pipeline run.

use std::fmt;

use credential_core::__private::entra::quote_untrusted;
use credential_core::__private::env_vars::SYSTEM_OIDCREQUESTURI;
use credential_core::__private::retry::send_with_retry;
use credential_core::HttpRequest;
use credential_core::{
    AccessToken, CredentialError, HttpResponse, Method, Secret, TokenCredential,
    TokenRequestOptions, async_trait,
};
use serde::Deserialize;
use url::Url;

use crate::options::{CommonOptions, common_builder_methods};
use crate::service_principal::ServicePrincipal;

const NAME: &str = credential_core::__private::credential_names::AZURE_PIPELINES;

/// The Azure DevOps REST api-version of the OIDC token request.
pub const OIDC_API_VERSION: &str = "7.1";

/// Authenticates as the app registration or managed identity behind an
/// Azure DevOps service connection that uses workload identity federation.
///
/// On a cache miss it asks the pipeline for an OIDC token,
/// `POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId={id}`
/// with the job's `System.AccessToken` as a bearer token, and sends that
/// token to Microsoft Entra ID as a client assertion (as
/// [`ClientAssertionCredential`](crate::ClientAssertionCredential) does).
///
/// `SYSTEM_OIDCREQUESTURI` is set by Azure Pipelines; outside a pipeline
/// `build` fails with [`CredentialError::Unavailable`] naming it. The access
/// token must be passed in: map it into the task's environment
/// (`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`) and read it there.
/// Errors name the service connection; `Debug` never shows the access token
/// or the OIDC token. Not part of `DefaultAzureCredential` (as in the
/// reference SDKs).
///
/// ```no_run
/// use credential_env::AzurePipelinesCredential;
/// # fn f(system_access_token: String) -> Result<(), credential_core::CredentialError> {
/// // In a pipeline task (SYSTEM_OIDCREQUESTURI is set by Azure Pipelines),
/// // with $(System.AccessToken) mapped into the task's environment:
/// let credential = AzurePipelinesCredential::builder(
///     "contoso.onmicrosoft.com",
///     "00000000-0000-0000-0000-000000000001",
///     "my-service-connection-id",
///     system_access_token,
/// )
/// .build()?;
/// # let _ = credential;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzurePipelinesCredential {
    principal: ServicePrincipal,
    service_connection_id: String,
    system_access_token: Secret,
    oidc_request_uri: Url,
}

impl AzurePipelinesCredential {
    /// A builder for the service connection `service_connection_id` whose
    /// app registration (or managed identity) is `client_id` in `tenant_id`;
    /// `system_access_token` is the pipeline's `System.AccessToken`.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        service_connection_id: impl Into<String>,
        system_access_token: impl Into<Secret>,
    ) -> AzurePipelinesCredentialBuilder {
        AzurePipelinesCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            service_connection_id: service_connection_id.into(),
            system_access_token: system_access_token.into(),
            oidc_request_uri: None,
            common: CommonOptions::default(),
        }
    }

    /// The OIDC token request (pure).
    pub(crate) fn oidc_request(&self) -> HttpRequest {
        let mut url = self.oidc_request_uri.clone();
        url.query_pairs_mut()
            .append_pair("api-version", OIDC_API_VERSION)
            .append_pair("serviceConnectionId", &self.service_connection_id);
        HttpRequest::new(Method::POST, url)
            .with_header("content-type", "application/json")
            .with_header(
                "authorization",
                &format!("Bearer {}", self.system_access_token.expose_secret()),
            )
            .with_header("x-tfs-fedauthredirect", "Suppress")
            .with_timeout(self.principal.request_timeout)
    }

    /// Asks the pipeline for the service connection's OIDC token.
    async fn oidc_token(&self) -> Result<Secret, CredentialError> {
        let ctx = &self.principal.context;
        let clock = &*ctx.clock;
        let response = send_with_retry(
            &*ctx.http,
            &self.oidc_request(),
            &self.principal.retry_policy,
            || clock.now(),
        )
        .await
        .map_err(|e| e.into_credential_error(NAME))?;
        parse_oidc_response(&self.service_connection_id, &response)
    }
}

#[derive(Deserialize)]
struct OidcBody {
    #[serde(rename = "oidcToken")]
    oidc_token: Option<String>,
}

#[derive(Deserialize)]
struct DevOpsError {
    message: Option<String>,
}

/// Turns the OIDC endpoint's answer into the token, or an error naming the
/// service connection (pure).
fn parse_oidc_response(
    service_connection: &str,
    response: &HttpResponse,
) -> Result<Secret, CredentialError> {
    let status = response.status.as_u16();
    let connection = quote_untrusted(service_connection);
    let trace = trace_ids(response);
    if !response.status.is_success() {
        let detail = serde_json::from_slice::<DevOpsError>(&response.body)
            .ok()
            .and_then(|e| e.message)
            .map(|m| format!(": {}", m.lines().next().unwrap_or_default().trim()))
            .unwrap_or_default();
        let hint = match status {
            401 | 403 => {
                " Pass the job's $(System.AccessToken) (map it into the task's environment as \
                 SYSTEM_ACCESSTOKEN) and check that the pipeline may use the service connection."
            }
            404 => " Check the service connection id (Project settings > Service connections).",
            _ => "",
        };
        return Err(CredentialError::refused(
            NAME,
            Some(response.status),
            format!(
                "Azure Pipelines refused the OIDC token request for service connection \
                 {connection}{detail}{trace}.{hint}"
            ),
        ));
    }
    let body: OidcBody = serde_json::from_slice(&response.body).map_err(|_| {
        let content_type = response.header("content-type").unwrap_or("none");
        CredentialError::unexpected_response(
            NAME,
            Some(response.status),
            format!(
                "the OIDC token answer for service connection {connection} is not JSON \
                 (content type {content_type}){trace}; Azure DevOps answers its sign-in page \
                 when System.AccessToken is missing, wrong or expired: pass the job's \
                 $(System.AccessToken) to the credential"
            ),
        )
    })?;
    body.oidc_token
        .filter(|t| !t.trim().is_empty())
        .map(|t| Secret::new(t.trim()))
        .ok_or_else(|| {
            CredentialError::unexpected_response(
                NAME,
                Some(response.status),
                format!(
                    "the OIDC token answer for service connection {connection} has no \
                     oidcToken{trace}; check that the service connection uses workload identity \
                     federation"
                ),
            )
        })
}

/// `x-vss-e2eid` and `x-msedge-ref`, the ids Azure DevOps support asks for.
fn trace_ids(response: &HttpResponse) -> String {
    let ids: Vec<String> = [
        ("x-vss-e2eid", "x-vss-e2eid"),
        ("x-msedge-ref", "x-msedge-ref"),
    ]
    .into_iter()
    .filter_map(|(header, label)| {
        response
            .header(header)
            .filter(|v| !v.trim().is_empty())
            .map(|v| format!("{label} {}", quote_untrusted(v.trim())))
    })
    .collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    }
}

impl fmt::Debug for AzurePipelinesCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal
            .debug_struct(f, NAME)
            .field("service_connection_id", &self.service_connection_id)
            .field("oidc_request_uri", &self.oidc_request_uri.as_str())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for AzurePipelinesCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.principal
            .get_token_with_assertion(scopes, options, || {
                let this = self.clone();
                async move { this.oidc_token().await }
            })
            .await
    }
}

/// Builds an [`AzurePipelinesCredential`].
pub struct AzurePipelinesCredentialBuilder {
    tenant_id: String,
    client_id: String,
    service_connection_id: String,
    system_access_token: Secret,
    oidc_request_uri: Option<String>,
    common: CommonOptions,
}

impl fmt::Debug for AzurePipelinesCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzurePipelinesCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("service_connection_id", &self.service_connection_id)
            .field("oidc_request_uri", &self.oidc_request_uri)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl AzurePipelinesCredentialBuilder {
    common_builder_methods!();

    /// The OIDC request URL (default: `SYSTEM_OIDCREQUESTURI`).
    pub fn with_oidc_request_uri(mut self, uri: impl Into<String>) -> Self {
        self.oidc_request_uri = Some(uri.into());
        self
    }

    /// Checks the ids, the access token, the OIDC request URL and the
    /// authority host.
    ///
    /// # Errors
    /// [`CredentialError::Unavailable`] when `SYSTEM_OIDCREQUESTURI` is not set
    /// (this is not a pipeline job); [`CredentialError::InvalidConfiguration`]
    /// for a blank or malformed id, a blank access token, an OIDC request URL
    /// that is not `https`, or a bad authority host, naming the input and the fix.
    pub fn build(self) -> Result<AzurePipelinesCredential, CredentialError> {
        let principal =
            ServicePrincipal::from_options(NAME, &self.tenant_id, &self.client_id, &self.common)?;
        let service_connection_id = self.service_connection_id.trim().to_owned();
        if service_connection_id.is_empty() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the service connection id is blank; pass the id of the Azure Resource Manager \
                 service connection (Project settings > Service connections)",
            ));
        }
        if self.system_access_token.is_blank() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                format!(
                    "the System.AccessToken for service connection {} is blank; map \
                     $(System.AccessToken) into the task's environment (SYSTEM_ACCESSTOKEN) and \
                     pass it",
                    quote_untrusted(&service_connection_id)
                ),
            ));
        }
        principal
            .context
            .env
            .require_unicode(NAME, &[SYSTEM_OIDCREQUESTURI])?;
        let (raw, origin) = match self.oidc_request_uri.filter(|u| !u.trim().is_empty()) {
            Some(uri) => (uri, "with_oidc_request_uri"),
            None => match principal.context.env.get(SYSTEM_OIDCREQUESTURI) {
                Some(uri) => (uri, SYSTEM_OIDCREQUESTURI),
                None => {
                    return Err(CredentialError::unavailable(
                        NAME,
                        format!(
                            "{SYSTEM_OIDCREQUESTURI} is not set, so this is not an Azure \
                             Pipelines job (service connection {}); run inside a pipeline, or \
                             pass with_oidc_request_uri",
                            quote_untrusted(&service_connection_id)
                        ),
                    ));
                }
            },
        };
        let oidc_request_uri = Url::parse(raw.trim())
            .ok()
            .filter(|u| {
                u.scheme() == "https"
                    || (u.scheme() == "http" && credential_core::__private::is_loopback(u))
            })
            .ok_or_else(|| {
                CredentialError::invalid_configuration(
                    NAME,
                    format!(
                        "{origin} is {}, which is not an https URL; it must be the URL Azure \
                         Pipelines sets in {SYSTEM_OIDCREQUESTURI}",
                        quote_untrusted(&raw)
                    ),
                )
            })?;
        Ok(AzurePipelinesCredential {
            principal,
            service_connection_id,
            system_access_token: self.system_access_token,
            oidc_request_uri,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_core::StatusCode;
    use credential_core::{HeaderMap, HeaderValue};

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        headers.insert("x-vss-e2eid", HeaderValue::from_static("e2e-1"));
        HttpResponse::new(
            StatusCode::from_u16(status).unwrap(),
            headers,
            body.to_owned().into(),
        )
    }

    #[test]
    fn debug_never_shows_the_access_token() {
        let ctx = credential_core::ProviderContext::isolated().with_env(credential_core::Env::from_pairs([(
            "SYSTEM_OIDCREQUESTURI",
            "https://dev.azure.com/contoso/p/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
        )]));
        let builder = AzurePipelinesCredential::builder(
            "contoso.onmicrosoft.com",
            "00000000-0000-0000-0000-000000000001",
            "my-service-connection-id",
            "the-access-token-value",
        )
        .with_context(ctx);
        assert!(!format!("{builder:?}").contains("the-access-token-value"));
        let credential = builder.build().unwrap();
        let debug = format!("{credential:?}");
        assert!(debug.contains("my-service-connection-id"), "{debug}");
        assert!(!debug.contains("the-access-token-value"), "{debug}");
    }

    #[test]
    fn sign_in_page_is_explained() {
        let err = parse_oidc_response("sc-1", &response(200, "text/html", "<html>Sign in</html>"))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("service connection \"sc-1\" is not JSON"),
            "{text}"
        );
        assert!(text.contains("System.AccessToken"), "{text}");
        assert!(text.contains("x-vss-e2eid \"e2e-1\""), "{text}");
        assert!(!text.contains("Sign in"), "{text}");
    }

    #[test]
    fn refusal_names_the_service_connection() {
        let err = parse_oidc_response(
            "sc-2",
            &response(
                401,
                "application/json",
                r#"{"message":"TF400813: not authorized"}"#,
            ),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("service connection \"sc-2\": TF400813"),
            "{text}"
        );
        assert!(matches!(
            err,
            CredentialError::Authentication {
                status: Some(StatusCode::UNAUTHORIZED),
                ..
            }
        ));
    }
}
