//! [`AccessToken`]: what a credential returns.

use std::fmt;

use time::OffsetDateTime;

use crate::Secret;

/// A bearer token and the times that govern its use.
///
/// `Debug` shows the times but never the token.
///
/// ```
/// use credential_core::AccessToken;
/// use time::macros::datetime;
/// let token = AccessToken::new("eyJ0eXAi...", datetime!(2030-01-01 0:00 UTC));
/// assert!(!format!("{token:?}").contains("eyJ0eXAi"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token to send as `Authorization: Bearer <token>`.
    pub token: Secret,
    /// When the token stops being accepted.
    pub expires_on: OffsetDateTime,
    /// When the issuer recommends fetching a new one, if it said so.
    pub refresh_on: Option<OffsetDateTime>,
}

impl AccessToken {
    /// A token with no refresh hint.
    pub fn new(token: impl Into<Secret>, expires_on: OffsetDateTime) -> Self {
        Self {
            token: token.into(),
            expires_on,
            refresh_on: None,
        }
    }

    /// The same token with a refresh hint.
    pub fn with_refresh_on(mut self, refresh_on: Option<OffsetDateTime>) -> Self {
        self.refresh_on = refresh_on;
        self
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_on
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_on", &self.expires_on)
            .field("refresh_on", &self.refresh_on)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn debug_hides_token() {
        let token = AccessToken::new("tok-123-secret", datetime!(2030-01-01 0:00 UTC));
        let debug = format!("{token:?}");
        assert!(!debug.contains("tok-123-secret"), "{debug}");
        assert!(debug.contains("2030"), "{debug}");
    }

    #[test]
    fn expiry_is_inclusive() {
        let at = datetime!(2030-01-01 0:00 UTC);
        let token = AccessToken::new("t", at);
        assert!(!token.is_expired(at - time::Duration::SECOND));
        assert!(token.is_expired(at));
    }
}
