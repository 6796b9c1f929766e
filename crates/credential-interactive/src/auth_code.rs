//! [`AuthorizationCodeCredential`]: an authorization code the application
//! obtained itself (a web app's sign-in redirect), redeemed once and then
//! refreshed.

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;

use credential_core::{
    AccessToken, CredentialError, Secret, TokenCredential, TokenRequestOptions, async_trait,
};

use crate::client::TokenClient;
use crate::grant::GrantResponse;
use crate::options::{CommonOptions, common_builder_methods};
use crate::public::PublicClient;

const NAME: &str = credential_core::__private::credential_names::AUTHORIZATION_CODE;

/// Redeems an authorization code the application obtained (with its
/// redirect URI and, for a confidential client, its client secret):
/// `grant_type=authorization_code` on the first `get_token`, the refresh
/// token after that. A code works once; when the refresh token is refused
/// the credential needs a new code.
///
/// `Debug` shows neither the code nor the secret.
///
/// ```
/// use credential_interactive::AuthorizationCodeCredential;
/// let credential = AuthorizationCodeCredential::builder(
///     "contoso", "my-client-id", "the-code", "https://app.contoso.com/signin")
///     .with_client_secret("my-secret")
///     .build()
///     .unwrap();
/// let debug = format!("{credential:?}");
/// assert!(!debug.contains("the-code") && !debug.contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct AuthorizationCodeCredential {
    /// Shared by clones, with its token cache and accounts.
    public: Arc<PublicClient>,
    code: Arc<Mutex<Option<Secret>>>,
    redirect_uri: String,
}

impl fmt::Debug for AuthorizationCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("public", &self.public)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCodeCredential {
    /// A builder for the code `authorization_code` that was sent to
    /// `redirect_uri`.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        authorization_code: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> AuthorizationCodeCredentialBuilder {
        AuthorizationCodeCredentialBuilder {
            common: CommonOptions::default(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            code: authorization_code.into(),
            redirect_uri: redirect_uri.into(),
            client_secret: None,
        }
    }

    async fn redeem_code(
        &self,
        tenant: String,
        scope: String,
    ) -> Result<GrantResponse, CredentialError> {
        let code = self
            .code
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| {
                CredentialError::authentication(
                    NAME,
                    "the authorization code was already redeemed and there is no usable refresh \
                     token; obtain a new authorization code and build a new credential",
                )
            })?;
        self.public
            .redeem(
                &tenant,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code.expose_secret()),
                    ("redirect_uri", &self.redirect_uri),
                    ("scope", &scope),
                ],
            )
            .await
    }
}

#[async_trait]
impl TokenCredential for AuthorizationCodeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.public
            .get_token(scopes, options, |tenant, scope| {
                self.redeem_code(tenant, scope)
            })
            .await
    }
}

/// Builds an [`AuthorizationCodeCredential`].
pub struct AuthorizationCodeCredentialBuilder {
    common: CommonOptions,
    tenant_id: String,
    client_id: String,
    code: Secret,
    redirect_uri: String,
    client_secret: Option<Secret>,
}

impl fmt::Debug for AuthorizationCodeCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCodeCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("common", &self.common)
            .field("redirect_uri", &self.redirect_uri)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl AuthorizationCodeCredentialBuilder {
    common_builder_methods!();

    /// The client secret of a confidential (web) application.
    pub fn with_client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Checks the ids, the code and the redirect URI.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a blank or malformed tenant
    /// or client id, a blank code, a redirect URI that is not a URL, or a bad
    /// authority host, naming the input and the fix.
    pub fn build(self) -> Result<AuthorizationCodeCredential, CredentialError> {
        let client = TokenClient::new(NAME, &self.common, &self.tenant_id, &self.client_id)?;
        if self.code.is_blank() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the authorization code is blank; pass the code your redirect URI received",
            ));
        }
        if url::Url::parse(self.redirect_uri.trim()).is_err() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the redirect URI is not an absolute URL; pass the redirect URI the code was sent to",
            ));
        }
        if self.client_secret.as_ref().is_some_and(Secret::is_blank) {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the client secret is blank; pass the secret of the app registration or none",
            ));
        }
        let persisted = PublicClient::persisted(&self.common, &client, Some(&self.tenant_id));
        let public = PublicClient::new(
            client,
            self.client_secret,
            None,
            true,
            "obtain a new authorization code",
        )?
        .with_persisted(persisted);
        Ok(AuthorizationCodeCredential {
            public: Arc::new(public),
            code: Arc::new(Mutex::new(Some(self.code))),
            redirect_uri: self.redirect_uri.trim().to_owned(),
        })
    }
}
