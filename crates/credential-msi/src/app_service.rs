//! App Service, Functions and Container Apps (`IDENTITY_ENDPOINT` +
//! `IDENTITY_HEADER`): `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=…`
//! with `X-IDENTITY-HEADER`; a user-assigned identity adds `client_id`,
//! `object_id` or `mi_res_id`.

use std::fmt;

use credential_core::Method;
use credential_core::{HttpRequest, Secret};
use url::Url;

use crate::identity::{IdParameterNames, UserAssignedId};

/// The api-version App Service token requests use.
pub const API_VERSION: &str = "2019-08-01";

pub(crate) const ID_PARAMETERS: IdParameterNames = IdParameterNames {
    client_id: "client_id",
    object_id: "object_id",
    resource_id: "mi_res_id",
};

/// Where and how to ask App Service for tokens. `Debug` hides the header.
#[derive(Clone)]
pub struct AppServiceConfig {
    /// `IDENTITY_ENDPOINT`.
    pub endpoint: Url,
    /// `IDENTITY_HEADER`, sent as `X-IDENTITY-HEADER`.
    pub identity_header: Secret,
    /// The user-assigned identity, if any.
    pub id: Option<UserAssignedId>,
}

impl fmt::Debug for AppServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppServiceConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("identity_header", &self.identity_header)
            .field("id", &self.id)
            .finish()
    }
}

/// The token request.
pub fn build_request(config: &AppServiceConfig, resource: &str) -> HttpRequest {
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
        .with_header("x-identity-header", config.identity_header.expose_secret())
        .with_header("accept", "application/json")
}
