//! The public models ([`KeyVaultSecret`], [`SecretProperties`],
//! [`DeletedSecret`]) and the wire shapes they are read from and written to.

use http::StatusCode;
use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;
use crate::identifier::KeyVaultSecretIdentifier;
use crate::value::SecretValue;

/// Unix-seconds (de)serialization of `Option<OffsetDateTime>`.
pub(crate) mod unix_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => s.serialize_i64(t.unix_timestamp()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        // Integers are the wire format; tolerate a float (truncated).
        let value = Option::<f64>::deserialize(d)?;
        value
            .map(|v| {
                if !v.is_finite() {
                    return Err(serde::de::Error::custom("a time is not a finite number"));
                }
                OffsetDateTime::from_unix_timestamp(v.trunc() as i64)
                    .map_err(|e| serde::de::Error::custom(format!("a time is out of range: {e}")))
            })
            .transpose()
    }
}

/// `SecretAttributes` on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(
        default,
        with = "unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub exp: Option<OffsetDateTime>,
    #[serde(default, with = "unix_seconds", skip_serializing)]
    pub created: Option<OffsetDateTime>,
    #[serde(default, with = "unix_seconds", skip_serializing)]
    pub updated: Option<OffsetDateTime>,
    #[serde(skip_serializing)]
    pub recoverable_days: Option<i32>,
    #[serde(skip_serializing)]
    pub recovery_level: Option<String>,
}

impl WireAttributes {
    fn is_empty(&self) -> bool {
        self.enabled.is_none() && self.nbf.is_none() && self.exp.is_none()
    }
}

/// Every bundle and item shape the service returns, read leniently.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBundle {
    pub value: Option<String>,
    pub id: Option<String>,
    pub content_type: Option<String>,
    #[serde(default)]
    pub attributes: Option<WireAttributes>,
    pub tags: Option<HashMap<String, String>>,
    pub kid: Option<String>,
    pub managed: Option<bool>,
    pub previous_version: Option<String>,
    pub recovery_id: Option<String>,
    #[serde(default, with = "unix_seconds")]
    pub scheduled_purge_date: Option<OffsetDateTime>,
    #[serde(default, with = "unix_seconds")]
    pub deleted_date: Option<OffsetDateTime>,
}

/// A page of a listing.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePage {
    #[serde(default)]
    pub value: Option<Vec<WireBundle>>,
    pub next_link: Option<String>,
}

/// `BackupSecretResult` / `SecretRestoreParameters`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireBlob {
    pub value: Option<String>,
}

/// The PUT body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SetBody<'a> {
    pub value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a HashMap<String, String>>,
    #[serde(skip_serializing_if = "WireAttributes::is_empty")]
    pub attributes: WireAttributes,
}

/// The PATCH body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "WireAttributes::is_empty")]
    pub attributes: WireAttributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a HashMap<String, String>>,
}

/// A secret's metadata: everything but its value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SecretProperties {
    /// The id the service returned (with a version for single secrets, without
    /// one in listings).
    pub id: String,
    /// The secret's name.
    pub name: String,
    /// The version, when the id has one.
    pub version: Option<String>,
    /// The vault URL, taken from the id.
    pub vault_url: String,
    /// The content type, e.g. `text/plain`.
    pub content_type: Option<String>,
    /// Whether the secret is enabled.
    pub enabled: Option<bool>,
    /// Not valid before this time.
    pub not_before: Option<OffsetDateTime>,
    /// Not valid after this time.
    pub expires_on: Option<OffsetDateTime>,
    /// When this version was created.
    pub created_on: Option<OffsetDateTime>,
    /// When this version was last updated.
    pub updated_on: Option<OffsetDateTime>,
    /// The vault's deletion recovery level, e.g. `Recoverable+Purgeable`.
    pub recovery_level: Option<String>,
    /// Days a deleted secret is kept (7 to 90 with soft delete).
    pub recoverable_days: Option<i32>,
    /// The tags.
    pub tags: HashMap<String, String>,
    /// Whether the secret backs a certificate.
    pub managed: Option<bool>,
    /// The id of the key backing a certificate, if any.
    pub key_id: Option<String>,
    /// The previous certificate version (2025-07-01 and later).
    pub previous_version: Option<String>,
}

/// A secret: its value and properties. The value reads as a `&str`, is
/// wiped from memory when dropped and never shows in `Debug`.
///
/// ```
/// # use keyvault_secrets::{KeyVaultSecret, SecretProperties};
/// let secret = KeyVaultSecret::new("hunter2", SecretProperties::default());
/// assert_eq!(secret.value, "hunter2");
/// let text: &str = &secret.value;
/// assert_eq!(text.len(), 7);
/// assert!(!format!("{secret:?}").contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyVaultSecret {
    /// The value.
    pub value: SecretValue,
    /// The properties.
    pub properties: SecretProperties,
}

impl KeyVaultSecret {
    /// A secret with a value and properties.
    pub fn new(value: impl Into<String>, properties: SecretProperties) -> Self {
        Self {
            value: SecretValue::from(value.into()),
            properties,
        }
    }
}

impl fmt::Debug for KeyVaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultSecret")
            .field("value", &"***")
            .field("properties", &self.properties)
            .finish()
    }
}

