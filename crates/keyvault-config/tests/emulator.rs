//! Against the embedded emulator: key mapping and prefix, nested JSON,
//! figment and config, reload picking up a change, and a failed reload.

use std::collections::HashMap;
use std::time::Duration;

use keyvault_config::{ConfigError, KeyVaultConfig};
use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets::SecretClient;

use crate::common::emulator_client;

async fn seed(client: &SecretClient) {
    for (name, value) in [
        ("myapp-Database--Host", "db.local"),
        ("myapp-Database--Password", "hunter2"),
        ("myapp-Port", "5432"),
        ("other-Thing", "not selected"),
    ] {
        client.set_secret(name, value).await.unwrap();
    }
    client
        .set_secret("myapp-Features", r#"{"beta":true,"limits":{"rps":10}}"#)
        .content_type("application/json")
        .await
        .unwrap();
    client
        .set_secret("myapp-Off", "disabled")
        .enabled(false)
        .await
        .unwrap();
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Database {
    host: String,
    password: String,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Limits {
    rps: u32,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Features {
    beta: bool,
    limits: Limits,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct App {
    database: Database,
    port: u16,
    features: Features,
}

#[tokio::test]
async fn prefix_levels_and_nested_json_through_figment_and_config() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = emulator_client(&emulator);
    seed(&client).await;

    let snapshot = KeyVaultConfig::builder(client.clone())
        .with_prefix("myapp-")
        .with_nested_json(true)
        .build()
        .unwrap()
        .load()
        .await
        .unwrap();
    let keys: Vec<String> = snapshot.keys().collect();
    assert_eq!(
        keys,
        ["database.host", "database.password", "features", "port"],
        "prefix selected and stripped; disabled and unselected left out"
    );
    assert_eq!(
        snapshot.get("database.password").unwrap().expose_secret(),
        "hunter2"
    );
    assert!(!format!("{snapshot:?}").contains("hunter2"));

    let expected = App {
        database: Database {
            host: "db.local".into(),
            password: "hunter2".into(),
        },
        port: 5432,
        features: Features {
            beta: true,
            limits: Limits { rps: 10 },
        },
    };
    let app: App = figment::Figment::new()
        .merge(snapshot.clone())
        .extract_lossy()
        .unwrap();
    assert_eq!(app, expected);

    let settings = config::Config::builder()
        .set_default("database.pool", 4)
        .unwrap()
        .add_source(snapshot)
        .build()
        .unwrap();
    assert_eq!(settings.get::<u16>("port").unwrap(), 5432);
    assert_eq!(
        settings.get::<u32>("database.pool").unwrap(),
        4,
        "merged level by level"
    );
    assert_eq!(settings.get::<String>("database.host").unwrap(), "db.local");
    assert!(settings.get::<bool>("features.beta").unwrap());

    // Without nested JSON the value stays one string.
    let plain = KeyVaultConfig::builder(client)
        .with_prefix("myapp-")
        .build()
        .unwrap()
        .load()
        .await
        .unwrap();
    let features: HashMap<String, String> = figment::Figment::new()
        .merge(plain)
        .extract_inner("")
        .map(|m: HashMap<String, serde_json::Value>| {
            m.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect()
        })
        .unwrap();
    assert_eq!(features["features"], r#"{"beta":true,"limits":{"rps":10}}"#);
    emulator.shutdown().await;
}

#[tokio::test]
async fn reload_publishes_a_change_and_keeps_the_last_good_config_on_failure() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = emulator_client(&emulator);
    seed(&client).await;
    let handle = KeyVaultConfig::builder(client.clone())
        .with_prefix("myapp-")
        .build()
        .unwrap()
        .watch(Duration::from_secs(3600))
        .await
        .unwrap();
    let mut updates = handle.subscribe();
    assert_eq!(handle.current().len(), 4);

    // Nothing changed: nothing read again, nothing published.
    let report = handle.reload_now().await.unwrap();
    assert_eq!(
        (report.fetched, report.removed, report.changed),
        (0, 0, false)
    );
    assert!(!updates.has_changed().unwrap());

    // `updated` has one-second resolution: let it move on before the change.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.set_secret("myapp-Port", "6543").await.unwrap();
    client
        .update_secret_properties("myapp-Database--Host")
        .enabled(false)
        .await
        .unwrap();
    let report = handle.reload_now().await.unwrap();
    assert_eq!(
        (report.fetched, report.removed, report.changed),
        (1, 1, true)
    );
    assert!(updates.has_changed().unwrap());
    let snapshot = updates.borrow_and_update().clone();
    assert_eq!(snapshot.get("port").unwrap().expose_secret(), "6543");
    assert!(snapshot.get("database.host").is_none(), "disabled: removed");

    // The vault fails: the last good configuration stays.
    emulator.set_faults(Faults::none().unavailable(1));
    let err = handle.reload_now().await.unwrap_err();
    assert!(matches!(err, ConfigError::List { .. }), "{err:?}");
    assert!(handle.last_error().is_some());
    assert_eq!(
        handle.current().get("port").unwrap().expose_secret(),
        "6543"
    );
    assert!(!updates.has_changed().unwrap());
    let report = handle.reload_now().await.unwrap();
    assert!(!report.changed);
    assert!(handle.last_error().is_none());
    emulator.shutdown().await;
}
