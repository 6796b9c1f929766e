//! [`AuthenticationRecord`]: who signed in, where, with which application.

use credential_core::CredentialError;
use serde::{Deserialize, Serialize};

/// The account an interactive sign-in produced: enough to find the same
/// account again (in a token cache) without prompting. It holds no token or
/// secret, so it may be saved as it is.
///
/// It serializes to the JSON the reference SDKs use:
/// `{"authority","homeAccountId","clientId","tenantId","username","version"}`.
///
/// ```
/// use credential_interactive::AuthenticationRecord;
/// let json = r#"{"authority":"login.microsoftonline.com","homeAccountId":"uid.utid",
///   "clientId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","tenantId":"utid",
///   "username":"alice@contoso.com","version":"1.0"}"#;
/// let record = AuthenticationRecord::from_json(json).unwrap();
/// assert_eq!(record.username, "alice@contoso.com");
/// let again = AuthenticationRecord::from_json(&record.to_json()).unwrap();
/// assert_eq!(again, record);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationRecord {
    /// The authority host the account signed in at, e.g.
    /// `login.microsoftonline.com`.
    pub authority: String,
    /// The account's home id, `{object id}.{home tenant id}`.
    pub home_account_id: String,
    /// The application (client) id that signed in.
    pub client_id: String,
    /// The tenant the account signed in to.
    pub tenant_id: String,
    /// The account's user name (`preferred_username`), e.g. an e-mail address.
    pub username: String,
    /// The record format's version, `1.0`.
    #[serde(default = "version")]
    pub version: String,
}

fn version() -> String {
    "1.0".to_owned()
}

impl AuthenticationRecord {
    /// The record as JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A record from the JSON [`to_json`](Self::to_json) wrote.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for text that is not a record's
    /// JSON, or a record of an unknown version.
    pub fn from_json(json: &str) -> Result<Self, CredentialError> {
        let record: Self = serde_json::from_str(json).map_err(|e| {
            CredentialError::invalid_configuration(
                "AuthenticationRecord",
                format!(
                    "the authentication record is not valid JSON of the expected shape ({e}); \
                     pass the JSON that AuthenticationRecord::to_json wrote"
                ),
            )
        })?;
        if record.home_account_id.trim().is_empty() || record.client_id.trim().is_empty() {
            return Err(CredentialError::invalid_configuration(
                "AuthenticationRecord",
                "the authentication record has no homeAccountId or clientId; \
                 pass the JSON that AuthenticationRecord::to_json wrote",
            ));
        }
        Ok(record)
    }
}
