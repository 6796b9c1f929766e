//! The quick-start: what the JavaScript quick-start does, in Rust.
//!
//! Sign in with `DefaultAzureCredential`, create a `SecretClient`, then set,
//! read, update, rotate, list, delete, recover and purge a secret.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use credential_core::Env;
use futures::TryStreamExt;

use time::format_description::well_known::Rfc3339;

use crate::target::Target;
use crate::{BoxError, unique_name};

/// Runs the quick-start against the vault `env` names (or the emulator),
/// narrating to `out`. Secret values are never printed.
pub async fn run(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let credential = Arc::new(target.credential()?);
    let client = target.client(Arc::clone(&credential))?;
    let name = unique_name("quickstart");

    let first = client.set_secret(&name, "first-value").await?;
    let first_version = first.properties.version.clone().unwrap_or_default();
    let signed_in = credential
        .selected()
        .map(|kind| kind.name())
        .unwrap_or("no credential");
    writeln!(
        out,
        "1. Signed in through DefaultAzureCredential with {signed_in}; set secret '{name}' (version {first_version})."
    )?;

    let read = client.get_secret(&name).await?;
    let matches = if read.value == "first-value" {
        "matches"
    } else {
        "DOES NOT match"
    };
    writeln!(
        out,
        "2. Read it back: the value {matches} what was set ({} characters).",
        read.value.len()
    )?;

    let tags = HashMap::from([("environment".to_owned(), "quickstart".to_owned())]);
    let updated = client
        .update_secret_properties(&name)
        .content_type("text/plain")
        .tags(tags)
        .await?;
    writeln!(
        out,
        "3. Updated its properties: content type {}, tags {:?}.",
        updated.content_type.as_deref().unwrap_or("none"),
        updated.tags
    )?;

    let second = client.set_secret(&name, "second-value").await?;
    let second_version = second.properties.version.clone().unwrap_or_default();
    writeln!(out, "4. Rotated it: new version {second_version}.")?;

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
    writeln!(
        out,
        "5. Listed {} secret(s), {found} '{name}'.",
        names.len()
    )?;

    let versions: Vec<String> = client
        .list_properties_of_secret_versions(&name)
        .map_ok(|p| p.version.unwrap_or_default())
        .try_collect()
        .await?;
    writeln!(out, "6. '{name}' has {} versions.", versions.len())?;

    writeln!(
        out,
        "7. Deleting '{name}' and waiting until the delete is done..."
    )?;
    let deleted = client.begin_delete_secret(&name).await?.await?;
    writeln!(
        out,
        "   Deleted; it can be recovered until {}.",
        deleted
            .scheduled_purge_date
            .and_then(|d| d.format(&Rfc3339).ok())
            .unwrap_or_else(|| "(no purge date)".to_owned())
    )?;

    writeln!(out, "8. Recovering '{name}'...")?;
    let recovered = client.begin_recover_deleted_secret(&name).await?.await?;
    writeln!(
        out,
        "   Recovered: version {} is back.",
        recovered.version.as_deref().unwrap_or_default()
    )?;

    writeln!(out, "9. Deleting it again and purging it for good...")?;
    client.begin_delete_secret(&name).await?.await?;
    client.purge_deleted_secret(&name).await?;
    writeln!(out, "   Purged.")?;
    writeln!(out, "Done.")?;
    Ok(())
}
