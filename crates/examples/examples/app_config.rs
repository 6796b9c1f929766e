//! Secrets as application configuration. Run:
//! `cargo run -p examples --example app_config`
//!
//! Seeds a few secrets, loads them into a typed `struct` through figment,
//! changes one and shows the reload; then reads a secret through
//! `SecretCache`. Secret values are never printed. With `AZURE_KEYVAULT_URL`
//! set it uses that vault and your real sign-in; without it, a local Key
//! Vault emulator.

use std::time::Duration;

use credential_default::DefaultAzureCredential;
use examples::{BoxError, unique_name, vault_or_local_emulator};
use keyvault_config::KeyVaultConfig;
use keyvault_secrets::SecretClient;
use keyvault_secrets_cache::SecretCache;
use serde::Deserialize;

/// The application's configuration, as the application wants it.
#[derive(Debug, Deserialize)]
struct AppConfig {
    /// The `database` section.
    database: Database,
    /// The `features` section (one JSON secret).
    features: Features,
}

/// The `database` section.
#[derive(Deserialize)]
struct Database {
    /// From `{prefix}Database--Host`.
    host: String,
    /// From `{prefix}Database--Password`.
    password: String,
    /// From `{prefix}Database--Pool-Size` (dashes become underscores).
    pool_size: u32,
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
struct Features {
    /// Whether the beta is on.
    beta: bool,
    /// The rollout percentage.
    rollout: u8,
}

/// The typed configuration from a snapshot of the vault's secrets.
fn typed(snapshot: keyvault_config::Snapshot) -> Result<AppConfig, BoxError> {
    // `extract_lossy`: secret values are strings; "8" becomes a number here.
    Ok(figment::Figment::new().merge(snapshot).extract_lossy()?)
}

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

    // 1. Seed a few secrets under a fresh prefix (your vault already has them).
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
    println!(
        "1. Seeded {} secrets named {prefix}*: Database--Host, Database--Password, Database--Pool-Size, Features (application/json).",
        seeds.len()
    );

    // 2. Load every secret under the prefix as configuration: `--` nests a
    //    key, dashes become underscores, a JSON secret becomes a section.
    //    `watch` reloads every second.
    let config = KeyVaultConfig::builder(client.clone())
        .with_prefix(&prefix)
        .with_dashes_as_underscores(true)
        .with_nested_json(true)
        .build()?;
    let handle = config.watch(Duration::from_secs(1)).await?;
    let mut updates = handle.subscribe();
    let app = typed(updates.borrow_and_update().clone())?;
    println!(
        "2. Loaded keys {:?} into AppConfig: host {}, pool size {}, password of {} characters, beta {}, rollout {} %.",
        handle.current().keys().collect::<Vec<_>>(),
        app.database.host,
        app.database.pool_size,
        app.database.password.len(),
        app.features.beta,
        app.features.rollout
    );

    // 3. Change a secret and wait for the reload.
    // Key Vault's `updated` counts whole seconds; the reload compares it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .set_secret(&format!("{prefix}Database--Pool-Size"), "16")
        .await?;
    println!(
        "3. Changed {prefix}Database--Pool-Size to 16; waiting for the reload (every second)..."
    );
    tokio::time::timeout(Duration::from_secs(30), updates.changed()).await??;
    let app = typed(updates.borrow_and_update().clone())?;
    println!("   Reloaded: pool size {}.", app.database.pool_size);

    // 4. Read a secret often through `SecretCache`: one request, then hits.
    let cache = SecretCache::new(client.clone())?;
    for _ in 0..3 {
        cache.get(&format!("{prefix}Database--Password")).await?;
    }
    let stats = cache.stats();
    println!(
        "4. Read the password 3 times through SecretCache: {} request, {} hits.",
        stats.misses, stats.hits
    );

    // 5. Stop watching and clean up.
    drop(handle);
    for (name, _, _) in seeds {
        client
            .begin_delete_secret(&format!("{prefix}{name}"))
            .await?
            .wait()
            .await?;
    }
    println!("5. Deleted the seeded secrets. Done.");
    Ok(())
}
