//! Test helpers: an in-memory vault behind the real `SecretClient` (exact,
//! on tokio's paused clock), a clock that follows tokio's, and a client for
//! the embedded emulator.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credential_core::{
    AccessToken, Clock, FnCredential, HttpClient, HttpRequest, HttpResponse, SharedClock,
    StatusCode, TransportError, async_trait, token_credential_fn,
};
use keyvault_secrets::{RetryPolicy, SecretClient};
use time::OffsetDateTime;
use time::macros::datetime;

pub const VAULT: &str = "https://myvault.vault.azure.net";
const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net""#;

/// A wall clock that moves with tokio's (paused) clock.
#[derive(Debug)]
pub struct TokioClock {
    wall: OffsetDateTime,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn shared() -> SharedClock {
        Arc::new(Self {
            wall: datetime!(2030-01-01 0:00 UTC),
            start: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TokioClock {
    fn now(&self) -> OffsetDateTime {
        self.wall + self.start.elapsed()
    }
}

/// A credential that hands out one token valid for a year.
pub fn credential() -> FnCredential {
    token_credential_fn("TestCredential", |_, _| async {
        Ok(AccessToken::new(
            "test-token",
            datetime!(2031-01-01 0:00 UTC),
        ))
    })
}

#[derive(Debug, Default)]
struct VaultState {
    /// name -> versions (oldest first), each (version, value).
    secrets: HashMap<String, Vec<(String, String)>>,
    /// When set, every authorized request gets this status.
    failing: Option<u16>,
    latency: Duration,
}

/// An in-memory Key Vault: challenge, `GET /secrets/{name}/{version}`.
#[derive(Debug, Clone, Default)]
pub struct FakeVault {
    state: Arc<Mutex<VaultState>>,
    gets: Arc<AtomicUsize>,
}

impl FakeVault {
    /// A vault that answers after `latency` (of tokio's clock).
    pub fn new(latency: Duration) -> Self {
        let vault = Self::default();
        vault.state.lock().unwrap().latency = latency;
        vault
    }

    /// Adds a version; returns its id.
    pub fn set(&self, name: &str, value: &str) -> String {
        let mut state = self.state.lock().unwrap();
        let versions = state.secrets.entry(name.to_owned()).or_default();
        let version = format!("v{}", versions.len() + 1);
        versions.push((version.clone(), value.to_owned()));
        version
    }

    /// Answer every authorized request with `status` (or normally: `None`).
    pub fn fail_with(&self, status: Option<u16>) {
        self.state.lock().unwrap().failing = status;
    }

    /// Authorized `GET`s received so far.
    pub fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }

    /// A client over this vault, without retries, on `clock`.
    pub fn client(&self, clock: SharedClock) -> SecretClient {
        SecretClient::builder(VAULT, credential())
            .with_http_client(Arc::new(self.clone()))
            .with_retry_policy(RetryPolicy::none())
            .with_clock(clock)
            .build()
            .unwrap()
    }

    fn answer(&self, request: &HttpRequest) -> (u16, String) {
        let state = self.state.lock().unwrap();
        if let Some(status) = state.failing {
            return (
                status,
                r#"{"error":{"code":"Injected","message":"injected failure"}}"#.into(),
            );
        }
        let segments: Vec<&str> = request.url.path_segments().unwrap().collect();
        let (name, version) = match segments.as_slice() {
            ["secrets", name] => (*name, ""),
            ["secrets", name, version] => (*name, *version),
            _ => return (400, "{}".into()),
        };
        let found = state.secrets.get(name).and_then(|versions| {
            if version.is_empty() {
                versions.last()
            } else {
                versions.iter().find(|(v, _)| v == version)
            }
        });
        match found {
            Some((version, value)) => (
                200,
                serde_json::json!({
                    "value": value,
                    "id": format!("{VAULT}/secrets/{name}/{version}"),
                    "contentType": "text/plain",
                    "attributes": {"enabled": true, "updated": 1_900_000_000},
                })
                .to_string(),
            ),
            None => (
                404,
                r#"{"error":{"code":"SecretNotFound","message":"not found"}}"#.into(),
            ),
        }
    }
}

#[async_trait]
impl HttpClient for FakeVault {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if !request.headers.contains_key("authorization") {
            headers.insert("www-authenticate", CHALLENGE.parse().unwrap());
            return Ok(HttpResponse::new(
                StatusCode::UNAUTHORIZED,
                headers,
                Default::default(),
            ));
        }
        self.gets.fetch_add(1, Ordering::SeqCst);
        let latency = self.state.lock().unwrap().latency;
        tokio::time::sleep(latency).await;
        let (status, body) = self.answer(&request);
        Ok(HttpResponse::new(
            StatusCode::from_u16(status).unwrap(),
            headers,
            body.into(),
        ))
    }
}

/// A client for the emulator, without retries (the cache owns throttling).
pub fn emulator_client(emulator: &keyvault_emulator::RunningEmulator) -> SecretClient {
    SecretClient::builder(emulator.vault_url(), emulator.client_secret_credential())
        .with_http_client(Arc::new(credential_core::LoopbackOnlyHttpClient::real()))
        .with_retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// `n` tasks reading `name` at once; their values, in task order.
pub async fn read_concurrently(
    cache: &keyvault_secrets_cache::SecretCache,
    name: &str,
    n: usize,
) -> Vec<String> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (cache, name) = (cache.clone(), name.to_owned());
            tokio::spawn(async move { cache.get(&name).await })
        })
        .collect();
    let mut values = Vec::with_capacity(n);
    for task in tasks {
        values.push(task.await.unwrap().unwrap().expose_secret().to_owned());
    }
    values
}
