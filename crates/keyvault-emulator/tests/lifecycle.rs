//! The full secret lifecycle through `SecretClient` against a real emulator
//! over loopback HTTP.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use credential_core::LoopbackOnlyHttpClient;
use futures::TryStreamExt;
use keyvault_emulator::Emulator;
use keyvault_secrets::{Error, KeyVaultSecret, SecretClient};

/// The status, code and inner code of a service error (panics on any other error).
fn service_code(e: &Error) -> (u16, Option<&str>, Option<&str>) {
    match e {
        Error::Service(s) => (s.status().as_u16(), s.code(), s.inner_code()),
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// Asserts `err` is a 409 `Conflict` whose inner code is `inner`.
fn assert_conflict(err: &Error, inner: &str) {
    assert_eq!(
        service_code(err),
        (409, Some("Conflict"), Some(inner)),
        "{err:?}"
    );
}

/// Reads the latest version of secret `name`.
async fn get_latest(client: &SecretClient, name: &str) -> Result<KeyVaultSecret, Error> {
    client.get_secret(name).await
}

#[tokio::test]
async fn full_lifecycle_through_secret_client() {
    let emulator = Emulator::builder()
        .operation_delay(Duration::from_millis(60))
        .start()
        .await
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = SecretClient::builder(
        emulator.vault_url(),
        common::credential_for(&emulator, calls.clone()),
    )
    .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
    .with_retry_policy(common::fast_retries())
    .with_poll_interval(Duration::from_millis(20))
    .build()
    .unwrap();

    // set + get
    let tags = HashMap::from([("env".to_owned(), "test".to_owned())]);
    let v1 = client
        .set_secret("db-password", "hunter2")
        .content_type("text/plain")
        .tags(tags.clone())
        .await
        .unwrap();
    assert_eq!(v1.value, "hunter2");
    let p1 = &v1.properties;
    assert_eq!(p1.name, "db-password");
    assert_eq!(p1.vault_url, emulator.vault_url());
    let version1 = p1.version.clone().unwrap();
    assert_eq!(version1.len(), 32);
    assert_eq!(
        p1.id,
        format!("{}/secrets/db-password/{version1}", emulator.vault_url())
    );
    assert_eq!(p1.recovery_level.as_deref(), Some("Recoverable+Purgeable"));
    assert_eq!(p1.recoverable_days, Some(90));
    assert_eq!(p1.enabled, Some(true));
    assert_eq!(p1.tags, tags);
    assert!(p1.created_on.is_some() && p1.updated_on.is_some());
    // One challenge and one token for the whole run so far.
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let got = get_latest(&client, "db-password").await.unwrap();
    assert_eq!(got.value, "hunter2");
    assert_eq!(got.properties.content_type.as_deref(), Some("text/plain"));

    // a second version; get by version; update the old one
    let v2 = client.set_secret("db-password", "hunter3").await.unwrap();
    let version2 = v2.properties.version.clone().unwrap();
    assert_ne!(version1, version2);
    let latest = get_latest(&client, "db-password").await.unwrap();
    assert_eq!(latest.value, "hunter3");
    let old = client
        .get_secret("db-password")
        .version(&version1)
        .await
        .unwrap();
    assert_eq!(old.value, "hunter2");
    let expires = time::OffsetDateTime::from_unix_timestamp(1_798_761_600).unwrap();
    let updated = client
        .update_secret_properties("db-password")
        .version(&version1)
        .enabled(false)
        .expires_on(expires)
        .await
        .unwrap();
    assert_eq!(updated.enabled, Some(false));
    assert_eq!(updated.expires_on, Some(expires));
    assert_eq!(updated.tags, tags, "tags not sent are left unchanged");
    let err = client
        .get_secret("db-password")
        .version(&version1)
        .await
        .unwrap_err();
    assert_eq!(
        service_code(&err),
        (403, Some("Forbidden"), Some("SecretDisabled"))
    );

    // lists, paged by 1
    for name in ["api-key", "cert-pass"] {
        client.set_secret(name, "x").await.unwrap();
    }
    let names: Vec<String> = client
        .list_properties_of_secrets()
        .max_page_size(1)
        .map_ok(|p| p.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["api-key", "cert-pass", "db-password"]);
    let versions: Vec<(Option<String>, Option<bool>)> = client
        .list_properties_of_secret_versions("db-password")
        .max_page_size(1)
        .map_ok(|p| (p.version, p.enabled))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        versions,
        [
            (Some(version1.clone()), Some(false)),
            (Some(version2.clone()), Some(true))
        ]
    );

    // delete + poll; get deleted; list deleted
    let poller = client.begin_delete_secret("db-password").await.unwrap();
    assert!(poller.result().unwrap().recovery_id.is_some());
    let deleted = poller.wait().await.unwrap();
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{}/deletedsecrets/db-password", emulator.vault_url()).as_str())
    );
    let deleted_on = deleted.deleted_on.unwrap();
    assert_eq!(
        deleted.scheduled_purge_date.unwrap() - deleted_on,
        time::Duration::days(90)
    );
    let err = get_latest(&client, "db-password").await.unwrap_err();
    assert_eq!(service_code(&err).0, 404);
    let err = client.set_secret("db-password", "again").await.unwrap_err();
    assert_conflict(&err, "ObjectIsDeletedButRecoverable");
    let got_deleted = client.get_deleted_secret("db-password").await.unwrap();
    assert_eq!(
        got_deleted.properties.version.as_deref(),
        Some(version2.as_str())
    );
    let deleted_names: Vec<String> = client
        .list_deleted_secrets()
        .map_ok(|d| d.properties.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted_names, ["db-password"]);

    // recover + poll
    let recovered = client
        .begin_recover_deleted_secret("db-password")
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(recovered.version.as_deref(), Some(version2.as_str()));
    let back = get_latest(&client, "db-password").await.unwrap();
    assert_eq!(back.value, "hunter3");

    // backup, delete, purge, restore
    let blob = client.backup_secret("db-password").await.unwrap();
    assert!(!blob.is_empty());
    client
        .begin_delete_secret("db-password")
        .await
        .unwrap()
        .await
        .unwrap();
    client.purge_deleted_secret("db-password").await.unwrap();
    let err = client.get_deleted_secret("db-password").await.unwrap_err();
    assert_eq!(service_code(&err), (404, Some("SecretNotFound"), None));
    let restored = client.restore_secret_backup(&blob).await.unwrap();
    assert_eq!(restored.version.as_deref(), Some(version2.as_str()));
    let after = get_latest(&client, "db-password").await.unwrap();
    assert_eq!(after.value, "hunter3");
    let count = client
        .list_properties_of_secret_versions("db-password")
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(count, 2, "a restore brings back every version");
    let err = client.restore_secret_backup(&blob).await.unwrap_err();
    assert_eq!(service_code(&err).0, 409);
    let err = client.restore_secret_backup(b"garbage").await.unwrap_err();
    assert_eq!(
        service_code(&err),
        (400, Some("Malformed backup blob"), None)
    );

    // still one token for everything
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn delete_is_visible_only_after_the_delay() {
    let emulator = Emulator::builder()
        .operation_delay(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let client = common::client_for(&emulator);
    client.set_secret("slow", "v").await.unwrap();
    let poller = client.begin_delete_secret("slow").await.unwrap();
    assert!(!poller.is_done());
    // While the delete is pending: not listed, 404 when read, 409 on set and purge.
    let err = client.get_deleted_secret("slow").await.unwrap_err();
    assert_eq!(service_code(&err).0, 404);
    let err = client.set_secret("slow", "v2").await.unwrap_err();
    assert_conflict(&err, "ObjectIsBeingDeleted");
    let err = client.purge_deleted_secret("slow").await.unwrap_err();
    assert_eq!(service_code(&err).0, 409);
    emulator.set_operation_delay(Duration::ZERO);
    emulator.shutdown().await;
}
