//! Service Fabric (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER` +
//! `IDENTITY_SERVER_THUMBPRINT`):
//! `GET $IDENTITY_ENDPOINT?api-version=2019-07-01-preview&resource=…` with
//! `secret: $IDENTITY_HEADER`, over HTTPS to a server whose self-signed
//! certificate is pinned by its SHA-1 thumbprint (see [`crate::tls`]).
//! The cluster decides the identity: a user-assigned id is refused.

use std::fmt;

use credential_core::Method;
use credential_core::{CredentialError, HttpRequest, Secret};
use url::Url;

use crate::NAME;
use crate::identity::UserAssignedId;
use crate::tls::Thumbprint;

/// The api-version Service Fabric token requests use.
pub const API_VERSION: &str = "2019-07-01-preview";

/// Where and how to ask Service Fabric for tokens. `Debug` hides the header.
#[derive(Clone)]
pub struct ServiceFabricConfig {
    /// `IDENTITY_ENDPOINT`.
    pub endpoint: Url,
    /// `IDENTITY_HEADER`, sent as the `secret` header.
    pub identity_header: Secret,
    /// `IDENTITY_SERVER_THUMBPRINT`.
    pub thumbprint: Thumbprint,
}

impl fmt::Debug for ServiceFabricConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceFabricConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("identity_header", &self.identity_header)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

/// Service Fabric's identity is set by the cluster: a user-assigned id is
/// refused.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for any user-assigned id.
pub fn check_identity(id: Option<&UserAssignedId>) -> Result<(), CredentialError> {
    match id {
        None => Ok(()),
        Some(id) => Err(CredentialError::invalid_configuration(
            NAME,
            format!(
                "Service Fabric does not accept a user-assigned managed identity at runtime, \
                 but a {} was given; the identity is set by the cluster's resource \
                 configuration (see https://aka.ms/servicefabricmi), so build the credential \
                 without an id",
                id.kind()
            ),
        )),
    }
}

/// The token request.
pub fn build_request(config: &ServiceFabricConfig, resource: &str) -> HttpRequest {
    let mut url = config.endpoint.clone();
    url.query_pairs_mut()
        .append_pair("api-version", API_VERSION)
        .append_pair("resource", resource);
    HttpRequest::new(Method::GET, url)
        .with_header("secret", config.identity_header.expose_secret())
        .with_header("accept", "application/json")
}
