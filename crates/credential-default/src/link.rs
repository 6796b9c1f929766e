//! [`Link`]: one credential of the default chain, with the chain's rules for
//! its errors.

use std::fmt;
use std::sync::Arc;

use credential_core::{AccessToken, CredentialError, TokenCredential, TokenRequestOptions};

use crate::CredentialKind;

/// A built credential, or why it could not be built.
pub(crate) struct Link {
    pub(crate) kind: CredentialKind,
    credential: Result<Arc<dyn TokenCredential>, CredentialError>,
}

impl Link {
    /// A link over a build result: a build error is kept and reported as
    /// "unavailable" by every `get_token`, so that one misconfigured link never
    /// stops the default credential from being constructed.
    pub(crate) fn new(
        kind: CredentialKind,
        credential: Result<Arc<dyn TokenCredential>, CredentialError>,
    ) -> Self {
        if let Err(error) = &credential {
            tracing::debug!(credential = kind.name(), %error, "could not create the credential; it will be skipped");
        }
        Self { kind, credential }
    }

    /// A token, with the default chain's error rules applied:
    /// - a link that could not be built is unavailable, with the reason;
    /// - a developer tool's failure other than `InvalidConfiguration` is
    ///   unavailable (as Python's chain treats them), so the next tool runs.
    pub(crate) async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let credential = match &self.credential {
            Ok(credential) => credential,
            Err(error) => return Err(unavailable_from_build(self.kind, error)),
        };
        match credential.get_token(scopes, options).await {
            Err(error)
                if self.kind.is_developer_tool()
                    && !error.is_unavailable()
                    && !matches!(error, CredentialError::InvalidConfiguration { .. }) =>
            {
                Err(CredentialError::unavailable(
                    self.kind.name(),
                    error.to_string(),
                ))
            }
            other => other,
        }
    }
}

fn unavailable_from_build(kind: CredentialKind, error: &CredentialError) -> CredentialError {
    if error.is_unavailable() && error.credential() == kind.name() {
        return error.clone();
    }
    CredentialError::unavailable(
        kind.name(),
        format!("the credential could not be created: {error}"),
    )
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credential {
            Ok(credential) => f.debug_tuple(self.kind.name()).field(credential).finish(),
            Err(error) => f
                .debug_struct(self.kind.name())
                .field("unavailable", &error.to_string())
                .finish(),
        }
    }
}
