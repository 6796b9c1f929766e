//! Azure Machine Learning (`MSI_ENDPOINT` + `MSI_SECRET`):
//! `GET $MSI_ENDPOINT?api-version=2017-09-01&resource=…[&clientid=…]` with
//! `secret: $MSI_SECRET`. Only a client id can name a user-assigned identity;
//! without one, `DEFAULT_IDENTITY_CLIENT_ID` is sent when set (as MSAL does).

use std::fmt;

use credential_core::Method;
use credential_core::{CredentialError, HttpRequest, Secret};
use url::Url;

use crate::NAME;
use crate::identity::UserAssignedId;

/// The api-version Azure ML token requests use.
pub const API_VERSION: &str = "2017-09-01";
/// The variable Azure ML sets to the compute's default identity.
pub const DEFAULT_IDENTITY_CLIENT_ID: &str = "DEFAULT_IDENTITY_CLIENT_ID";

/// Where and how to ask Azure ML for tokens. `Debug` hides the secret.
#[derive(Clone)]
pub struct AzureMlConfig {
    /// `MSI_ENDPOINT`.
    pub endpoint: Url,
    /// `MSI_SECRET`, sent as the `secret` header.
    pub secret: Secret,
    /// The `clientid` to send, if any.
    pub client_id: Option<String>,
}

impl fmt::Debug for AzureMlConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureMlConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("secret", &self.secret)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// The `clientid` for `id`: an object or resource id is refused.
///
/// # Errors
/// [`CredentialError::InvalidConfiguration`] for an object or resource id.
pub fn client_id_for(
    id: Option<&UserAssignedId>,
    default_client_id: Option<String>,
) -> Result<Option<String>, CredentialError> {
    match id {
        None => Ok(default_client_id),
        Some(UserAssignedId::ClientId(client_id)) => Ok(Some(client_id.clone())),
        Some(other) => Err(CredentialError::invalid_configuration(
            NAME,
            format!(
                "Azure Machine Learning supports only a client id for a user-assigned managed \
                 identity, but a {} was given; give UserAssignedId::ClientId instead",
                other.kind()
            ),
        )),
    }
}

/// The token request.
pub fn build_request(config: &AzureMlConfig, resource: &str) -> HttpRequest {
    let mut url = config.endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("api-version", API_VERSION);
        query.append_pair("resource", resource);
        if let Some(client_id) = &config.client_id {
            query.append_pair("clientid", client_id);
        }
    }
    HttpRequest::new(Method::GET, url)
        .with_header("secret", config.secret.expose_secret())
        .with_header("metadata", "true")
        .with_header("accept", "application/json")
}
