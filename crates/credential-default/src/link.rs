//! One credential of the default chain as a link of credential-core's chain
//! engine, with the default chain's rules for it.

use std::sync::Arc;

use credential_core::__private::ChainLink;
use credential_core::{CredentialError, TokenCredential};

use crate::CredentialKind;

/// The link for `kind` over its build result:
/// - a build error is kept and returned by every `get_token`: "unavailable"
///   (the inputs are absent) moves the chain on; anything else (inputs
///   present but wrong) stops it;
/// - a developer tool's failure other than `InvalidConfiguration` is
///   unavailable (as Python's chain treats them), so the next tool runs;
/// - managed identity runs concurrently with the developer tools on a first
///   call (the ordered chain's result still wins);
/// - each link brings its setup hint for the chain's error.
pub(crate) fn link(
    kind: CredentialKind,
    credential: Result<Arc<dyn TokenCredential>, CredentialError>,
) -> (CredentialKind, ChainLink) {
    let link = ChainLink::from_build(kind.name(), credential)
        .lenient(kind.is_developer_tool())
        .setup_hint(kind.setup_hint())
        .concurrent(kind == CredentialKind::ManagedIdentity);
    (kind, link)
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
