//! Azure Cloud Shell (`MSI_ENDPOINT` without `MSI_SECRET`): `POST $MSI_ENDPOINT`
//! with the form body `resource=…` and `Metadata: true`. System-assigned only.

use credential_core::Method;
use credential_core::{CredentialError, HttpRequest};
use url::Url;

use crate::NAME;
use crate::identity::UserAssignedId;

/// Where to ask Cloud Shell for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudShellConfig {
    /// `MSI_ENDPOINT`.
    pub endpoint: Url,
}

/// Cloud Shell has only the signed-in user's identity: a user-assigned id is
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
                "Cloud Shell does not support a user-assigned managed identity, but a {} was \
                 given; build the credential without \
                 with_user_assigned_id",
                id.kind()
            ),
        )),
    }
}

/// The token request.
pub fn build_request(config: &CloudShellConfig, resource: &str) -> HttpRequest {
    HttpRequest::new(Method::POST, config.endpoint.clone())
        .with_header("metadata", "true")
        .with_header("accept", "application/json")
        .with_form([("resource", resource)])
}
