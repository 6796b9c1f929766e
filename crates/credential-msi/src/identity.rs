//! [`UserAssignedId`]: which user-assigned managed identity to use.

use std::fmt;
use std::str::FromStr;

/// A user-assigned managed identity, named one of three ways. Without one the
/// credential uses the system-assigned identity.
///
/// Its text form ([`Display`](fmt::Display) and [`FromStr`], which
/// round-trip) is `kind=value`, with the kind spelt as the managed identity
/// endpoints' own query parameters: `client_id=<guid>`, `object_id=<guid>`
/// or `resource_id=/subscriptions/…`. The kind is read in any case and
/// white space around the kind and the value is ignored.
///
/// ```
/// use credential_msi::UserAssignedId;
/// let id: UserAssignedId = "client_id=00000000-0000-0000-0000-000000000001".parse().unwrap();
/// assert_eq!(id, UserAssignedId::ClientId("00000000-0000-0000-0000-000000000001".into()));
/// assert_eq!(id.kind(), "client id");
/// assert_eq!(id.to_string(), "client_id=00000000-0000-0000-0000-000000000001");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// The text forms' kinds, in the order messages list them.
const TEXT_KINDS: [&str; 3] = ["client_id", "object_id", "resource_id"];

impl UserAssignedId {
    /// The kind as the text form spells it.
    fn text_kind(&self) -> &'static str {
        match self {
            Self::ClientId(_) => TEXT_KINDS[0],
            Self::ObjectId(_) => TEXT_KINDS[1],
            Self::ResourceId(_) => TEXT_KINDS[2],
        }
    }

    /// Checks the value: not blank, no white space or control character
    /// inside (an id never has one; a stray one is a copy-paste error).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let value = self.value();
        if value.trim().is_empty() {
            return Err(format!(
                "the {} is empty; give the identity's {}",
                self.kind(),
                self.kind()
            ));
        }
        if value
            .trim()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "the {} '{}' contains white space or a control character; ids have none",
                self.kind(),
                value.escape_debug()
            ));
        }
        Ok(())
    }
}

/// Displays the text form, `client_id=…`, `object_id=…` or `resource_id=…`.
impl fmt::Display for UserAssignedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.text_kind(), self.value())
    }
}

/// Why a text is not a [`UserAssignedId`]; its message names the accepted
/// forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseUserAssignedIdError {
    input: String,
    reason: String,
}

impl fmt::Display for ParseUserAssignedIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a user-assigned identity: {} (expected client_id=<guid>, object_id=<guid> or resource_id=/subscriptions/…/userAssignedIdentities/<name>)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseUserAssignedIdError {}

impl FromStr for UserAssignedId {
    type Err = ParseUserAssignedIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| ParseUserAssignedIdError {
            input: s.escape_debug().to_string(),
            reason,
        };
        let (kind, value) = s
            .split_once('=')
            .ok_or_else(|| fail("it has no '=' between the kind and the value".into()))?;
        let value = value.trim().to_owned();
        let kind = kind.trim();
        let id = if kind.eq_ignore_ascii_case(TEXT_KINDS[0]) {
            Self::ClientId(value)
        } else if kind.eq_ignore_ascii_case(TEXT_KINDS[1]) {
            Self::ObjectId(value)
        } else if kind.eq_ignore_ascii_case(TEXT_KINDS[2]) {
            Self::ResourceId(value)
        } else {
            return Err(fail(format!(
                "the kind '{}' is unknown",
                kind.escape_debug()
            )));
        };
        id.validate().map_err(fail)?;
        Ok(id)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_form_edge_cases() {
        let cases: &[(&str, Option<UserAssignedId>)] = &[
            ("client_id=abc", Some(UserAssignedId::ClientId("abc".into()))),
            ("CLIENT_ID = abc ", Some(UserAssignedId::ClientId("abc".into()))),
            ("object_id=o", Some(UserAssignedId::ObjectId("o".into()))),
            (
                "resource_id=/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n",
                Some(UserAssignedId::ResourceId(
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/n".into(),
                )),
            ),
            ("client_id=a=b", Some(UserAssignedId::ClientId("a=b".into()))),
            ("", None),
            ("abc", None),
            ("client_id=", None),
            ("client_id=  ", None),
            ("client_id=a b", None),
            ("client_id=a\u{0}", None),
            ("clientid=abc", None),
            ("msi_res_id=/x", None),
            ("=abc", None),
        ];
        for (text, expected) in cases {
            match (text.parse::<UserAssignedId>(), expected) {
                (Ok(id), Some(expected)) => {
                    assert_eq!(&id, expected, "{text}");
                    assert_eq!(id.to_string().parse::<UserAssignedId>().unwrap(), id);
                }
                (Err(e), None) => {
                    let message = e.to_string();
                    assert!(
                        message.contains("client_id=<guid>") && message.contains("resource_id="),
                        "{text}: {message}"
                    );
                }
                (got, expected) => panic!("{text}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(kind in 0..3usize, value in "[!-~]{1,40}") {
            let id = match kind {
                0 => UserAssignedId::ClientId(value),
                1 => UserAssignedId::ObjectId(value),
                _ => UserAssignedId::ResourceId(value),
            };
            prop_assert_eq!(id.to_string().parse::<UserAssignedId>(), Ok(id));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<UserAssignedId>();
        }
    }
}
