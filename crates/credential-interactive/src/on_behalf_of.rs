//! [`OnBehalfOfCredential`]: a web API calls a downstream API as the user
//! who called it (the OAuth 2.0 on-behalf-of flow).

use std::fmt;
use std::sync::{Arc, Mutex};

use credential_core::__private::certificate::{ClientCertificate, sign_assertion};
use credential_core::__private::entra::{JWT_BEARER_ASSERTION_TYPE, merge_claims};
use credential_core::{
    AccessToken, CredentialError, Secret, TokenCache, TokenCredential, TokenRequestOptions,
    async_trait,
};

use crate::client::{TokenClient, check_scopes};
use crate::options::{CommonOptions, common_builder_methods};

const NAME: &str = credential_core::__private::credential_names::ON_BEHALF_OF;

/// The on-behalf-of grant type.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How many users' token caches one credential keeps (least recently used
/// dropped first).
pub const MAX_CACHED_USERS: usize = 256;

/// Exchanges the token a user sent to your API (the user assertion) for a
/// token to a downstream API, as that user:
/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
/// `requested_token_use=on_behalf_of`, `assertion`, proving the application
/// with a client secret or a certificate (a PS256 client assertion).
///
/// Tokens are cached per user assertion, keyed by its SHA-256 (the assertion
/// itself is never kept as a key), so one user's token is never given to
/// another. [`for_user`](Self::for_user) makes a credential for the next
/// request's user that shares the application and the caches.
///
/// ```
/// use credential_interactive::OnBehalfOfCredential;
/// let credential = OnBehalfOfCredential::builder_with_secret(
///     "contoso",
///     "api-client-id",
///     "api-secret",
///     "incoming-user-token",
/// )
/// .build()
///     .unwrap();
/// let next_user = credential.for_user("another-user-token");
/// let debug = format!("{credential:?} {next_user:?}");
/// assert!(!debug.contains("incoming-user-token") && !debug.contains("api-secret"));
/// ```
#[derive(Clone)]
pub struct OnBehalfOfCredential {
    shared: Arc<Shared>,
    user_assertion: Secret,
    key: [u8; 32],
}

struct Shared {
    client: TokenClient,
    auth: ClientAuth,
    /// Per user assertion hash, most recently used last.
    caches: Mutex<Vec<([u8; 32], Arc<TokenCache>)>>,
}

enum ClientAuth {
    Secret(Secret),
    Certificate {
        certificate: Arc<ClientCertificate>,
        send_chain: bool,
    },
}

impl fmt::Debug for OnBehalfOfCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.shared.auth {
            ClientAuth::Secret(_) => "client secret",
            ClientAuth::Certificate { .. } => "client certificate",
        };
        f.debug_struct(NAME)
            .field("client", &self.shared.client)
            .field("authentication", &auth)
            .field("user_assertion", &"***")
            .finish()
    }
}

fn hash(assertion: &Secret) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, assertion.expose_secret().as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

