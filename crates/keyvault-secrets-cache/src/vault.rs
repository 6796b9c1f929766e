//! Every call this crate makes on [`SecretClient`], in one place, so that a
//! change of the client's call style touches only this file.

use credential_core::Secret;
use keyvault_secrets::{SecretClient, SecretProperties};

/// A secret as read from the vault: its value (wiped on drop) and properties.
pub(crate) struct Fetched {
    pub value: Secret,
    pub properties: SecretProperties,
}

/// Reads the latest version of `name` (`version` = `None`) or one version.
pub(crate) async fn get_secret(
    client: &SecretClient,
    name: &str,
    version: Option<&str>,
) -> Result<Fetched, keyvault_secrets::Error> {
    let keyvault_secrets::KeyVaultSecret {
        value, properties, ..
    } = client
        .get_secret(name)
        .version(version.unwrap_or_default())
        .await?;
    Ok(Fetched {
        // Moves the value into the wiped-on-drop type without a copy.
        value: value.into_secret(),
        properties,
    })
}
