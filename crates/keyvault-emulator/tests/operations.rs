//! Persistence across restarts, fault injection with retries, and TLS.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets::SecretClient;

#[tokio::test]
async fn persistence_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::builder()
        .data_dir(dir.path())
        .operation_delay(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = common::client_for(&emulator);
    client
        .set_secret("kept", "v1")
        .content_type("text/plain")
        .await
        .unwrap();
    client.set_secret("kept", "v2").await.unwrap();
    client.set_secret("gone", "x").await.unwrap();
    client
        .begin_delete_secret("gone")
        .await
        .unwrap()
        .await
        .unwrap();
    emulator.shutdown().await;
    // Only the data file, the signing key: no temporary files left behind.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["signing-key", "vault.json"]);

    let emulator = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let client = common::client_for(&emulator);
    let got = client.get_secret("kept").await.unwrap();
    assert_eq!(got.value, "v2");
    assert_eq!(
        got.properties.id,
        format!(
            "{}/secrets/kept/{}",
            emulator.vault_url(),
            got.properties.version.clone().unwrap()
        )
    );
    let deleted = client.get_deleted_secret("gone").await.unwrap();
    assert!(deleted.recovery_id.is_some());
    emulator.shutdown().await;
}

#[tokio::test]
async fn corrupt_data_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vault.json"), b"{not json").unwrap();
    let err = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("vault.json"), "{err}");
    // The file is left as it was.
    assert_eq!(
        tokio::fs::read(dir.path().join("vault.json"))
            .await
            .unwrap(),
        b"{not json"
    );
}

async fn fault_round(faults: Faults) -> keyvault_emulator::FaultCounts {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = common::client_for(&emulator);
    client.set_secret("warm", "up").await.unwrap();
    emulator.set_faults(faults);
    let got = client.set_secret("after-fault", "value").await.unwrap();
    assert_eq!(got.value, "value");
    let counts = emulator.fault_counts();
    emulator.shutdown().await;
    counts
}

#[tokio::test]
async fn throttling_without_retry_after_is_retried() {
    let c = fault_round(Faults::none().throttle(2, None)).await;
    assert_eq!(c.throttled, 2);
}

#[tokio::test]
async fn throttling_with_retry_after_is_retried() {
    let c = fault_round(Faults::none().throttle(1, Some(Duration::from_secs(1)))).await;
    assert_eq!(c.throttled, 1);
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let c = fault_round(Faults::none().unavailable(2)).await;
    assert_eq!(c.unavailable, 2);
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let c = fault_round(Faults::none().drop_connections(2)).await;
    assert_eq!(c.dropped, 2);
}

#[tokio::test]
async fn slow_responses_still_succeed() {
    let c = fault_round(Faults::none().delay(Duration::from_millis(30))).await;
    assert!(c.delayed >= 1);
}

#[tokio::test]
async fn throttle_response_shape() {
    let emulator = Emulator::builder()
        .faults(Faults::none().throttle(1, Some(Duration::from_secs(3))))
        .start()
        .await
        .unwrap();
    let (status, headers, body) =
        common::send(reqwest::Client::new().get(common::url(&emulator, "/secrets"))).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "3");
    assert_eq!(body["error"]["code"], "Throttled");
    // Token endpoints are never faulted.
    emulator.set_faults(Faults::none().unavailable(5));
    let _ = common::token(&emulator).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn tls_mode_serves_https_trusted_via_the_certificate() {
    let emulator = Emulator::builder().tls(true).start().await.unwrap();
    assert!(emulator.vault_url().starts_with("https://127.0.0.1:"));
    let pem = emulator.certificate_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let (status, headers, _) = common::send(http.get(common::url(&emulator, "/secrets"))).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(&format!("resource=\"{}\"", emulator.vault_url()))
    );
    // Without trusting the certificate, the handshake fails.
    assert!(
        reqwest::Client::new()
            .get(common::url(&emulator, "/secrets"))
            .send()
            .await
            .is_err()
    );

    // SecretClient over HTTPS, trusting the emulator's certificate with one
    // builder call.
    let credential = common::secret_credential(
        http.clone(),
        emulator.token_endpoint(),
        emulator.client_id().to_owned(),
        emulator.client_secret().to_owned(),
        Arc::default(),
    );
    let client = SecretClient::builder(emulator.vault_url(), credential)
        .with_ca_pem(pem)
        .with_retry_policy(common::fast_retries())
        .build()
        .unwrap();
    client.set_secret("over-tls", "v").await.unwrap();
    let got = client.get_secret("over-tls").await.unwrap();
    assert_eq!(got.value, "v");
    emulator.shutdown().await;
}

#[tokio::test]
async fn tls_certificate_is_kept_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let first = Emulator::builder()
        .tls(true)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let pem = first.certificate_pem().unwrap().to_owned();
    first.shutdown().await;
    let second = Emulator::builder()
        .tls(true)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_eq!(second.certificate_pem(), Some(pem.as_str()));
    second.shutdown().await;
}

#[tokio::test]
async fn env_vars_point_at_the_emulator() {
    let emulator = Emulator::builder().start().await.unwrap();
    let env = emulator.env_vars();
    let get = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("AZURE_KEYVAULT_URL"), emulator.vault_url());
    assert_eq!(get("AZURE_AUTHORITY_HOST"), emulator.authority_host());
    assert_eq!(get("AZURE_TENANT_ID"), emulator.tenant_id());
    assert_eq!(get("AZURE_CLIENT_ID"), emulator.client_id());
    assert_eq!(get("AZURE_CLIENT_SECRET"), emulator.client_secret());
    assert_eq!(
        get("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
        emulator.imds_endpoint()
    );
    // The builder's Debug does not show client secrets.
    let builder = Emulator::builder().client("id", "very-secret-value");
    assert!(!format!("{builder:?}").contains("very-secret-value"));
    // Nor does the running emulator's: no client secret, no secret values.
    let client = common::client_for(&emulator);
    client
        .set_secret("shown", "never-printed-value")
        .await
        .unwrap();
    let debug = format!("{emulator:?}");
    assert!(!debug.contains(emulator.client_secret()), "{debug}");
    assert!(!debug.contains("never-printed-value"), "{debug}");
    emulator.shutdown().await;
}
