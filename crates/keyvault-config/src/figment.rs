//! [`Snapshot`] as a `figment::Provider` (feature `figment`).

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

use crate::snapshot::Snapshot;

/// Provides the snapshot's keys in the default profile.
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), Box<dyn std::error::Error>> {
/// use figment::Figment;
/// use keyvault_config::KeyVaultConfig;
/// #[derive(serde::Deserialize)]
/// struct Database { host: String, password: String }
/// #[derive(serde::Deserialize)]
/// struct App { database: Database }
/// let snapshot = KeyVaultConfig::builder(client).with_prefix("myapp-").build()?.load().await?;
/// let app: App = Figment::new().merge(snapshot).extract()?;
/// # Ok(()) }
/// ```
impl Provider for Snapshot {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("Azure Key Vault {}", self.vault_url()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let value = Value::serialize(self.to_json())?;
        let dict = value
            .into_dict()
            .ok_or_else(|| Error::from("the Key Vault configuration is not a table".to_owned()))?;
        Ok(Profile::Default.collect(dict))
    }
}
