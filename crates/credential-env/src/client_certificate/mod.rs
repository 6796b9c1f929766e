//! [`ClientCertificateCredential`]: a certificate and its RSA key, proving
//! the client with a signed JWT assertion.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use credential_core::__private::entra::ClientAuthentication;
use credential_core::__private::env_vars::{
    AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_CERTIFICATE_PATH,
};
use credential_core::{
    AccessToken, CredentialError, ProviderContext, Secret, TokenCredential, TokenRequestOptions,
    async_trait,
};
use tokio::sync::OnceCell;

use credential_core::__private::certificate::sign_assertion;
pub use credential_core::ClientCertificate;

use crate::options::{CommonOptions, common_builder_methods, environment_builder_methods};
use crate::service_principal::ServicePrincipal;

pub(crate) const NAME: &str = credential_core::__private::credential_names::CLIENT_CERTIFICATE;

/// Authenticates a service principal with a certificate. Each token request
/// carries a fresh client assertion: a JWT signed PS256 with the
/// certificate's RSA key, with the `x5t#S256` thumbprint header and, when
/// [`with_send_certificate_chain`](ClientCertificateCredentialBuilder::with_send_certificate_chain)
/// is on, the `x5c` chain (for subject name/issuer authentication).
///
/// The file may be PEM (certificate and unencrypted RSA key, PKCS#1 or
/// PKCS#8, in any order) or PKCS#12 (with or without a password). It is read
/// through the context's filesystem on the first token request and kept; a
/// failed read is tried again on the next request.
///
/// `Debug` never shows the key or the password.
///
/// ```
/// use credential_env::ClientCertificateCredential;
/// let credential = ClientCertificateCredential::builder("contoso", "my-client-id", "/etc/app/cert.pfx")
///     .with_password("pfx-password")
///     .with_send_certificate_chain(true)
///     .build()
///     .unwrap();
/// assert!(!format!("{credential:?}").contains("pfx-password"));
/// ```
#[derive(Clone)]
pub struct ClientCertificateCredential {
    principal: ServicePrincipal,
    source: Source,
    password: Option<Secret>,
    send_certificate_chain: bool,
    from_environment: bool,
    certificate: Arc<OnceCell<Arc<ClientCertificate>>>,
}

#[derive(Debug, Clone)]
enum Source {
    Path(PathBuf),
    Loaded(Arc<ClientCertificate>),
}

impl ClientCertificateCredential {
    /// A credential with the default options, reading the certificate at
    /// `certificate_path`.
    ///
    /// # Errors
    /// As [`ClientCertificateCredentialBuilder::build`].
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate_path: impl Into<PathBuf>,
    ) -> Result<Self, CredentialError> {
        Self::builder(tenant_id, client_id, certificate_path).build()
    }

    /// A builder for a credential reading the certificate at `certificate_path`.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate_path: impl Into<PathBuf>,
    ) -> ClientCertificateCredentialBuilder {
        ClientCertificateCredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            Source::Path(certificate_path.into()),
        )
    }

    /// A builder for a credential using an already parsed certificate
    /// (see [`ClientCertificate::from_bytes`]).
    pub fn builder_with_certificate(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> ClientCertificateCredentialBuilder {
        ClientCertificateCredentialBuilder::new(
            tenant_id.into(),
            client_id.into(),
            Source::Loaded(Arc::new(certificate)),
        )
    }

    async fn certificate(&self) -> Result<Arc<ClientCertificate>, CredentialError> {
        let name = self.principal.credential;
        self.certificate
            .get_or_try_init(|| async {
                match &self.source {
                    Source::Loaded(certificate) => Ok(certificate.clone()),
                    Source::Path(path) => {
                        let origin = self.from_environment.then_some(Variables {
                            path: AZURE_CLIENT_CERTIFICATE_PATH,
                            password: AZURE_CLIENT_CERTIFICATE_PASSWORD,
                        });
                        load_file(
                            name,
                            &self.principal.context,
                            path,
                            self.password.as_ref(),
                            origin,
                        )
                        .await
                    }
                }
            })
            .await
            .cloned()
    }
}

/// The environment variables a certificate's path and password came from.
#[derive(Clone, Copy)]
struct Variables {
    path: &'static str,
    password: &'static str,
}

