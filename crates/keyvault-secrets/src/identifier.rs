//! [`KeyVaultSecretIdentifier`]: the parts of a secret or deleted-secret id.

use std::fmt;

use url::Url;

use crate::error::Error;

/// Which collection an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretCollection {
    /// `/secrets/{name}[/{version}]`.
    Secrets,
    /// `/deletedsecrets/{name}`.
    DeletedSecrets,
}

impl SecretCollection {
    /// The collection's path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secrets => "secrets",
            Self::DeletedSecrets => "deletedsecrets",
        }
    }
}

/// A parsed Key Vault secret id such as
/// `https://myvault.vault.azure.net/secrets/my-secret/0123456789abcdef0123456789abcdef`.
///
/// Rules (see `keyvault-spec.md` §11): the id must be an absolute `http(s)`
/// URL with a host; empty path segments are ignored (so `…/secrets/name/`
/// has no version); the first segment must be `secrets` (then a name and an
/// optional version) or `deletedsecrets` (then a name only). An explicit
/// port is kept in [`vault_url`](Self::vault_url); `https` with `:443` is the
/// same as no port.
///
/// ```
/// use keyvault_secrets::KeyVaultSecretIdentifier;
/// let id = KeyVaultSecretIdentifier::parse(
///     "https://myvault.vault.azure.net/secrets/my-secret/abc123",
/// ).unwrap();
/// assert_eq!(id.vault_url, "https://myvault.vault.azure.net");
/// assert_eq!(id.name, "my-secret");
/// assert_eq!(id.version.as_deref(), Some("abc123"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyVaultSecretIdentifier {
    /// The id exactly as given.
    pub source_id: String,
    /// `scheme://host[:port]`, without a trailing slash.
    pub vault_url: String,
    /// The collection the id names.
    pub collection: SecretCollection,
    /// The secret's name.
    pub name: String,
    /// The version, if the id names one.
    pub version: Option<String>,
}

impl fmt::Debug for KeyVaultSecretIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultSecretIdentifier")
            .field("source_id", &self.source_id)
            .field("collection", &self.collection)
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl KeyVaultSecretIdentifier {
    /// Parses a secret or deleted-secret id. Errors are
    /// [`Error::InvalidInput`] naming the id and what is wrong with it.
    pub fn parse(id: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::invalid_input(format!(
                "'{id}' is not a valid Key Vault secret id: {why} (expected https://{{vault}}/secrets/{{name}}[/{{version}}] or https://{{vault}}/deletedsecrets/{{name}})"
            ))
        };
        let url = Url::parse(id.trim()).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad("the scheme must be https"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it has no host"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment"));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let collection = match segments.first().copied() {
            Some(c) if c.eq_ignore_ascii_case("secrets") => SecretCollection::Secrets,
            Some(c) if c.eq_ignore_ascii_case("deletedsecrets") => SecretCollection::DeletedSecrets,
            Some(_) => return Err(bad("the collection must be 'secrets' or 'deletedsecrets'")),
            None => return Err(bad("the path is empty")),
        };
        let max = match collection {
            SecretCollection::Secrets => 3,
            SecretCollection::DeletedSecrets => 2,
        };
        if segments.len() < 2 || segments.len() > max {
            return Err(bad("bad number of path segments"));
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let vault_url = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Self {
            source_id: id.to_owned(),
            vault_url,
            collection,
            name: decode(segments[1]),
            version: segments.get(2).map(|v| decode(v)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_and_deleted_ids() {
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net/secrets/n").unwrap();
        assert_eq!((id.name.as_str(), id.version.as_deref()), ("n", None));
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net/secrets/n/").unwrap();
        assert_eq!(id.version, None);
        let id =
            KeyVaultSecretIdentifier::parse("https://v.vault.azure.net:8443/secrets/n/pending")
                .unwrap();
        assert_eq!(id.vault_url, "https://v.vault.azure.net:8443");
        assert_eq!(id.version.as_deref(), Some("pending"));
        let id = KeyVaultSecretIdentifier::parse("https://v.vault.azure.net:443/deletedsecrets/n")
            .unwrap();
        assert_eq!(id.vault_url, "https://v.vault.azure.net");
        assert_eq!(id.collection, SecretCollection::DeletedSecrets);
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "not a url",
            "ftp://v.vault.azure.net/secrets/n",
            "https://v.vault.azure.net",
            "https://v.vault.azure.net/secrets",
            "https://v.vault.azure.net/keys/n",
            "https://v.vault.azure.net/secrets/n/v/extra",
            "https://v.vault.azure.net/deletedsecrets/n/v",
            "https://v.vault.azure.net/secrets/n?x=1",
        ] {
            let err = KeyVaultSecretIdentifier::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains("not a valid Key Vault secret id"),
                "{err}"
            );
        }
    }
}
