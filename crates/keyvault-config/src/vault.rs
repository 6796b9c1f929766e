//! Every call this crate makes on [`SecretClient`], in one place, so that a
//! change of the client's call style touches only this file.

use credential_core::Secret;
use futures::TryStreamExt;
use keyvault_secrets::{SecretClient, SecretProperties};

/// The properties of every secret in the vault (latest versions, no values).
pub(crate) async fn list_properties(
    client: &SecretClient,
) -> Result<Vec<SecretProperties>, keyvault_secrets::Error> {
    client.list_properties_of_secrets().try_collect().await
}

/// The latest version of `name`: its value (wiped on drop) and properties.
pub(crate) async fn get_latest(
    client: &SecretClient,
    name: &str,
) -> Result<(Secret, SecretProperties), keyvault_secrets::Error> {
    let keyvault_secrets::KeyVaultSecret {
        value, properties, ..
    } = client.get_secret(name).await?;
    Ok((value.into_secret(), properties))
}
