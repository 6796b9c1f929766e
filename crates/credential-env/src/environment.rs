//! [`EnvironmentCredential`]: a service principal described by `AZURE_*`
//! environment variables.

use std::fmt;

use credential_core::__private::credential_names;
use credential_core::__private::entra::{
    quote_untrusted, validate_client_id_from, validate_tenant_id_from,
};
use credential_core::__private::env_vars::{
    AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, AZURE_TENANT_ID,
};
use credential_core::{
    AccessToken, CredentialError, Env, ProviderContext, TokenCredential, TokenRequestOptions,
    async_trait,
};

use crate::client_certificate::ClientCertificateCredential;
use crate::client_secret::ClientSecretCredential;
use crate::options::{CommonOptions, allowed_tenants_from_env, common_builder_methods};

const NAME: &str = credential_names::ENVIRONMENT;
/// Deprecated upstream and not supported here; named only in messages.
const AZURE_USERNAME: &str = "AZURE_USERNAME";

/// A service principal configured by environment variables, as
/// `@azure/identity` reads them. The first complete row wins:
///
/// | credential | variables |
/// |---|---|
/// | [`ClientSecretCredential`] | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` |
/// | [`ClientCertificateCredential`] | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH`; optional `AZURE_CLIENT_CERTIFICATE_PASSWORD` and `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` (`true` or `1`, any case) |
///
/// Both honour `AZURE_AUTHORITY_HOST` and `AZURE_ADDITIONALLY_ALLOWED_TENANTS`
/// (`;`-separated, `*` for any) unless the builder sets them. A blank variable
/// counts as unset. Username/password (`AZURE_USERNAME`, `AZURE_PASSWORD`) is
/// deliberately not supported: it is deprecated upstream because it cannot do
/// multi-factor authentication.
///
/// With incomplete variables the credential is built but every `get_token`
/// returns [`CredentialError::Unavailable`] naming exactly the missing
/// variables, so a chain moves on. Complete but invalid values (a malformed
/// tenant id, an `http` authority) fail `build` with
/// [`CredentialError::InvalidConfiguration`]. Errors name
/// `EnvironmentCredential`.
///
/// ```no_run
/// use credential_env::EnvironmentCredential;
/// # fn f() -> Result<(), credential_core::CredentialError> {
/// let credential = EnvironmentCredential::new()?;
/// match credential.selected() {
///     Some(name) => println!("signing in with {name}"),
///     None => println!("no service principal is configured in this environment"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EnvironmentCredential {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Secret(ClientSecretCredential),
    Certificate(ClientCertificateCredential),
    Unavailable(String),
}

impl EnvironmentCredential {
    /// A credential configured from the process environment.
    ///
    /// # Errors
    /// As [`EnvironmentCredentialBuilder::build`].
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A credential configured from `context`'s environment, for
    /// `DefaultAzureCredential`.
    ///
    /// # Errors
    /// As [`EnvironmentCredentialBuilder::build`].
    pub fn from_context(context: ProviderContext) -> Result<Self, CredentialError> {
        Self::builder().with_context(context).build()
    }

    /// A builder, to override the authority host, the allowed tenants, the
    /// retry policy or the context.
    pub fn builder() -> EnvironmentCredentialBuilder {
        EnvironmentCredentialBuilder::default()
    }

    /// The credential the variables selected: `Some("ClientSecretCredential")`,
    /// `Some("ClientCertificateCredential")`, or `None` when they are incomplete.
    pub fn selected(&self) -> Option<&'static str> {
        match self.inner {
            Inner::Secret(_) => Some(credential_names::CLIENT_SECRET),
            Inner::Certificate(_) => Some(credential_names::CLIENT_CERTIFICATE),
            Inner::Unavailable(_) => None,
        }
    }
}

impl fmt::Debug for EnvironmentCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct(NAME);
        match &self.inner {
            Inner::Secret(c) => s.field("inner", c),
            Inner::Certificate(c) => s.field("inner", c),
            Inner::Unavailable(why) => s.field("unavailable", why),
        };
        s.finish()
    }
}

#[async_trait]
impl TokenCredential for EnvironmentCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        match &self.inner {
            Inner::Secret(c) => c.get_token(scopes, options).await,
            Inner::Certificate(c) => c.get_token(scopes, options).await,
            Inner::Unavailable(why) => Err(CredentialError::unavailable(NAME, why.clone())),
        }
    }
}

/// Builds an [`EnvironmentCredential`].
#[derive(Debug, Default)]
pub struct EnvironmentCredentialBuilder {
    common: CommonOptions,
}

impl EnvironmentCredentialBuilder {
    common_builder_methods!();

