//! [`UserAssignedId`]: which user-assigned managed identity to use.

use std::fmt;

/// A user-assigned managed identity, named one of three ways. Without one the
/// credential uses the system-assigned identity.
///
/// ```
/// use credential_msi::UserAssignedId;
/// let id = UserAssignedId::ClientId("00000000-0000-0000-0000-000000000001".into());
/// assert_eq!(id.kind(), "client id");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum UserAssignedId {
    /// The identity's client (application) id.
    ClientId(String),
    /// The identity's object (principal) id.
    ObjectId(String),
    /// The identity's Azure resource id
    /// (`/subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…`).
    ResourceId(String),
}

impl UserAssignedId {
    /// The id's value.
    pub fn value(&self) -> &str {
        match self {
            Self::ClientId(v) | Self::ObjectId(v) | Self::ResourceId(v) => v,
        }
    }

    /// A human name for the kind of id, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClientId(_) => "client id",
            Self::ObjectId(_) => "object id",
            Self::ResourceId(_) => "resource id",
        }
    }
}

impl fmt::Debug for UserAssignedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids are not secrets; show them, they help diagnose the wrong identity.
        match self {
            Self::ClientId(v) => f.debug_tuple("ClientId").field(v).finish(),
            Self::ObjectId(v) => f.debug_tuple("ObjectId").field(v).finish(),
            Self::ResourceId(v) => f.debug_tuple("ResourceId").field(v).finish(),
        }
    }
}

/// The query parameter names one source uses for each kind of id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdParameterNames {
    pub client_id: &'static str,
    pub object_id: &'static str,
    pub resource_id: &'static str,
}

impl IdParameterNames {
    /// The `(name, value)` query pair for `id`.
    pub(crate) fn pair<'a>(&self, id: &'a UserAssignedId) -> (&'static str, &'a str) {
        let name = match id {
            UserAssignedId::ClientId(_) => self.client_id,
            UserAssignedId::ObjectId(_) => self.object_id,
            UserAssignedId::ResourceId(_) => self.resource_id,
        };
        (name, id.value())
    }
}