impl OnBehalfOfCredential {
    /// A builder for the application `client_id` in `tenant_id`, proved by
    /// its `client_secret`, acting for the user whose token is
    /// `user_assertion`.
    pub fn builder_with_secret(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        user_assertion: impl Into<Secret>,
    ) -> OnBehalfOfCredentialBuilder {
        OnBehalfOfCredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            Proof::Secret(client_secret.into()),
            user_assertion.into(),
        )
    }

    /// A builder for the application `client_id` in `tenant_id`, proved by
    /// its `certificate` (see `ClientCertificate::from_bytes`; a PS256
    /// client assertion), acting for the user whose token is
    /// `user_assertion`.
    pub fn builder_with_certificate(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
        user_assertion: impl Into<Secret>,
    ) -> OnBehalfOfCredentialBuilder {
        OnBehalfOfCredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            Proof::Certificate(certificate),
            user_assertion.into(),
        )
    }

    /// The same application acting for another user (whose token is
    /// `user_assertion`); shares this credential's token caches.
    pub fn for_user(&self, user_assertion: impl Into<Secret>) -> Self {
        let user_assertion = user_assertion.into();
        Self {
            shared: self.shared.clone(),
            key: hash(&user_assertion),
            user_assertion,
        }
    }

    /// This user's token cache.
    fn cache(&self) -> Arc<TokenCache> {
        let mut caches = self.shared.caches.lock().unwrap_or_else(|e| e.into_inner());
        let cache = match caches.iter().position(|(k, _)| *k == self.key) {
            Some(index) => caches.remove(index).1,
            None => Arc::new(
                TokenCache::new(self.shared.client.context.clock.clone())
                    .with_background_refresh(self.shared.client.background_refresh),
            ),
        };
        caches.push((self.key, cache.clone()));
        if caches.len() > MAX_CACHED_USERS {
            caches.remove(0);
        }
        cache
    }

    async fn fetch(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let client = &self.shared.client;
        let tenant = client.tenant_for(options)?;
        let scope = scopes.join(" ");
        let claims = merge_claims(options.claims(), options.enable_cae);
        let client_assertion;
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", &client.client_id),
            ("grant_type", JWT_BEARER_GRANT),
            ("assertion", self.user_assertion.expose_secret()),
            ("requested_token_use", "on_behalf_of"),
            ("scope", &scope),
        ];
        match &self.shared.auth {
            ClientAuth::Secret(secret) => fields.push(("client_secret", secret.expose_secret())),
            ClientAuth::Certificate {
                certificate,
                send_chain,
            } => {
                client_assertion = sign_assertion(
                    NAME,
                    certificate,
                    &client.client_id,
                    &client.endpoint(&tenant, "token"),
                    client.context.clock.now(),
                    *send_chain,
                )?;
                fields.push(("client_assertion_type", JWT_BEARER_ASSERTION_TYPE));
                fields.push(("client_assertion", client_assertion.expose_secret()));
            }
        }
        if let Some(claims) = &claims {
            fields.push(("claims", claims));
        }
        Ok(client.grant(&tenant, &fields).await?.token)
    }
}

#[async_trait]
impl TokenCredential for OnBehalfOfCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        check_scopes(NAME, scopes)?;
        self.cache()
            .get_or_fetch_inline(scopes, options, || self.fetch(scopes, options))
            .await
    }
}

/// Builds an [`OnBehalfOfCredential`].
pub struct OnBehalfOfCredentialBuilder {
    common: CommonOptions,
    tenant_id: String,
    client_id: String,
    user_assertion: Secret,
    proof: Proof,
    send_chain: bool,
}

/// How the application proves itself.
enum Proof {
    Secret(Secret),
    Certificate(ClientCertificate),
}

impl fmt::Debug for OnBehalfOfCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnBehalfOfCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("common", &self.common)
            .field("user_assertion", &"***")
            .field(
                "client_proof",
                &match &self.proof {
                    Proof::Secret(_) => "client secret (***)",
                    Proof::Certificate(_) => "certificate",
                },
            )
            .field("send_chain", &self.send_chain)
            .finish()
    }
}

impl OnBehalfOfCredentialBuilder {
    fn new(tenant_id: String, client_id: String, proof: Proof, user_assertion: Secret) -> Self {
        Self {
            common: CommonOptions::default(),
            tenant_id,
            client_id,
            user_assertion,
            proof,
            send_chain: false,
        }
    }

    common_builder_methods!();

    /// Sends the certificate chain (`x5c`) in each client assertion, as
    /// subject name/issuer authentication requires. Off by default.
    pub fn with_send_certificate_chain(mut self, send: bool) -> Self {
        self.send_chain = send;
        self
    }

    /// Checks the ids, the assertion and the client proof.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a blank or malformed tenant
    /// or client id, a blank user assertion or client secret, or a bad
    /// authority host, naming the input and the fix.
    pub fn build(self) -> Result<OnBehalfOfCredential, CredentialError> {
        let client = TokenClient::new(NAME, &self.common, &self.tenant_id, &self.client_id)?;
        if self.user_assertion.is_blank() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the user assertion is blank; pass the access token your API received from its caller",
            ));
        }
        let auth = match self.proof {
            Proof::Secret(secret) if !secret.is_blank() => ClientAuth::Secret(secret),
            Proof::Secret(_) => {
                return Err(CredentialError::invalid_configuration(
                    NAME,
                    "the client secret is blank; pass the secret of the app registration",
                ));
            }
            Proof::Certificate(certificate) => ClientAuth::Certificate {
                certificate: Arc::new(certificate),
                send_chain: self.send_chain,
            },
        };
        let key = hash(&self.user_assertion);
        Ok(OnBehalfOfCredential {
            shared: Arc::new(Shared {
                client,
                auth,
                caches: Mutex::new(Vec::new()),
            }),
            user_assertion: self.user_assertion,
            key,
        })
    }
}
