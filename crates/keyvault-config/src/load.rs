//! [`KeyVaultConfig`]: loading a vault's secrets into a [`Snapshot`], and
//! reloading only what changed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use keyvault_secrets::SecretClient;

use crate::error::ConfigError;
use crate::mapping::{MapFn, Mapping};
use crate::snapshot::{Loaded, Snapshot};
use crate::vault;

/// How many secrets are read at once.
const CONCURRENT_READS: usize = 8;

/// Loads a vault's enabled secrets as configuration; see the crate docs.
#[derive(Clone)]
pub struct KeyVaultConfig {
    pub(crate) client: SecretClient,
    pub(crate) mapping: Mapping,
    pub(crate) nested_json: bool,
}

impl fmt::Debug for KeyVaultConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVaultConfig")
            .field("vault_url", &self.client.vault_url().as_str())
            .field("mapping", &self.mapping)
            .field("nested_json", &self.nested_json)
            .finish()
    }
}

/// What one reload did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReloadReport {
    /// Secrets read again (new, or their `updated` changed).
    pub fetched: usize,
    /// Secrets gone (deleted, disabled, or no longer selected).
    pub removed: usize,
    /// Whether the configuration differs from the previous one (and was
    /// published to the watchers).
    pub changed: bool,
}

/// Builds a [`KeyVaultConfig`]; see [`KeyVaultConfig::builder`].
#[derive(Debug)]
pub struct KeyVaultConfigBuilder {
    config: KeyVaultConfig,
}

impl KeyVaultConfigBuilder {
    /// Loads only secrets whose name starts with `prefix` (any case), and
    /// strips it from their keys: with `myapp-`, `myapp-Database--Host`
    /// becomes `database.host` and `other-Port` is left out.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.mapping.prefix = Some(prefix.into());
        self
    }

    /// Replaces the `--` mapping: `map` gets each selected name (prefix
    /// stripped) and returns its dotted key (`"db.password"`), or `None` to
    /// leave the secret out.
    pub fn with_key_mapping(
        mut self,
        map: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let map: MapFn = Arc::new(map);
        self.config.mapping.map = Some(map);
        self
    }

    /// With the default mapping, also turns single `-` into `_`
    /// (`Db--Max-Connections` → `db.max_connections`), to match Rust field
    /// names. Off by default (as ASP.NET).
    pub fn with_dashes_as_underscores(mut self, on: bool) -> Self {
        self.config.mapping.dashes_to_underscores = on;
        self
    }

    /// Merges secrets whose content type is `application/json` as nested
    /// values at their key instead of as one string. Off by default; a
    /// value that is not valid JSON then fails the load.
    pub fn with_nested_json(mut self, on: bool) -> Self {
        self.config.nested_json = on;
        self
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`ConfigError::InvalidOptions`] for a prefix that no secret name can
    /// match.
    pub fn build(self) -> Result<KeyVaultConfig, ConfigError> {
        if let Some(prefix) = &self.config.mapping.prefix
            && (prefix.is_empty()
                || !prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(ConfigError::InvalidOptions {
                message: format!(
                    "the prefix `{prefix}` can never match: secret names use only 0-9, a-z, A-Z and -"
                ),
            });
        }
        Ok(self.config)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"))
}

impl KeyVaultConfig {
    /// A builder over `client` (default: every enabled secret, `--` levels,
    /// lower-cased keys, JSON values kept as strings).
    pub fn builder(client: SecretClient) -> KeyVaultConfigBuilder {
        KeyVaultConfigBuilder {
            config: KeyVaultConfig {
                client,
                mapping: Mapping::default(),
                nested_json: false,
            },
        }
    }

    /// Loads the selected, enabled secrets once.
    ///
    /// # Errors
    /// [`ConfigError::List`] when listing the secrets fails, [`ConfigError::Read`]
    /// when reading one fails (a secret deleted meanwhile is skipped),
    /// [`ConfigError::InvalidJson`] for a secret marked `application/json` whose
    /// value is not JSON (with nested JSON on). The client's error is the
    /// source.
    pub async fn load(&self) -> Result<Snapshot, ConfigError> {
        self.refresh(None).await.map(|(snapshot, _)| snapshot)
    }

    /// Lists the vault and reads the secrets that are new or whose `updated`
    /// differs from `previous`; the others are taken from `previous`.
    pub(crate) async fn refresh(
        &self,
        previous: Option<&Snapshot>,
    ) -> Result<(Snapshot, ReloadReport), ConfigError> {
        let listed = vault::list_properties(&self.client)
            .await
            .map_err(|e| ConfigError::List {
                source: Arc::new(e),
            })?;
        let mut entries = BTreeMap::new();
        let mut wanted = Vec::new();
        for properties in listed {
            if properties.enabled == Some(false) {
                continue;
            }
            let Some(path) = self.mapping.path(&properties.name) else {
                continue;
            };
            let json = self.nested_json && is_json(properties.content_type.as_deref());
            let kept = previous.and_then(|p| p.entries.get(&properties.name));
            match kept {
                Some(old)
                    if properties.updated_on.is_some()
                        && old.updated == properties.updated_on
                        && old.json == json =>
                {
                    entries.insert(properties.name, old.clone());
                }
                _ => wanted.push((properties.name, path, json)),
            }
        }
        let fetched: Vec<Option<(String, Loaded)>> = futures::stream::iter(wanted)
            .map(|(name, path, json)| self.read(name, path, json))
            .buffer_unordered(CONCURRENT_READS)
            .try_collect()
            .await?;
        let mut report = ReloadReport::default();
        for (name, loaded) in fetched.into_iter().flatten() {
            report.fetched += 1;
            let same = previous
                .and_then(|p| p.entries.get(&name))
                .is_some_and(|old| {
                    old.value == loaded.value && old.path == loaded.path && old.json == loaded.json
                });
            report.changed |= !same;
            entries.insert(name, loaded);
        }
        if let Some(previous) = previous {
            report.removed = previous
                .entries
                .keys()
                .filter(|name| !entries.contains_key(*name))
                .count();
        }
        report.changed |= report.removed > 0 || previous.is_none();
        let snapshot = Snapshot {
            vault_url: self
                .client
                .vault_url()
                .as_str()
                .trim_end_matches('/')
                .into(),
            entries: Arc::new(entries),
        };
        Ok((snapshot, report))
    }

    /// Reads one secret; `None` when it vanished since the listing.
    async fn read(
        &self,
        name: String,
        path: Vec<String>,
        json: bool,
    ) -> Result<Option<(String, Loaded)>, ConfigError> {
        let (value, properties) = match vault::get_latest(&self.client, &name).await {
            Ok(read) => read,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => {
                return Err(ConfigError::Read {
                    name,
                    source: Arc::new(e),
                });
            }
        };
        if json && let Err(e) = serde_json::from_str::<serde_json::Value>(value.expose_secret()) {
            return Err(ConfigError::InvalidJson {
                name,
                source: Arc::new(e),
            });
        }
        let loaded = Loaded {
            path,
            value,
            json,
            updated: properties.updated_on,
        };
        Ok(Some((name, loaded)))
    }
}
