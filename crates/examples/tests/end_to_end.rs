//! End to end over real loopback HTTP against an emulator started here:
//! the quick-start's output, and the secret lifecycle through each way of
//! signing in (DefaultAzureCredential → EnvironmentCredential, managed
//! identity on the emulator's IMDS endpoint, a client certificate), and a
//! token refreshed exactly once when it nears expiry mid-run.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use credential_core::{
    Clock, Env, Fs, HttpClient, HttpRequest, HttpResponse, LoopbackOnlyHttpClient, ManualClock,
    ProviderContext, SharedClock, SystemClock, TransportError, async_trait,
};
use credential_default::{
    ClientCertificateCredential, CredentialKind, DefaultAzureCredential, ManagedIdentityCredential,
};
use keyvault_emulator::{Emulator, RunningEmulator};
use keyvault_secrets::{DeletedSecret, Error, KeyVaultSecret, SecretClient};

mod support;

use support::run_example;

/// Counts requests to token endpoints on their way to the real client.
#[derive(Debug)]
struct CountingHttp {
    inner: LoopbackOnlyHttpClient,
    token_requests: Arc<AtomicUsize>,
}

#[async_trait]
impl HttpClient for CountingHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let path = request.url.path();
        if path.ends_with("/oauth2/v2.0/token") || path.ends_with("/metadata/identity/oauth2/token")
        {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.send(request).await
    }
}

async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .operation_delay(Duration::from_millis(20))
        .assertion_client("certificate-app")
        .start()
        .await
        .unwrap()
}

fn loopback_context(emulator: &RunningEmulator) -> ProviderContext {
    ProviderContext::isolated()
        .with_env(Env::from_pairs(emulator.env_vars()))
        .with_clock(Arc::new(SystemClock))
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
}

/// Reads the latest version of secret `name`.
async fn latest(client: &SecretClient, name: &str) -> Result<KeyVaultSecret, Error> {
    client.get_secret(name).await
}

/// Deletes secret `name` and waits until the deletion is visible.
async fn delete_and_wait(client: &SecretClient, name: &str) -> DeletedSecret {
    client
        .begin_delete_secret(name)
        .await
        .unwrap()
        .await
        .unwrap()
}

/// Set, read, rotate, delete, recover, purge: the lifecycle every test runs.
async fn lifecycle(client: &SecretClient, name: &str) {
    let first = client.set_secret(name, "one").await.unwrap();
    assert_eq!(latest(client, name).await.unwrap().value, "one");
    client.set_secret(name, "two").await.unwrap();
    let old = client
        .get_secret(name)
        .version(&first.properties.version.unwrap())
        .await
        .unwrap();
    assert_eq!(old.value, "one");
    let deleted = delete_and_wait(client, name).await;
    assert!(deleted.recovery_id.is_some());
    client
        .begin_recover_deleted_secret(name)
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(latest(client, name).await.unwrap().value, "two");
    delete_and_wait(client, name).await;
    client.purge_deleted_secret(name).await.unwrap();
    assert!(latest(client, name).await.is_err());
}

fn client(
    emulator: &RunningEmulator,
    credential: impl credential_core::TokenCredential + 'static,
) -> SecretClient {
    SecretClient::builder(emulator.vault_url(), credential)
        .with_poll_interval(Duration::from_millis(20))
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn quickstart_runs_against_the_embedded_emulator() {
    let out = run_example("quickstart").await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(
            "AZURE_KEYVAULT_URL is not set: using a local Key Vault emulator at http://127.0.0.1:"
        ),
        "{out}"
    );
    assert!(lines[1].starts_with("1. Signed in through DefaultAzureCredential with EnvironmentCredential; set secret 'quickstart-"), "{out}");
    assert_eq!(
        lines[2],
        "2. Read it back: the value matches what was set (11 characters)."
    );
    assert_eq!(
        lines[3],
        "3. Updated its properties: content type text/plain, tags {\"environment\": \"quickstart\"}."
    );
    assert!(lines[4].starts_with("4. Rotated it: new version "), "{out}");
    assert!(
        lines[5].starts_with("5. Listed 1 secret(s), including 'quickstart-"),
        "{out}"
    );
    assert!(lines[6].ends_with("has 2 versions."), "{out}");
    assert!(
        lines[8].starts_with("   Deleted; it can be recovered until 20"),
        "{out}"
    );
    assert!(lines[10].starts_with("   Recovered: version "), "{out}");
    assert_eq!(lines[12..], ["   Purged.", "Done."]);
    assert!(
        !out.contains("first-value") && !out.contains("second-value") && !out.contains("eyJ"),
        "values and tokens are never printed"
    );
}

