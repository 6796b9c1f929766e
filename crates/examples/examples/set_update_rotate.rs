//! Set a secret, update its properties, rotate it to a new version, disable
//! the old version, and list the versions; cleans up after itself.
//! Run: `cargo run -p examples --example set_update_rotate`
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in
//! (environment variables, managed identity, `az login`, ...); without it, a
//! local Key Vault emulator.

use credential_core::{Clock, SystemClock};
use credential_default::DefaultAzureCredential;
use examples::{BoxError, unique_name, vault_or_local_emulator};
use futures::TryStreamExt;
use keyvault_secrets::SecretClient;
use time::Duration;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Your vault, or a local emulator when AZURE_KEYVAULT_URL is unset.
    let vault = vault_or_local_emulator().await?;

    // In your application: `SecretClient::new(vault_url, DefaultAzureCredential::new()?)?`.
    let credential = DefaultAzureCredential::builder()
        .with_context(vault.context())
        .build()?;
    let client = SecretClient::builder(vault.vault_url.clone(), credential)
        .with_poll_interval(vault.poll_interval())
        .build()?;
    let name = unique_name("rotate");

    // Set the first version with a content type and an expiry date.
    let expires = SystemClock.now() + Duration::days(90);
    let v1 = client
        .set_secret(&name, "password-v1")
        .content_type("password")
        .expires_on(expires)
        .await?;
    let v1_version = v1.properties.version.clone().unwrap_or_default();
    println!("Set '{name}' version {v1_version}, expiring in 90 days.");

    // Tag it: updating properties does not make a new version.
    let updated = client
        .update_secret_properties(&name)
        .tags([("owner".to_owned(), "payments".to_owned())].into())
        .await?;
    println!("Tagged it: {:?}.", updated.tags);

    // Rotate: setting it again makes a new latest version.
    let v2 = client
        .set_secret(&name, "password-v2")
        .content_type("password")
        .await?;
    println!(
        "Rotated: version {} is now the latest.",
        v2.properties.version.as_deref().unwrap_or_default()
    );

    // Disable the old version so nobody reads it any more.
    let old = client
        .update_secret_properties(&name)
        .version(&v1_version)
        .enabled(false)
        .await?;
    println!(
        "Disabled the old version {v1_version}: enabled = {}.",
        old.enabled.unwrap_or(true)
    );

    // List the versions and whether each is enabled.
    let mut versions: Vec<(String, bool)> = client
        .list_properties_of_secret_versions(&name)
        .map_ok(|p| (p.version.unwrap_or_default(), p.enabled.unwrap_or(true)))
        .try_collect()
        .await?;
    versions.sort();
    println!("Versions of '{name}':");
    for (version, enabled) in &versions {
        let state = if *enabled { "enabled" } else { "disabled" };
        println!("  {version} ({state})");
    }

    // Clean up: delete, wait until the delete is done, purge.
    client.begin_delete_secret(&name).await?.await?;
    client.purge_deleted_secret(&name).await?;
    println!("Cleaned up: '{name}' deleted and purged.");
    Ok(())
}
