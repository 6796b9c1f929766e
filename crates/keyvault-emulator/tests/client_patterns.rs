//! `SecretClient`'s request values, pagers and pollers against a real
//! emulator over loopback HTTP, at the default API version (2026-04-01).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use futures::TryStreamExt;
use keyvault_emulator::Emulator;
use keyvault_secrets::{Method, SecretProperties};

#[tokio::test]
async fn request_values_pagers_and_pollers_against_the_emulator() {
    let emulator = Emulator::builder()
        .operation_delay(Duration::from_millis(40))
        .start()
        .await
        .unwrap();
    let client = common::client_for(&emulator);

    let v1 = client
        .set_secret("db-password", "hunter2")
        .content_type("text/plain")
        .tag("env", "prod")
        .await
        .unwrap();
    let v1_version = v1.properties.version.clone().unwrap();
    client.set_secret("db-password", "hunter3").await.unwrap();
    let old = client
        .get_secret("db-password")
        .version(&v1_version)
        .await
        .unwrap();
    assert_eq!(old.value, "hunter2");
    assert_eq!(old.properties.tags["env"], "prod");
    let props = client
        .update_secret_properties("db-password")
        .version(&v1_version)
        .enabled(false)
        .await
        .unwrap();
    assert_eq!(props.enabled, Some(false));
    let response = client
        .get_secret("db-password")
        .with_response()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.value().value, "hunter3");

    // Pages of one item, resumed from a continuation token.
    for n in 0..3 {
        client.set_secret(&format!("page-{n}"), "v").await.unwrap();
    }
    let mut pages = client
        .list_properties_of_secrets()
        .max_page_size(1)
        .into_pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 1);
    let token = first.continuation_token.clone().unwrap();
    let rest: Vec<SecretProperties> = client
        .list_properties_of_secrets()
        .continuation_token(token)
        .try_collect()
        .await
        .unwrap();
    let mut all: Vec<String> = first
        .items
        .iter()
        .chain(&rest)
        .map(|p| p.name.clone())
        .collect();
    all.sort();
    assert_eq!(all, ["db-password", "page-0", "page-1", "page-2"]);

    // Delete, resumed from its token; recover, then recover again (done at once).
    let poller = client.begin_delete_secret("page-0").await.unwrap();
    let token = poller.resume_token();
    drop(poller);
    let deleted = client
        .resume_delete_secret(&token)
        .unwrap()
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(deleted.properties.name, "page-0");
    let recovered = client
        .begin_recover_deleted_secret("page-0")
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(recovered.name, "page-0");
    let again = client.begin_recover_deleted_secret("page-0").await.unwrap();
    assert!(again.is_done(), "the secret exists: nothing to recover");

    // Any request through the pipeline.
    let raw = client
        .send_request(Method::GET, "secrets/page-1/")
        .await
        .unwrap();
    assert_eq!(raw.status.as_u16(), 200);
    assert!(std::str::from_utf8(&raw.body).unwrap().contains("page-1"));
}