#[tokio::test]
async fn set_update_rotate_and_choose_credential_run() {
    let out = run_example("set_update_rotate").await;
    assert!(
        out.contains("(disabled)") && out.contains("(enabled)"),
        "{out}"
    );
    assert!(out.contains("deleted and purged"), "{out}");

    // PATH is empty in the emulator's environment, so no `az` is found.
    let out = run_example("choose_credential").await;
    assert!(
        out.contains("ClientSecretCredential: set and read"),
        "{out}"
    );
    assert!(
        out.contains("ManagedIdentityCredential: got a token"),
        "{out}"
    );
    assert!(
        out.contains("AzureCliCredential: unavailable here"),
        "{out}"
    );
    assert!(
        out.contains("ChainedTokenCredential(AzureCli, ManagedIdentity): got a token"),
        "{out}"
    );
}

#[tokio::test]
async fn bearer_token_provider_signs_a_plain_request() {
    let out = run_example("bearer_token").await;
    assert!(
        out.contains("signed by the bearer token provider (scope https://vault.azure.net/.default): HTTP 200."),
        "{out}"
    );
}

#[tokio::test]
async fn lifecycle_with_default_credential_picking_environment() {
    let emulator = emulator().await;
    let credential = Arc::new(
        DefaultAzureCredential::builder()
            .with_context(loopback_context(&emulator))
            .build()
            .unwrap(),
    );
    lifecycle(
        &client(&emulator, Arc::clone(&credential)),
        "via-environment",
    )
    .await;
    assert_eq!(credential.selected(), Some(CredentialKind::Environment));
}

#[tokio::test]
async fn lifecycle_with_managed_identity_on_emulator_imds() {
    let emulator = emulator().await;
    let credential = ManagedIdentityCredential::builder()
        .with_context(loopback_context(&emulator).with_env(Env::empty()))
        .with_imds_endpoint(url::Url::parse(&emulator.imds_endpoint()).unwrap())
        .build()
        .unwrap();
    lifecycle(&client(&emulator, credential), "via-managed-identity").await;
}

#[tokio::test]
async fn lifecycle_with_client_certificate() {
    let emulator = emulator().await;
    let pem = include_bytes!("../../credential-env/tests/data/cert-key-first.pem");
    let ctx =
        loopback_context(&emulator).with_fs(Fs::from_files([("/certs/app.pem", pem.to_vec())]));
    let credential = ClientCertificateCredential::builder(
        emulator.tenant_id(),
        "certificate-app",
        "/certs/app.pem",
    )
    .with_authority_host(emulator.authority_host())
    .with_context(ctx)
    .build()
    .unwrap();
    lifecycle(&client(&emulator, credential), "via-certificate").await;
}

#[tokio::test]
async fn token_nearing_expiry_mid_run_is_refreshed_once() {
    let emulator = emulator().await;
    // The credential's and the client's caches share a clock we move; the
    // emulator checks tokens against the real clock, so old ones still work.
    let clock = ManualClock::new(SystemClock.now());
    let shared: SharedClock = Arc::new(clock.clone());
    let token_requests = Arc::new(AtomicUsize::new(0));
    let http = Arc::new(CountingHttp {
        inner: LoopbackOnlyHttpClient::real(),
        token_requests: Arc::clone(&token_requests),
    });
    let ctx = loopback_context(&emulator)
        .with_clock(Arc::clone(&shared))
        .with_http(http.clone());
    let credential = DefaultAzureCredential::builder()
        .with_context(ctx)
        .build()
        .unwrap();
    let client = SecretClient::builder(emulator.vault_url(), credential)
        .with_http_client(http)
        .with_clock(shared)
        .build()
        .unwrap();

    for i in 0..5 {
        client.set_secret(&format!("s{i}"), "v").await.unwrap();
    }
    assert_eq!(
        token_requests.load(Ordering::SeqCst),
        1,
        "one token for the first hour"
    );

    // 57 minutes later the 60-minute token is past its refresh point.
    clock.advance(time::Duration::minutes(57));
    for i in 0..5 {
        client.get_secret(&format!("s{i}")).await.unwrap();
    }
    assert_eq!(
        token_requests.load(Ordering::SeqCst),
        2,
        "refreshed exactly once"
    );
}

#[tokio::test]
async fn app_config_loads_typed_config_and_reloads_a_change() {
    let out = run_example("app_config").await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].starts_with("1. Seeded 4 secrets named appcfg-"),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "2. Loaded keys [\"database.host\", \"database.password\", \"database.pool_size\", \"features\"] into AppConfig: host db.internal, pool size 8, password of 15 characters, beta true, rollout 25 %.",
    );
    assert_eq!(lines[4], "   Reloaded: pool size 16.");
    assert_eq!(
        lines[5],
        "4. Read the password 3 times through SecretCache: 1 request, 2 hits."
    );
    assert_eq!(lines[6], "5. Deleted the seeded secrets. Done.");
}
