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