    /// Reads the variables and builds the selected credential.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] when the variables are present
    /// but wrong (a malformed tenant or client id, a bad `AZURE_AUTHORITY_HOST`
    /// or `AZURE_ADDITIONALLY_ALLOWED_TENANTS`), naming the variable and the fix.
    /// Absent variables are no error here: `get_token` then returns
    /// [`CredentialError::Unavailable`].
    pub fn build(mut self) -> Result<EnvironmentCredential, CredentialError> {
        let context = self.common.context();
        let env = context.env.clone();
        let selection = select(&env)?;
        if self.common.additionally_allowed_tenants.is_none()
            && !matches!(selection, Selection::Incomplete(_))
        {
            self.common.additionally_allowed_tenants = allowed_tenants_from_env(NAME, &env)?;
        }
        self.common.context = Some(context);
        let inner = match selection {
            Selection::Secret {
                tenant_id,
                client_id,
                secret,
            } => {
                let builder = ClientSecretCredential::builder(tenant_id, client_id, secret);
                Inner::Secret(builder.with_common(self.common).named(NAME).build()?)
            }
            Selection::Certificate {
                tenant_id,
                client_id,
                path,
                password,
                send_chain,
            } => {
                let mut builder = ClientCertificateCredential::builder(tenant_id, client_id, path)
                    .with_send_certificate_chain(send_chain)
                    .read_from_environment_variables();
                if let Some(password) = password {
                    builder = builder.with_password(password);
                }
                Inner::Certificate(builder.with_common(self.common).named(NAME).build()?)
            }
            Selection::Incomplete(why) => {
                tracing::debug!(credential = NAME, reason = %why, "environment not configured");
                Inner::Unavailable(why)
            }
        };
        Ok(EnvironmentCredential { inner })
    }
}

enum Selection {
    Secret {
        tenant_id: String,
        client_id: String,
        secret: String,
    },
    Certificate {
        tenant_id: String,
        client_id: String,
        path: String,
        password: Option<String>,
        send_chain: bool,
    },
    Incomplete(String),
}

/// Picks the credential the variables describe, and checks the ones it
/// uses (pure): absent variables make it `Incomplete` (unavailable);
/// present but malformed ones are an `InvalidConfiguration` error naming
/// the variable.
fn select(env: &Env) -> Result<Selection, CredentialError> {
    env.require_unicode(
        NAME,
        &[
            AZURE_TENANT_ID,
            AZURE_CLIENT_ID,
            AZURE_CLIENT_SECRET,
            AZURE_CLIENT_CERTIFICATE_PATH,
            AZURE_CLIENT_CERTIFICATE_PASSWORD,
            AZURE_CLIENT_SEND_CERTIFICATE_CHAIN,
            AZURE_USERNAME,
        ],
    )?;
    let tenant_id = env.get(AZURE_TENANT_ID);
    let client_id = env.get(AZURE_CLIENT_ID);
    let secret = env.get(AZURE_CLIENT_SECRET);
    let path = env.get(AZURE_CLIENT_CERTIFICATE_PATH);
    if let (Some(tenant_id), Some(client_id), true) =
        (&tenant_id, &client_id, secret.is_some() || path.is_some())
    {
        validate_tenant_id_from(NAME, AZURE_TENANT_ID, tenant_id.trim())?;
        validate_client_id_from(NAME, AZURE_CLIENT_ID, client_id.trim())?;
    }
    Ok(match (tenant_id, client_id, secret, path) {
        (Some(tenant_id), Some(client_id), Some(secret), _) => Selection::Secret {
            tenant_id,
            client_id,
            secret,
        },
        (Some(tenant_id), Some(client_id), None, Some(path)) => Selection::Certificate {
            tenant_id,
            client_id,
            path,
            password: env.get(AZURE_CLIENT_CERTIFICATE_PASSWORD),
            send_chain: send_certificate_chain(env)?,
        },
        (tenant_id, client_id, secret, path) => {
            let mut missing = Vec::new();
            let mut set = Vec::new();
            for (name, value) in [
                (AZURE_TENANT_ID, tenant_id.is_some()),
                (AZURE_CLIENT_ID, client_id.is_some()),
            ] {
                if value {
                    set.push(name)
                } else {
                    missing.push(name.to_owned())
                }
            }
            if secret.is_none() && path.is_none() {
                missing.push(format!(
                    "{AZURE_CLIENT_SECRET} or {AZURE_CLIENT_CERTIFICATE_PATH}"
                ));
            }
            set.extend(secret.map(|_| AZURE_CLIENT_SECRET));
            set.extend(path.map(|_| AZURE_CLIENT_CERTIFICATE_PATH));
            let set = if set.is_empty() {
                "none of them".to_owned()
            } else {
                set.join(", ")
            };
            let mut message = format!(
                "the service principal environment variables are incomplete (blank counts as unset); \
                 missing: {}; set: {set}",
                missing.join(", ")
            );
            if env.is_set(AZURE_USERNAME) {
                message.push_str(
                    "; note: username/password (AZURE_USERNAME, AZURE_PASSWORD) is not supported \
                     because it is deprecated upstream",
                );
            }
            Selection::Incomplete(message)
        }
    })
}

/// `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`: `true`/`1` or `false`/`0`, any
/// case; any other value is a configuration error.
fn send_certificate_chain(env: &Env) -> Result<bool, CredentialError> {
    let Some(value) = env.get(AZURE_CLIENT_SEND_CERTIFICATE_CHAIN) else {
        return Ok(false);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(CredentialError::invalid_configuration(
            NAME,
            format!(
                "{AZURE_CLIENT_SEND_CERTIFICATE_CHAIN} is {}, which is not a boolean; set it to \
                 true (or 1) to send the certificate chain, or false (or 0, or unset it) not to",
                quote_untrusted(&value)
            ),
        )),
    }
}
