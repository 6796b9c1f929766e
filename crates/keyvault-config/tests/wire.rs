//! Against mockito: only secrets whose `updated` changed are read again,
//! custom mapping, and a clear error for invalid JSON.

use keyvault_config::{ConfigError, KeyVaultConfig};
use mockito::{Matcher, Mock, ServerGuard};

use crate::common::mock_vault;

async fn listing(server: &mut ServerGuard, items: &[(&str, i64, &str)]) -> Mock {
    let url = server.url();
    let value: Vec<serde_json::Value> = items
        .iter()
        .map(|(name, updated, content_type)| {
            serde_json::json!({
                "id": format!("{url}/secrets/{name}"),
                "contentType": content_type,
                "attributes": {"enabled": true, "updated": updated},
            })
        })
        .collect();
    server
        .mock("GET", Matcher::Regex("^/secrets\\?".into()))
        .match_header("authorization", "Bearer test-token")
        .with_body(serde_json::json!({"value": value, "nextLink": null}).to_string())
        .create_async()
        .await
}

async fn secret(
    server: &mut ServerGuard,
    name: &str,
    value: &str,
    updated: i64,
    hits: usize,
) -> Mock {
    let url = server.url();
    server
        .mock("GET", Matcher::Regex(format!("^/secrets/{name}/\\?")))
        .match_header("authorization", "Bearer test-token")
        .with_body(
            serde_json::json!({
                "value": value,
                "id": format!("{url}/secrets/{name}/v{updated}"),
                "attributes": {"enabled": true, "updated": updated},
            })
            .to_string(),
        )
        .expect(hits)
        .create_async()
        .await
}

#[tokio::test]
async fn only_secrets_whose_updated_changed_are_read_again() {
    let (mut server, client) = mock_vault().await;
    let list = listing(
        &mut server,
        &[("a", 100, "text/plain"), ("b", 100, "text/plain")],
    )
    .await;
    let a1 = secret(&mut server, "a", "a-one", 100, 1).await;
    let b = secret(&mut server, "b", "b-one", 100, 1).await;
    let handle = KeyVaultConfig::builder(client)
        .with_key_mapping(|name| Some(format!("section.{name}")))
        .build()
        .unwrap()
        .watch(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        handle.current().keys().collect::<Vec<_>>(),
        ["section.a", "section.b"]
    );
    a1.assert_async().await;

    list.remove_async().await;
    a1.remove_async().await;
    listing(
        &mut server,
        &[("a", 200, "text/plain"), ("b", 100, "text/plain")],
    )
    .await;
    let a2 = secret(&mut server, "a", "a-two", 200, 1).await;
    let report = handle.reload_now().await.unwrap();
    assert_eq!((report.fetched, report.changed), (1, true));
    a2.assert_async().await;
    b.assert_async().await;
    assert_eq!(
        handle.current().get("section.a").unwrap().expose_secret(),
        "a-two"
    );
}

#[tokio::test]
async fn invalid_json_is_a_clear_error_without_the_value() {
    let (mut server, client) = mock_vault().await;
    listing(
        &mut server,
        &[("cfg", 100, "application/json; charset=utf-8")],
    )
    .await;
    secret(&mut server, "cfg", "{not json: hunter2", 100, 1).await;
    let err = KeyVaultConfig::builder(client)
        .with_nested_json(true)
        .build()
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidJson { .. }), "{err:?}");
    let chain = format!("{err} / {}", std::error::Error::source(&err).unwrap());
    assert!(
        chain.contains("secret `cfg` has content type application/json"),
        "{chain}"
    );
    assert!(!chain.contains("hunter2"), "{chain}");
}

#[test]
fn a_prefix_that_cannot_match_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_server, client) = rt.block_on(mock_vault());
    let err = KeyVaultConfig::builder(client)
        .with_prefix("my_app")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("can never match"), "{err}");
}

#[tokio::test]
async fn failed_reload_logs_without_values_and_zero_interval_is_refused() {
    let logs = credential_core::test_util::LogCapture::start();
    let (mut server, client) = mock_vault().await;
    let list = listing(&mut server, &[("db--password", 100, "text/plain")]).await;
    secret(&mut server, "db--password", "hunter2", 100, 1).await;
    let config = KeyVaultConfig::builder(client).build().unwrap();
    let err = config.watch(std::time::Duration::ZERO).await.unwrap_err();
    assert!(err.to_string().contains("interval"), "{err}");
    let handle = config
        .watch(std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    list.remove_async().await;
    server
        .mock("GET", Matcher::Regex("^/secrets\\?".into()))
        .with_status(500)
        .create_async()
        .await;
    assert!(matches!(
        handle.reload_now().await.unwrap_err(),
        ConfigError::List { .. }
    ));
    assert_eq!(
        handle.current().get("db.password").unwrap().expose_secret(),
        "hunter2"
    );
    assert!(
        logs.contents()
            .contains("keeping the last good configuration")
    );
    logs.assert_absent(&["hunter2"]);
}
