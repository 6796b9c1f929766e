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
    /// A link over a build result. A build error is kept and returned by
    /// every `get_token`, so that one link never stops the default credential
    /// from being constructed: "unavailable" (the link's inputs are absent)
    /// moves the chain on; anything else (inputs present but wrong) stops it.
    pub(crate) fn new(
        kind: CredentialKind,
        credential: Result<Arc<dyn TokenCredential>, CredentialError>,
    ) -> Self {
        if let Err(error) = &credential {
            tracing::debug!(credential = kind.name(), %error, "could not create the credential; it will be skipped");
        }
        Self { kind, credential }
    }

    /// The configuration error that stops the chain at this link before it
    /// runs: its inputs are present but wrong.
    pub(crate) fn misconfiguration(&self) -> Option<CredentialError> {
        match &self.credential {
            Err(error) if !error.is_unavailable() => Some(error.clone()),
            _ => None,
        }
    }

    /// A token, with the default chain's error rules applied:
    /// - a link that could not be built because its inputs are absent is
    ///   unavailable, with the reason; one whose inputs are present but wrong
    ///   returns that configuration error, which stops the chain;
    /// - a developer tool's failure other than `InvalidConfiguration` is
    ///   unavailable (as Python's chain treats them), so the next tool runs.
    pub(crate) async fn get_token(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        let credential = match &self.credential {
            Ok(credential) => credential,
            Err(error) => return Err(build_error(self.kind, error)),
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

fn build_error(kind: CredentialKind, error: &CredentialError) -> CredentialError {
    if !error.is_unavailable() || error.credential() == kind.name() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn link(error: CredentialError) -> Link {
        Link::new(CredentialKind::ManagedIdentity, Err(error))
    }

    #[test]
    fn only_inputs_present_but_wrong_are_a_misconfiguration() {
        let wrong = CredentialError::invalid_configuration("ManagedIdentityCredential", "bad id");
        let found = link(wrong.clone()).misconfiguration().unwrap();
        assert_eq!(found.to_string(), wrong.to_string());
        let absent = CredentialError::unavailable("ManagedIdentityCredential", "not here");
        assert!(link(absent).misconfiguration().is_none());
    }

    #[test]
    fn a_build_error_is_reported_under_the_links_name_when_unavailable() {
        let kind = CredentialKind::Environment;
        let inner = CredentialError::unavailable("ClientSecretCredential", "no secret");
        let error = build_error(kind, &inner);
        assert!(error.is_unavailable());
        assert_eq!(error.credential(), "EnvironmentCredential");
        assert!(
            error.to_string().contains("could not be created"),
            "{error}"
        );
        let own = CredentialError::unavailable("EnvironmentCredential", "absent");
        assert_eq!(build_error(kind, &own).to_string(), own.to_string());
        let wrong = CredentialError::invalid_configuration("ClientSecretCredential", "bad");
        let error = build_error(kind, &wrong);
        assert!(!error.is_unavailable());
        assert_eq!(error.credential(), "ClientSecretCredential");
    }
}