async fn load_file(
    name: &'static str,
    ctx: &ProviderContext,
    path: &std::path::Path,
    password: Option<&Secret>,
    origin: Option<Variables>,
) -> Result<Arc<ClientCertificate>, CredentialError> {
    let path_origin = origin.map_or("the certificate path".to_owned(), |v| v.path.to_owned());
    let bytes = ctx.fs.read(path).await.map_err(|e| {
        CredentialError::invalid_configuration(
            name,
            format!(
                "could not read the certificate file {} named by {path_origin} ({e}); set \
                 {path_origin} to the path of a PEM or PKCS#12 file this process can read",
                path.display()
            ),
        )
    })?;
    let given_password = password.map(Secret::expose_secret);
    ClientCertificate::parse(name, &bytes, given_password)
        .map(Arc::new)
        .map_err(|e| match e {
            CredentialError::InvalidConfiguration {
                credential,
                message,
                ..
            } if message == credential_core::__private::certificate::WRONG_PASSWORD => {
                let variable =
                    origin.map_or("the certificate password (with_password)", |v| v.password);
                let fix = if password.is_some() {
                    format!("set {variable} to the file's password")
                } else {
                    format!("the file is protected by a password: set {variable} to it")
                };
                CredentialError::invalid_configuration(
                    credential,
                    format!(
                        "{variable} does not open the PKCS#12 file {} (the password is wrong, \
                         or the file is corrupt); {fix}",
                        path.display()
                    ),
                )
            }
            CredentialError::InvalidConfiguration {
                credential,
                message,
                ..
            } => CredentialError::invalid_configuration(
                credential,
                format!(
                    "{message} (file {}, named by {path_origin}); set {path_origin} to a PEM or \
                     PKCS#12 file with the certificate and its RSA private key",
                    path.display()
                ),
            ),
            other => other,
        })
}

impl fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.principal
            .debug_struct(f, NAME)
            .field("source", &self.source)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("send_certificate_chain", &self.send_certificate_chain)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        self.principal
            .get_token(scopes, options, |endpoint| {
                let this = self.clone();
                async move {
                    let certificate = this.certificate().await?;
                    let assertion = sign_assertion(
                        this.principal.credential,
                        &certificate,
                        &this.principal.client_id,
                        &endpoint,
                        this.principal.context.clock.now(),
                        this.send_certificate_chain,
                    )?;
                    Ok(ClientAuthentication::Assertion(assertion))
                }
            })
            .await
    }
}

/// Builds a [`ClientCertificateCredential`].
pub struct ClientCertificateCredentialBuilder {
    tenant_id: String,
    client_id: String,
    source: Source,
    password: Option<Secret>,
    send_certificate_chain: bool,
    from_environment: bool,
    common: CommonOptions,
    name: &'static str,
}

impl fmt::Debug for ClientCertificateCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("source", &self.source)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("send_certificate_chain", &self.send_certificate_chain)
            .field("common", &self.common)
            .finish()
    }
}

impl ClientCertificateCredentialBuilder {
    fn new(tenant_id: String, client_id: String, source: Source) -> Self {
        Self {
            tenant_id,
            client_id,
            source,
            password: None,
            send_certificate_chain: false,
            from_environment: false,
            common: CommonOptions::default(),
            name: NAME,
        }
    }

    common_builder_methods!();

    /// The PKCS#12 password (ignored for PEM files, whose key must be
    /// unencrypted).
    pub fn with_password(mut self, password: impl Into<Secret>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Send the certificate chain (`x5c`) in each assertion, as subject
    /// name/issuer authentication requires. Off by default.
    pub fn with_send_certificate_chain(mut self, send: bool) -> Self {
        self.send_certificate_chain = send;
        self
    }

    environment_builder_methods!();

    /// The path and password came from `AZURE_CLIENT_CERTIFICATE_PATH` and
    /// `AZURE_CLIENT_CERTIFICATE_PASSWORD` (for `EnvironmentCredential`):
    /// errors name those variables.
    pub(crate) fn read_from_environment_variables(mut self) -> Self {
        self.from_environment = true;
        self
    }

    /// Checks the ids, the path and the authority host. The file itself is
    /// read on the first token request.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a blank or malformed tenant
    /// or client id, an empty certificate path, a zero request timeout or a bad
    /// authority host, naming the input and the fix. An unreadable certificate
    /// is reported by `get_token`.
    pub fn build(self) -> Result<ClientCertificateCredential, CredentialError> {
        let principal = ServicePrincipal::from_options(
            self.name,
            &self.tenant_id,
            &self.client_id,
            &self.common,
        )?;
        if let Source::Path(path) = &self.source
            && path.as_os_str().is_empty()
        {
            return Err(CredentialError::invalid_configuration(
                self.name,
                "the certificate path is empty; pass the path of a PEM or PKCS#12 file",
            ));
        }
        Ok(ClientCertificateCredential {
            principal,
            source: self.source,
            password: self.password,
            send_certificate_chain: self.send_certificate_chain,
            from_environment: self.from_environment,
            certificate: Arc::new(OnceCell::new()),
        })
    }
}
