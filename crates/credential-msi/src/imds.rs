//! Azure Instance Metadata Service (IMDS): VMs, scale sets, AKS nodes, and
//! the fallback when no other source is detected.
//!
//! `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`
//! with `Metadata: true`; a user-assigned identity adds `client_id`,
//! `object_id` or `msi_res_id`. The host can be replaced through
//! `AZURE_POD_IDENTITY_AUTHORITY_HOST` or
//! [`crate::ManagedIdentityCredentialBuilder::with_imds_endpoint`].

use std::time::Duration;

use credential_core::__private::env_vars::AZURE_POD_IDENTITY_AUTHORITY_HOST;
use credential_core::Method;
use credential_core::{CredentialError, HttpRequest, HttpResponse, TransportError};
use url::Url;

use crate::NAME;
use crate::identity::{IdParameterNames, UserAssignedId};
use crate::source::SourceKind;

/// The IMDS address.
pub const DEFAULT_IMDS_HOST: &str = "http://169.254.169.254";
/// The token path, appended to the host (or to the override's base).
pub const TOKEN_PATH: &str = "/metadata/identity/oauth2/token";
/// The token path under `AZURE_POD_IDENTITY_AUTHORITY_HOST` (AKS pod
/// identity): with the trailing slash, as the JavaScript SDK sends it.
pub const POD_IDENTITY_TOKEN_PATH: &str = "/metadata/identity/oauth2/token/";
/// The api-version IMDS token requests use.
pub const API_VERSION: &str = "2018-02-01";
/// How long the availability probe waits for any answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) const ID_PARAMETERS: IdParameterNames = IdParameterNames {
    client_id: "client_id",
    object_id: "object_id",
    resource_id: "msi_res_id",
};

/// Where and how to ask IMDS for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsConfig {
    /// The full token URL (no query).
    pub endpoint: Url,
    /// The user-assigned identity, if any.
    pub id: Option<UserAssignedId>,
    /// True when `AZURE_POD_IDENTITY_AUTHORITY_HOST` names the endpoint: as
    /// both reference SDKs do, the endpoint then counts as available and no
    /// probe is sent.
    pub skip_probe: bool,
}

impl ImdsConfig {
    /// The token URL under `base` (a scheme and host, optionally a port and a
    /// path prefix; `http://` is assumed when no scheme is given).
    pub fn from_base(
        origin: &'static str,
        base: &str,
        id: Option<UserAssignedId>,
    ) -> Result<Self, CredentialError> {
        Self::with_path(origin, base, TOKEN_PATH, id)
    }

    /// The token URL under `AZURE_POD_IDENTITY_AUTHORITY_HOST` (AKS pod
    /// identity): [`POD_IDENTITY_TOKEN_PATH`], with its trailing slash, and
    /// no probe.
    pub fn from_pod_identity_host(
        host: &str,
        id: Option<UserAssignedId>,
    ) -> Result<Self, CredentialError> {
        Ok(Self {
            skip_probe: true,
            ..Self::with_path(
                AZURE_POD_IDENTITY_AUTHORITY_HOST,
                host,
                POD_IDENTITY_TOKEN_PATH,
                id,
            )?
        })
    }

    fn with_path(
        origin: &'static str,
        base: &str,
        path: &str,
        id: Option<UserAssignedId>,
    ) -> Result<Self, CredentialError> {
        let trimmed = base.trim().trim_end_matches('/');
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("http://{trimmed}")
        };
        // The base alone first, so that an error quotes the value as given.
        crate::source::parse_endpoint(origin, &with_scheme)?;
        let endpoint = crate::source::parse_endpoint(origin, &format!("{with_scheme}{path}"))?;
        Ok(Self {
            endpoint,
            id,
            skip_probe: false,
        })
    }
}

/// The token request.
pub fn build_request(config: &ImdsConfig, resource: &str) -> HttpRequest {
    let mut url = config.endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("api-version", API_VERSION);
        query.append_pair("resource", resource);
        if let Some(id) = &config.id {
            let (name, value) = ID_PARAMETERS.pair(id);
            query.append_pair(name, value);
        }
    }
    HttpRequest::new(Method::GET, url)
        .with_header("metadata", "true")
        .with_header("accept", "application/json")
}