/// A soft-deleted secret. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeletedSecret {
    /// The value, when the service returned one.
    pub value: Option<SecretValue>,
    /// The properties.
    pub properties: SecretProperties,
    /// The id to recover or purge with; absent when soft delete is off.
    pub recovery_id: Option<String>,
    /// When it was deleted.
    pub deleted_on: Option<OffsetDateTime>,
    /// When it will be purged.
    pub scheduled_purge_date: Option<OffsetDateTime>,
}

impl fmt::Debug for DeletedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeletedSecret")
            .field("value", &self.value.as_ref().map(|_| "***"))
            .field("properties", &self.properties)
            .field("recovery_id", &self.recovery_id)
            .field("deleted_on", &self.deleted_on)
            .field("scheduled_purge_date", &self.scheduled_purge_date)
            .finish()
    }
}

impl WireBundle {
    /// The properties; the id must be a valid secret id. Takes the bundle
    /// so that its strings and tags move instead of being copied.
    pub(crate) fn properties(self) -> Result<SecretProperties, String> {
        self.properties_in(None)
    }

    /// [`properties`](Self::properties) of a bundle from the vault at
    /// `vault` (`scheme://host[:port]`), whose ids need only their path
    /// checked.
    pub(crate) fn properties_in(self, vault: Option<&str>) -> Result<SecretProperties, String> {
        let id = self.id.ok_or("the secret has no 'id'")?;
        let parsed = match vault {
            Some(vault) => KeyVaultSecretIdentifier::parse_owned_in(id, vault),
            None => KeyVaultSecretIdentifier::parse_owned(id),
        }
        .map_err(|e| e.to_string())?;
        let attrs = self.attributes.unwrap_or_default();
        Ok(SecretProperties {
            id: parsed.source_id,
            name: parsed.name,
            version: parsed.version,
            vault_url: parsed.vault_url,
            content_type: self.content_type,
            enabled: attrs.enabled,
            not_before: attrs.nbf,
            expires_on: attrs.exp,
            created_on: attrs.created,
            updated_on: attrs.updated,
            recovery_level: attrs.recovery_level,
            recoverable_days: attrs.recoverable_days,
            tags: self.tags.unwrap_or_default(),
            managed: self.managed,
            key_id: self.kid,
            previous_version: self.previous_version,
        })
    }

    /// The secret of a bundle from the vault at `vault`, if known (see
    /// [`properties_in`](Self::properties_in)).
    pub(crate) fn into_secret_in(mut self, vault: Option<&str>) -> Result<KeyVaultSecret, String> {
        let value = self.value.take();
        let properties = self.properties_in(vault)?;
        Ok(KeyVaultSecret {
            value: SecretValue::from(value.ok_or("the secret has no 'value'")?),
            properties,
        })
    }

    pub(crate) fn into_deleted(mut self) -> Result<DeletedSecret, String> {
        let value = self.value.take();
        let recovery_id = self.recovery_id.take();
        let deleted_on = self.deleted_date;
        let scheduled_purge_date = self.scheduled_purge_date;
        let properties = self.properties()?;
        Ok(DeletedSecret {
            value: value.map(SecretValue::from),
            properties,
            recovery_id,
            deleted_on,
            scheduled_purge_date,
        })
    }
}

/// Maps a parse failure of a success response to [`Error::MalformedResponse`].
pub(crate) fn malformed(
    status: StatusCode,
    request_id: Option<String>,
    message: impl Into<String>,
) -> Error {
    Error::MalformedResponse {
        status,
        message: message.into(),
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bundle_with_times_and_unknown_fields() {
        let json = r#"{"value":"v","id":"https://x.vault.azure.net/secrets/n/abc","attributes":{"enabled":true,"exp":1798761600,"created":1774425179,"updated":1774425179,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{"a":"b"},"previousVersion":"p","surprise":1}"#;
        let secret = serde_json::from_str::<WireBundle>(json)
            .unwrap()
            .into_secret_in(None)
            .unwrap();
        assert_eq!(secret.value, "v");
        let p = &secret.properties;
        assert_eq!(p.name, "n");
        assert_eq!(p.version.as_deref(), Some("abc"));
        assert_eq!(p.expires_on.unwrap().unix_timestamp(), 1798761600);
        assert_eq!(p.recoverable_days, Some(90));
        assert_eq!(p.previous_version.as_deref(), Some("p"));
        assert_eq!(p.tags["a"], "b");
        assert!(!format!("{secret:?}").contains("\"v\""));
    }

    #[test]
    fn omits_nulls_when_sending() {
        let body = SetBody {
            value: "v",
            content_type: None,
            tags: None,
            attributes: WireAttributes::default(),
        };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"value":"v"}"#);
        let body = UpdateBody {
            content_type: Some("text/plain"),
            attributes: WireAttributes {
                exp: OffsetDateTime::from_unix_timestamp(1798761600).ok(),
                created: OffsetDateTime::from_unix_timestamp(1).ok(),
                ..Default::default()
            },
            tags: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"contentType":"text/plain","attributes":{"exp":1798761600}}"#
        );
    }

    #[test]
    fn debug_of_secrets_hides_values() {
        let deleted = DeletedSecret {
            value: Some(SecretValue::from("s3cr3t-value")),
            properties: SecretProperties::default(),
            recovery_id: None,
            deleted_on: None,
            scheduled_purge_date: None,
        };
        assert!(!format!("{deleted:?}").contains("s3cr3t-value"));
        let secret = KeyVaultSecret::new("s3cr3t-value", SecretProperties::default());
        assert!(!format!("{secret:?} {secret:#?}").contains("s3cr3t-value"));
    }
}
