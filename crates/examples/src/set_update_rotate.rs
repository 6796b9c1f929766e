//! Set a secret, update its properties, rotate it to a new version, disable
//! the old version, and list the versions.

use std::io::Write;

use credential_core::Env;
use credential_core::{Clock, SystemClock};
use futures::TryStreamExt;

use time::Duration;

use crate::target::Target;
use crate::{BoxError, unique_name};

/// Runs the walkthrough, narrating to `out`; cleans up after itself.
pub async fn run(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let client = target.client(target.credential()?)?;
    let name = unique_name("rotate");

    let expires = SystemClock.now() + Duration::days(90);
    let v1 = client
        .set_secret(&name, "password-v1")
        .content_type("password")
        .expires_on(expires)
        .await?;
    let v1_version = v1.properties.version.clone().unwrap_or_default();
    writeln!(
        out,
        "Set '{name}' version {v1_version}, expiring in 90 days."
    )?;

    let updated = client
        .update_secret_properties(&name)
        .tags([("owner".to_owned(), "payments".to_owned())].into())
        .await?;
    writeln!(out, "Tagged it: {:?}.", updated.tags)?;

    let v2 = client
        .set_secret(&name, "password-v2")
        .content_type("password")
        .await?;
    let v2_version = v2.properties.version.clone().unwrap_or_default();
    writeln!(out, "Rotated: version {v2_version} is now the latest.")?;

    let old = client
        .update_secret_properties(&name)
        .version(&v1_version.clone())
        .enabled(false)
        .await?;
    writeln!(
        out,
        "Disabled the old version {v1_version}: enabled = {}.",
        old.enabled.unwrap_or(true)
    )?;

    let mut versions: Vec<(String, bool)> = client
        .list_properties_of_secret_versions(&name)
        .map_ok(|p| (p.version.unwrap_or_default(), p.enabled.unwrap_or(true)))
        .try_collect()
        .await?;
    versions.sort();
    writeln!(out, "Versions of '{name}':")?;
    for (version, enabled) in &versions {
        let state = if *enabled { "enabled" } else { "disabled" };
        writeln!(out, "  {version} ({state})")?;
    }

    client.begin_delete_secret(&name).await?.await?;
    client.purge_deleted_secret(&name).await?;
    writeln!(out, "Cleaned up: '{name}' deleted and purged.")?;
    Ok(())
}
