//! The quick-start: what the JavaScript quick-start does, in Rust.
//! Run: `cargo run -p examples --example quickstart`
//!
//! Sign in with `DefaultAzureCredential`, create a `SecretClient`, then set,
//! read, update, rotate, list, delete, recover and purge a secret. Secret
//! values are never printed.
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in
//! (environment variables, managed identity, `az login`, ...); without it, a
//! local Key Vault emulator.

use std::collections::HashMap;

use credential_default::DefaultAzureCredential;
use examples::{BoxError, unique_name, vault_or_local_emulator};
use futures::TryStreamExt;
use keyvault_secrets::SecretClient;
use time::format_description::well_known::Rfc3339;

/// The quick-start. One thread is plenty; `pub` only so that a test can run
/// this `main` and read its logs.
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    // Your vault, or a local emulator when AZURE_KEYVAULT_URL is unset.
    let vault = vault_or_local_emulator().await?;

    // In your application: `DefaultAzureCredential::new()?` and
    // `SecretClient::new(vault_url, credential)?`. Here the credential reads
    // the emulator's sign-in variables instead of the process environment.
    let credential = DefaultAzureCredential::builder()
        .with_context(vault.context())
        .build()?;
    let client = SecretClient::builder(vault.vault_url.clone(), credential.clone())
        .with_poll_interval(vault.poll_interval())
        .build()?;
    let name = unique_name("quickstart");

    // 1. Set a secret. The first request signs in.
    let first = client.set_secret(&name, "first-value").await?;
    let signed_in = credential
        .selected()
        .map(|kind| kind.name())
        .unwrap_or("no credential");
    println!(
        "1. Signed in through DefaultAzureCredential with {signed_in}; set secret '{name}' (version {}).",
        first.properties.version.as_deref().unwrap_or_default()
    );

    // 2. Read it back.
    let read = client.get_secret(&name).await?;
    let matches = if read.value == "first-value" {
        "matches"
    } else {
        "DOES NOT match"
    };
    println!(
        "2. Read it back: the value {matches} what was set ({} characters).",
        read.value.len()
    );

    // 3. Update its properties (the value stays as it is).
    let tags = HashMap::from([("environment".to_owned(), "quickstart".to_owned())]);
    let updated = client
        .update_secret_properties(&name)
        .content_type("text/plain")
        .tags(tags)
        .await?;
    println!(
        "3. Updated its properties: content type {}, tags {:?}.",
        updated.content_type.as_deref().unwrap_or("none"),
        updated.tags
    );

    // 4. Rotate it: setting it again makes a new version.
    let second = client.set_secret(&name, "second-value").await?;
    println!(
        "4. Rotated it: new version {}.",
        second.properties.version.as_deref().unwrap_or_default()
    );

    // 5. List the vault's secrets (names and properties, never values).
    let names: Vec<String> = client
        .list_properties_of_secrets()
        .map_ok(|p| p.name)
        .try_collect()
        .await?;
    let found = if names.contains(&name) {
        "including"
    } else {
        "NOT including"
    };
    println!("5. Listed {} secret(s), {found} '{name}'.", names.len());

    // 6. List its versions.
    let versions: Vec<String> = client
        .list_properties_of_secret_versions(&name)
        .map_ok(|p| p.version.unwrap_or_default())
        .try_collect()
        .await?;
    println!("6. '{name}' has {} versions.", versions.len());

    // 7. Delete it: `begin_delete_secret` starts the delete, awaiting the
    //    poller waits until it is done.
    println!("7. Deleting '{name}' and waiting until the delete is done...");
    let deleted = client.begin_delete_secret(&name).await?.await?;
    println!(
        "   Deleted; it can be recovered until {}.",
        deleted
            .scheduled_purge_date
            .and_then(|d| d.format(&Rfc3339).ok())
            .unwrap_or_else(|| "(no purge date)".to_owned())
    );

    // 8. Recover it.
    println!("8. Recovering '{name}'...");
    let recovered = client.begin_recover_deleted_secret(&name).await?.await?;
    println!(
        "   Recovered: version {} is back.",
        recovered.version.as_deref().unwrap_or_default()
    );

    // 9. Delete it again and purge it for good.
    println!("9. Deleting it again and purging it for good...");
    client.begin_delete_secret(&name).await?.await?;
    client.purge_deleted_secret(&name).await?;
    println!("   Purged.");
    println!("Done.");
    Ok(())
}
