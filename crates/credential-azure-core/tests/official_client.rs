//! End to end: the official `azure_security_keyvault_secrets::SecretClient`
//! with our `DefaultAzureCredential` through the adapter, against the local
//! emulator over HTTPS. Nothing leaves the machine: every URL is the
//! emulator's loopback origin, and managed identity and the developer tools
//! are excluded from the chain.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, HttpClient, Request, StatusCode, Transport,
};
use azure_security_keyvault_secrets::models::SetSecretParameters;
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use credential_azure_core::into_azure_core;
use credential_core::{Env, ProviderContext, SystemClock};
use credential_default::{CredentialKind, DefaultAzureCredential};
use keyvault_emulator::Emulator;

/// One exchange the official client made: method, path, whether it carried
/// a bearer token and a body, and the status it got.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exchange {
    method: String,
    path: String,
    bearer: bool,
    body: bool,
    status: u16,
}

/// azure_core's `HttpClient` on our reqwest 0.12 (rustls + ring), trusting the
/// emulator's certificate: the official client's own transport would bring
/// reqwest 0.13 and another TLS stack. Records every exchange.
#[derive(Debug)]
struct RecordingTransport {
    client: reqwest::Client,
    log: Mutex<Vec<Exchange>>,
}

#[async_trait::async_trait]
impl HttpClient for RecordingTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method =
            reqwest::Method::from_bytes(request.method().as_ref().as_bytes()).map_err(|e| {
                azure_core::Error::with_error(azure_core::error::ErrorKind::Other, e, "bad method")
            })?;
        let mut builder = self.client.request(method.clone(), request.url().clone());
        let mut bearer = false;
        for (name, value) in request.headers().iter() {
            bearer |= name.as_str().eq_ignore_ascii_case("authorization")
                && value.as_str().starts_with("Bearer ");
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = !request.body().is_empty().unwrap_or(false);
        match request.body() {
            Body::Bytes(bytes) => builder = builder.body(bytes.clone()),
            Body::SeekableStream(_) => {
                return Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Other,
                    "streaming bodies are not supported by this test transport",
                ));
            }
        }
        let response = builder.send().await.map_err(|e| {
            let kind = if e.is_connect() {
                azure_core::error::ErrorKind::Connection
            } else {
                azure_core::error::ErrorKind::Io
            };
            azure_core::Error::with_error(kind, e, "request to the emulator failed")
        })?;
        let status = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                headers.insert(
                    HeaderName::from(name.as_str().to_owned()),
                    HeaderValue::from(value.to_owned()),
                );
            }
        }
        let response_body = response.bytes().await.map_err(|e| {
            azure_core::Error::with_error(azure_core::error::ErrorKind::Io, e, "reading the body")
        })?;
        self.log.lock().unwrap().push(Exchange {
            method: method.to_string(),
            path: request.url().path().to_owned(),
            bearer,
            body,
            status,
        });
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            headers,
            response_body,
        ))
    }
}

/// The official client's default options with `transport`.
fn options_with(transport: &Arc<RecordingTransport>) -> SecretClientOptions {
    SecretClientOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(transport.clone())),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Our DefaultAzureCredential pointed at `emulator`: the environment
