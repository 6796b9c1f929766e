//! Secrets as application configuration: load a vault's secrets into a
//! typed `struct` through figment, change one, and watch the reload; then
//! read a secret through `SecretCache`.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use credential_core::Env;
use keyvault_config::KeyVaultConfig;
use keyvault_secrets_cache::SecretCache;
use serde::Deserialize;

use crate::target::Target;
use crate::{BoxError, unique_name};

/// The application's configuration, as the application wants it.
#[derive(Debug, Deserialize)]
pub struct AppConfig {
    /// The `database` section.
    pub database: Database,
    /// The `features` section (one JSON secret).
    pub features: Features,
}

/// The `database` section.
#[derive(Deserialize)]
pub struct Database {
    /// From `{prefix}Database--Host`.
    pub host: String,
    /// From `{prefix}Database--Password`.
    pub password: String,
    /// From `{prefix}Database--Pool-Size` (dashes become underscores).
    pub pool_size: u32,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("host", &self.host)
            .field("password", &"***")
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// The `features` section.
#[derive(Debug, Deserialize)]
pub struct Features {
    /// Whether the beta is on.
    pub beta: bool,
    /// The rollout percentage.
    pub rollout: u8,
}

fn typed(snapshot: keyvault_config::Snapshot) -> Result<AppConfig, BoxError> {
    // `extract_lossy`: secret values are strings; "8" becomes a number here.
    Ok(figment::Figment::new().merge(snapshot).extract_lossy()?)
}

/// Seeds a few secrets under a fresh prefix, loads them as configuration,
/// changes one and shows the reload, narrating to `out`. Secret values are
/// never printed.
pub async fn run(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let client = target.client(Arc::new(target.credential()?))?;
    let prefix = format!("{}-", unique_name("appcfg"));
    let password = unique_name("pw");
    let seeds = [
        ("Database--Host", "db.internal", None),
        ("Database--Password", password.as_str(), None),
        ("Database--Pool-Size", "8", None),
        (
            "Features",
            r#"{"beta":true,"rollout":25}"#,
            Some("application/json"),
        ),
    ];
    for (name, value, content_type) in seeds {
        let name = format!("{prefix}{name}");
        let mut set = client.set_secret(&name, value);
        if let Some(content_type) = content_type {
            set = set.content_type(content_type);
        }
        set.await?;
    }
    writeln!(
        out,
        "1. Seeded {} secrets named {prefix}*: Database--Host, Database--Password, Database--Pool-Size, Features (application/json).",
        seeds.len()
    )?;

    let config = KeyVaultConfig::builder(client.clone())
        .with_prefix(&prefix)
        .with_dashes_as_underscores(true)
        .with_nested_json(true)
        .build()?;
    let handle = config.watch(Duration::from_secs(1)).await?;
    let mut updates = handle.subscribe();
    let app = typed(updates.borrow_and_update().clone())?;
    writeln!(
        out,
        "2. Loaded keys {:?} into AppConfig: host {}, pool size {}, password of {} characters, beta {}, rollout {} %.",
        handle.current().keys().collect::<Vec<_>>(),
        app.database.host,
        app.database.pool_size,
        app.database.password.len(),
        app.features.beta,
        app.features.rollout
    )?;

    // Key Vault's `updated` counts whole seconds; the reload compares it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .set_secret(&format!("{prefix}Database--Pool-Size"), "16")
        .await?;
    writeln!(
        out,
        "3. Changed {prefix}Database--Pool-Size to 16; waiting for the reload (every second)..."
    )?;
    tokio::time::timeout(Duration::from_secs(30), updates.changed()).await??;
    let app = typed(updates.borrow_and_update().clone())?;
    writeln!(out, "   Reloaded: pool size {}.", app.database.pool_size)?;

    let cache = SecretCache::new(client.clone());
    for _ in 0..3 {
        cache.get(&format!("{prefix}Database--Password")).await?;
    }
    let stats = cache.stats();
    writeln!(
        out,
        "4. Read the password 3 times through SecretCache: {} request, {} hits.",
        stats.misses, stats.hits
    )?;

    drop(handle);
    for (name, _, _) in seeds {
        client
            .begin_delete_secret(&format!("{prefix}{name}"))
            .await?
            .wait()
            .await?;
    }
    writeln!(out, "5. Deleted the seeded secrets. Done.")?;
    Ok(())
}
