//! [`ClientSecretCredential`]: an app registration's client secret.

use std::fmt;

use credential_core::__private::entra::ClientAuthentication;
use credential_core::{
    AccessToken, CredentialError, Secret, TokenCredential, TokenRequestOptions, async_trait,
};

use crate::options::{CommonOptions, common_builder_methods, environment_builder_methods};
use crate::service_principal::ServicePrincipal;

const NAME: &str = credential_core::__private::credential_names::CLIENT_SECRET;

/// Authenticates a service principal with a client secret:
/// `POST {authority}/{tenant}/oauth2/v2.0/token` with
/// `grant_type=client_credentials`, `client_id`, `client_secret` and `scope`.
///
/// `Debug` never shows the secret.
///
/// ```
/// use credential_env::ClientSecretCredential;
/// let credential = ClientSecretCredential::builder("contoso.onmicrosoft.com", "my-client-id", "my-secret")
///     .with_authority_host("https://login.microsoftonline.us")
///     .with_additionally_allowed_tenants(["fabrikam.onmicrosoft.com"])
///     .build()
///     .unwrap();
/// assert!(!format!("{credential:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct ClientSecretCredential {
    principal: ServicePrincipal,
    secret: Secret,
}

impl ClientSecretCredential {
    /// A credential with the default options (the real environment, network
    /// and clock).
    ///
    /// # Errors
    /// As [`ClientSecretCredentialBuilder::build`].
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Result<Self, CredentialError> {
        Self::builder(tenant_id, client_id, client_secret).build()
    }

    /// A builder for a credential with options.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientSecretCredentialBuilder {
        ClientSecretCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            common: CommonOptions::default(),
            name: NAME,
        }
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal
            .debug_struct(f, NAME)
            .field("client_secret", &"***")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.principal
            .get_token(scopes, options, |_endpoint| {
                let secret = self.secret.clone();
                async move { Ok(ClientAuthentication::Secret(secret)) }
            })
            .await
    }
}

/// Builds a [`ClientSecretCredential`].
pub struct ClientSecretCredentialBuilder {
    tenant_id: String,
    client_id: String,
    client_secret: Secret,
    common: CommonOptions,
    name: &'static str,
}

impl fmt::Debug for ClientSecretCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("common", &self.common)
            .finish()
    }
}

impl ClientSecretCredentialBuilder {
    common_builder_methods!();

    environment_builder_methods!();

    /// Checks the ids, the secret and the authority host.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a blank or malformed tenant
    /// or client id, a blank secret, a zero request timeout or a bad authority
    /// host, naming the input and the fix.
    pub fn build(self) -> Result<ClientSecretCredential, CredentialError> {
        let principal = ServicePrincipal::from_options(
            self.name,
            &self.tenant_id,
            &self.client_id,
            &self.common,
        )?;
        if self.client_secret.is_blank() {
            return Err(CredentialError::invalid_configuration(
                self.name,
                "the client secret is blank; pass a client secret of the app registration",
            ));
        }
        Ok(ClientSecretCredential {
            principal,
            secret: self.client_secret,
        })
    }
}