/// credential (client secret) against the emulator's token endpoint, over
/// HTTPS trusting its certificate. Managed identity and the developer tools
/// are excluded, and the context runs no process.
fn default_credential_for(emulator: &keyvault_emulator::RunningEmulator) -> DefaultAzureCredential {
    let pem = emulator.certificate_pem().unwrap();
    let env = Env::from_pairs(emulator.env_vars());
    let context = ProviderContext::isolated()
        .with_env(env)
        .with_clock(Arc::new(SystemClock));
    // One call trusts the emulator's certificate for every link.
    let credential = DefaultAzureCredential::builder()
        .with_context(context)
        .with_ca_pem(pem)
        .with_excluded(CredentialKind::ManagedIdentity)
        .with_excluded(CredentialKind::AzureCli)
        .with_excluded(CredentialKind::AzurePowerShell)
        .with_excluded(CredentialKind::AzureDeveloperCli)
        .build()
        .unwrap();
    assert_eq!(
        credential.credential_kinds(),
        vec![
            CredentialKind::Environment,
            CredentialKind::WorkloadIdentity
        ]
    );
    credential
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_client_verifies_the_challenge_resource_unless_told_not_to() {
    let emulator = Emulator::builder().tls(true).start().await.unwrap();
    let pem = emulator.certificate_pem().unwrap().to_owned();
    let transport = Arc::new(RecordingTransport {
        client: reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .build()
            .unwrap(),
        log: Mutex::new(Vec::new()),
    });
    let options = options_with(&transport);
    let client = SecretClient::new(
        &emulator.vault_url(),
        into_azure_core(default_credential_for(&emulator)),
        Some(options),
    )
    .unwrap();
    let error = client.get_secret("anything", None).await.unwrap_err();
    // The retry policy wraps the authorizer's error; the reason is a source.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    assert!(
        text.contains("doesn't match the requested domain '127.0.0.1'"),
        "{text}"
    );
    // It stopped at the challenge: no token was requested or sent.
    assert_eq!(transport.log.lock().unwrap().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_secret_client_sets_and_gets_a_secret_with_our_default_credential() {
    let emulator = Emulator::builder().tls(true).start().await.unwrap();
    let vault_url = emulator.vault_url();
    assert!(vault_url.starts_with("https://127.0.0.1:"), "{vault_url}");
    let pem = emulator.certificate_pem().unwrap().to_owned();

    // The official client: its transport trusts the emulator's certificate;
    // challenge-resource verification is off because the vault host
    // (127.0.0.1) is not a subdomain of the challenge resource.
    let transport = Arc::new(RecordingTransport {
        client: reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        log: Mutex::new(Vec::new()),
    });
    let options = SecretClientOptions {
        verify_challenge_resource: Some(false),
        ..options_with(&transport)
    };
    let credential = into_azure_core(default_credential_for(&emulator));
    let client = SecretClient::new(&vault_url, credential, Some(options)).unwrap();

    let parameters = SetSecretParameters {
        value: Some("from-the-official-client".into()),
        ..Default::default()
    };
    let set = client
        .set_secret("official-e2e", parameters.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(set.value.as_deref(), Some("from-the-official-client"));

    let got = client
        .get_secret("official-e2e", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(got.value.as_deref(), Some("from-the-official-client"));
    assert_eq!(got.id, set.id);
    assert!(
        got.id
            .as_deref()
            .unwrap()
            .starts_with(&format!("{vault_url}/secrets/official-e2e/")),
        "{:?}",
        got.id
    );

    // The protocol as the official client speaks it: an unauthenticated PUT
    // with its body withheld draws the challenge, then the PUT is repeated
    // with the body and our token; the GET (empty version segment, hence the
    // trailing slash) reuses the cached token.
    let log = transport.log.lock().unwrap().clone();
    let exchange = |method: &str, path: &str, bearer, body, status| Exchange {
        method: method.into(),
        path: path.into(),
        bearer,
        body,
        status,
    };
    assert_eq!(
        log,
        vec![
            exchange("PUT", "/secrets/official-e2e", false, false, 401),
            exchange("PUT", "/secrets/official-e2e", true, true, 200),
            exchange("GET", "/secrets/official-e2e/", true, false, 200),
        ]
    );
    emulator.shutdown().await;
}

/// The model of a successful official-client call.
macro_rules! model {
    ($call:expr) => {
        $call.await.unwrap().into_model().unwrap()
    };
}

/// The HTTP status of an official-client error (panics on any other error).
fn status_of(error: &azure_core::Error) -> u16 {
    match error.kind() {
        azure_core::error::ErrorKind::HttpResponse { status, .. } => u16::from(*status),
        other => panic!("expected an HTTP error, got {other:?}: {error}"),
    }
}

/// Polls `check` every 50 ms (up to 5 s) until it returns true.
async fn poll_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not finish within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_secret_client_runs_the_whole_lifecycle_with_default_settings() {
    use azure_security_keyvault_secrets::ResourceExt as _;
    use azure_security_keyvault_secrets::models::{
        RestoreSecretParameters, SecretAttributes, SecretClientGetSecretOptions,
        SecretClientUpdateSecretPropertiesOptions, UpdateSecretPropertiesParameters,
    };
    use futures::TryStreamExt as _;
    use std::collections::HashMap;

    let emulator = Emulator::builder().tls(true).start().await.unwrap();
    let pem = emulator.certificate_pem().unwrap().to_owned();
    // A named vault: its host (kv1.vault.localhost, mapped to loopback here)
    // is a subdomain of the challenge resource (vault.localhost), so the
    // client's challenge-resource verification stays on, as by default.
    let vault_url = emulator.named_vault_url("kv1");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], emulator.local_addr().port()));
    let transport = Arc::new(RecordingTransport {
        client: reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .resolve("kv1.vault.localhost", loopback)
            .build()
            .unwrap(),
        log: Mutex::new(Vec::new()),
    });
    let options = options_with(&transport);
    let credential = into_azure_core(default_credential_for(&emulator));
    let client = SecretClient::new(&vault_url, credential, Some(options)).unwrap();
    let name = "official-lifecycle";
    let set = |value: &str| SetSecretParameters {
        value: Some(value.into()),
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    let version_of = |s: &azure_security_keyvault_secrets::models::Secret| {
        s.resource_id().unwrap().version.unwrap()
    };
    let get_version = |version: String| SecretClientGetSecretOptions {
        secret_version: Some(version),
        ..Default::default()
    };

    // set (twice: two versions)
    let first = model!(client.set_secret(name, set("v1").try_into().unwrap(), None));
    let second = model!(client.set_secret(name, set("v2").try_into().unwrap(), None));
    assert!(
        first
            .id
            .as_deref()
            .unwrap()
            .starts_with(&format!("{vault_url}/secrets/{name}/"))
    );
    let (v1, v2) = (version_of(&first), version_of(&second));

    // versions
    let versions: Vec<_> = client
        .list_secret_properties_versions(name, None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut listed: Vec<String> = versions
        .iter()
        .map(|p| p.resource_id().unwrap().version.unwrap())
        .collect();
    listed.sort();
    let mut expected = vec![v1.clone(), v2.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    // get by version
    let old = model!(client.get_secret(name, Some(get_version(v1.clone()))));
    assert_eq!(old.value.as_deref(), Some("v1"));

    // update (tags of the newest version)
    let update = UpdateSecretPropertiesParameters {
        tags: Some(HashMap::from([("step".to_owned(), "update".to_owned())])),
        ..Default::default()
    };
    let updated = model!(client.update_secret_properties(name, update.try_into().unwrap(), None));
    assert_eq!(updated.tags.unwrap()["step"], "update");

    // disable the old version -> 403
    let disable = UpdateSecretPropertiesParameters {
        secret_attributes: Some(SecretAttributes {
            enabled: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    client
        .update_secret_properties(
            name,
            disable.try_into().unwrap(),
            Some(SecretClientUpdateSecretPropertiesOptions {
                secret_version: Some(v1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    let error = client
        .get_secret(name, Some(get_version(v1.clone())))
        .await
        .unwrap_err();
    assert_eq!(status_of(&error), 403);

    // list
    let all: Vec<_> = client
        .list_secret_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(all.iter().any(|p| p.resource_id().unwrap().name == name));

    // backup
    let backup = model!(client.backup_secret(name, None)).value.unwrap();
    assert!(!backup.is_empty());

    // delete + poll
    let deleted = model!(client.delete_secret(name, None));
    assert!(deleted.recovery_id.is_some() && deleted.scheduled_purge_date.is_some());
    poll_until("the delete", || async {
        client.get_deleted_secret(name, None).await.is_ok()
    })
    .await;

    // get deleted, list deleted
    let got = model!(client.get_deleted_secret(name, None));
    assert!(got.deleted_date.is_some());
    let gone: Vec<_> = client
        .list_deleted_secret_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(gone.iter().any(|d| d.resource_id().unwrap().name == name));

    // recover + poll
    client.recover_deleted_secret(name, None).await.unwrap();
    poll_until("the recovery", || async {
        client.get_secret(name, None).await.is_ok()
    })
    .await;
    let back = model!(client.get_secret(name, None));
    assert_eq!(back.value.as_deref(), Some("v2"));

    // purge (after another delete)
    client.delete_secret(name, None).await.unwrap();
    poll_until("the second delete", || async {
        client.get_deleted_secret(name, None).await.is_ok()
    })
    .await;
    client.purge_deleted_secret(name, None).await.unwrap();
    let error = client.get_deleted_secret(name, None).await.unwrap_err();
    assert_eq!(status_of(&error), 404);

    // restore
    let restore = RestoreSecretParameters {
        secret_backup: Some(backup),
    };
    let restored = model!(client.restore_secret(restore.try_into().unwrap(), None));
    assert_eq!(restored.resource_id().unwrap().name, name);
    let again = model!(client.get_secret(name, None));
    assert_eq!(again.value.as_deref(), Some("v2"));

    // not found -> 404
    let error = client
        .get_secret("official-missing", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&error), 404);

    // Only challenges drew a 401: no token was ever refused.
    let log = transport.log.lock().unwrap().clone();
    assert!(log.iter().all(|e| e.status != 401 || !e.bearer), "{log:?}");
    emulator.shutdown().await;
}
