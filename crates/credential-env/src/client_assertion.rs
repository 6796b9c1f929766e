//! [`ClientAssertionCredential`]: a client assertion from the caller's own
//! async callback.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use credential_core::__private::entra::ClientAuthentication;
use credential_core::{
    AccessToken, CredentialError, Secret, TokenCredential, TokenRequestOptions, async_trait,
};

use crate::options::{CommonOptions, common_builder_methods};
use crate::service_principal::ServicePrincipal;

const NAME: &str = credential_core::__private::credential_names::CLIENT_ASSERTION;

type AssertionFuture = Pin<Box<dyn Future<Output = Result<Secret, CredentialError>> + Send>>;
type AssertionFn = dyn Fn() -> AssertionFuture + Send + Sync;

/// Authenticates a service principal with a client assertion (a signed JWT,
/// or a federated token from another identity provider) that your callback
/// returns. The callback runs on every token request the cache does not
/// answer, so it may return a fresh assertion each time.
///
/// The request sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
/// and `client_assertion`. `Debug` never shows the assertion.
///
/// ```
/// use credential_core::Secret;
/// use credential_env::ClientAssertionCredential;
/// let credential = ClientAssertionCredential::builder("contoso", "my-client-id", || async {
///     Ok(Secret::new("eyJhbGciOi..."))
/// })
/// .build()
/// .unwrap();
/// # let _ = credential;
/// ```
#[derive(Clone)]
pub struct ClientAssertionCredential {
    principal: ServicePrincipal,
    get_assertion: Arc<AssertionFn>,
}

impl ClientAssertionCredential {
    /// A credential with the default options.
    ///
    /// # Errors
    /// As [`ClientAssertionCredentialBuilder::build`].
    pub fn new<F, Fut>(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        get_assertion: F,
    ) -> Result<Self, CredentialError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Secret, CredentialError>> + Send + 'static,
    {
        Self::builder(tenant_id, client_id, get_assertion).build()
    }

    /// A builder for a credential with options. `get_assertion` returns the
    /// assertion, or an error that `get_token` passes on.
    pub fn builder<F, Fut>(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        get_assertion: F,
    ) -> ClientAssertionCredentialBuilder
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Secret, CredentialError>> + Send + 'static,
    {
        ClientAssertionCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            get_assertion: Arc::new(move || Box::pin(get_assertion())),
            common: CommonOptions::default(),
        }
    }
}

impl fmt::Debug for ClientAssertionCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal.debug_struct(f, NAME).finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for ClientAssertionCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.principal
            .get_token(scopes, options, |_endpoint| {
                let assertion = (self.get_assertion)();
                async move {
                    let assertion = assertion.await?;
                    if assertion.is_blank() {
                        return Err(CredentialError::invalid_configuration(
                            NAME,
                            "the assertion callback returned a blank assertion",
                        ));
                    }
                    Ok(ClientAuthentication::Assertion(assertion))
                }
            })
            .await
    }
}

/// Builds a [`ClientAssertionCredential`].
pub struct ClientAssertionCredentialBuilder {
    tenant_id: String,
    client_id: String,
    get_assertion: Arc<AssertionFn>,
    common: CommonOptions,
}

impl fmt::Debug for ClientAssertionCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertionCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl ClientAssertionCredentialBuilder {
    common_builder_methods!();

    /// Checks the ids and the authority host.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a blank or malformed tenant
    /// or client id, a zero request timeout or a bad authority host, naming the
    /// input and the fix.
    pub fn build(self) -> Result<ClientAssertionCredential, CredentialError> {
        let principal =
            ServicePrincipal::from_options(NAME, &self.tenant_id, &self.client_id, &self.common)?;
        Ok(ClientAssertionCredential {
            principal,
            get_assertion: self.get_assertion,
        })
    }
}