/// The availability probe, as the JavaScript SDK sends it: the token path
/// with no query and no `Metadata` header, a 1 s timeout. IMDS answers it
/// with 400, which is enough to know it is there.
pub fn build_probe_request(config: &ImdsConfig) -> HttpRequest {
    HttpRequest::new(Method::GET, config.endpoint.clone())
        .with_header("accept", "application/json")
        .with_timeout(PROBE_TIMEOUT)
}

/// What a probe's outcome means: any HTTP answer is "available", except a 403
/// mentioning "unreachable" (Docker Desktop); no answer is "unavailable".
///
/// # Errors
/// [`CredentialError::Unavailable`] when no answer came, or for Docker
/// Desktop's 403 "unreachable".
pub fn probe_outcome(result: Result<HttpResponse, TransportError>) -> Result<(), CredentialError> {
    match result {
        Ok(response)
            if response.status.as_u16() == 403
                && String::from_utf8_lossy(&response.body)
                    .to_ascii_lowercase()
                    .contains("unreachable") =>
        {
            Err(CredentialError::unavailable(
                NAME,
                "the IMDS endpoint is unreachable (HTTP 403 from a proxy, as Docker Desktop \
                 answers); no managed identity is available here",
            ))
        }
        Ok(_) => Ok(()),
        Err(error) => Err(CredentialError::unavailable(
            NAME,
            format!(
                "no managed identity endpoint answered: the IMDS probe failed ({error}). \
                 Outside Azure this is expected; on Azure, check that a managed identity is enabled"
            ),
        )),
    }
}

/// What a transport failure of a real IMDS request means: an endpoint that
/// cannot be reached (refused, timed out) is "unavailable"; anything else is
/// a transport error.
pub fn transport_failure(error: TransportError) -> CredentialError {
    use credential_core::TransportErrorKind::{Connect, Timeout};
    if matches!(error.kind, Connect | Timeout) {
        CredentialError::unavailable(
            NAME,
            format!(
                "the {} endpoint could not be reached ({error}); no managed identity \
                 is available here",
                SourceKind::Imds
            ),
        )
    } else {
        error.into_credential_error(NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_base_and_pod_identity_host() {
        let c = ImdsConfig::from_base(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            "http://10.0.0.1:2579/",
            None,
        )
        .unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "http://10.0.0.1:2579/metadata/identity/oauth2/token"
        );
        let c = ImdsConfig::from_pod_identity_host("http://10.0.0.1:2579", None).unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "http://10.0.0.1:2579/metadata/identity/oauth2/token/"
        );
        assert!(c.skip_probe);
    }

    fn config(id: Option<UserAssignedId>) -> ImdsConfig {
        ImdsConfig::from_base("test", DEFAULT_IMDS_HOST, id).unwrap()
    }

    #[test]
    fn default_request() {
        let r = build_request(&config(None), "https://vault.azure.net");
        assert_eq!(r.method, Method::GET);
        assert_eq!(
            r.url.as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net"
        );
        assert_eq!(r.headers["metadata"], "true");
        assert!(r.body.is_none());
    }

    #[test]
    fn user_assigned_parameter_names() {
        for (id, expected) in [
            (UserAssignedId::ClientId("c".into()), "client_id=c"),
            (UserAssignedId::ObjectId("o".into()), "object_id=o"),
            (UserAssignedId::ResourceId("/r".into()), "msi_res_id=%2Fr"),
        ] {
            let r = build_request(&config(Some(id)), "res");
            assert!(r.url.query().unwrap().ends_with(expected), "{}", r.url);
        }
    }

    #[test]
    fn probe_has_no_query_and_no_metadata() {
        let r = build_probe_request(&config(None));
        assert_eq!(r.url.query(), None);
        assert!(r.headers.get("metadata").is_none());
        assert_eq!(r.timeout, Some(PROBE_TIMEOUT));
    }

    #[test]
    fn base_without_scheme_or_with_prefix() {
        let c = ImdsConfig::from_base("x", "127.0.0.1:99", None).unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "http://127.0.0.1:99/metadata/identity/oauth2/token"
        );
        let c = ImdsConfig::from_base("x", "http://h/prefix/", None).unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "http://h/prefix/metadata/identity/oauth2/token"
        );
        let err = ImdsConfig::from_base("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://[bad", None)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
            "{err}"
        );
    }
}
