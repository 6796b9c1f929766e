//! What `SecretClient::get_secret` itself costs, without a network: the
//! client's pipeline (URL, headers, request id, challenge and token lookups,
//! the retry loop) and the decode of a recorded Key Vault response, over an
//! in-memory transport that answers at once. Beside it, in the same run, the
//! decode a plain `reqwest` + JSON loop does (`serde_json::Value`).
//!
//! Run: `cargo bench -p benchmarks --bench client_overhead`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use credential_core::test_util::{on_threads, poll_ready};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{StatusCode, async_trait};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keyvault_secrets::SecretClient;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const VAULT: &str = "https://bench-vault.vault.azure.net";

/// A Key Vault `GET /secrets/{name}` response body as the service sends it
/// (the shape of the recorded fixtures), with a 40-byte value.
const BODY: &str = r#"{"value":"0123456789012345678901234567890123456789","id":"https://bench-vault.vault.azure.net/secrets/bench-secret/ca532fc1c4454863b3c36ca0229f7ee1","attributes":{"enabled":true,"created":1774425207,"updated":1774425207,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{}}"#;

const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;

/// Answers a request without `Authorization` with the challenge, and any
/// other with the recorded secret and the headers Key Vault sends.
#[derive(Debug)]
struct InMemoryVault {
    ok: HttpResponse,
    challenge: HttpResponse,
}

impl InMemoryVault {
    fn new() -> Self {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("cache-control", "no-cache"),
            ("content-length", "283"),
            ("content-type", "application/json; charset=utf-8"),
            ("x-ms-request-id", "0b6f2a58-4a1c-4d4e-9a57-3c0e1f9b7d21"),
            ("x-ms-keyvault-region", "eastus"),
            ("x-ms-keyvault-service-version", "1.9.3070.1"),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let mut challenge_headers = HeaderMap::new();
        challenge_headers.insert(
            HeaderName::from_static("www-authenticate"),
            HeaderValue::from_static(CHALLENGE),
        );
        Self {
            ok: HttpResponse::new(StatusCode::OK, headers, Bytes::from_static(BODY.as_bytes())),
            challenge: HttpResponse::new(StatusCode::UNAUTHORIZED, challenge_headers, Bytes::new()),
        }
    }
}

#[async_trait]
impl HttpClient for InMemoryVault {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.headers.contains_key("authorization") {
            Ok(self.ok.clone())
        } else {
            Ok(self.challenge.clone())
        }
    }
}

fn client() -> SecretClient {
    // A 2,000-byte token, like a real Entra one.
    let token = format!("eyJ0eXAiOiJKV1Qi.{}.sig", "a".repeat(1_980));
    let credential = Arc::new(benchmarks::fixed_credential(token));
    SecretClient::builder(VAULT, credential)
        .with_http_client(Arc::new(InMemoryVault::new()))
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let client = client();
    // The first call discovers the challenge (needs a runtime for its lock).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let first = runtime
        .block_on(client.get_secret("bench-secret").into_future())
        .unwrap();
    assert_eq!(first.value, "0123456789012345678901234567890123456789");

    let call = {
        let client = client.clone();
        move || {
            let secret =
                poll_ready(client.get_secret(black_box("bench-secret")).into_future()).unwrap();
            black_box(secret);
        }
    };
    let mut group = c.benchmark_group("client_overhead");
    // One client shared by 1 and by 2 threads (the bench's 2 tokio workers):
    // the time is per call on each thread; shared state that threads write
    // (locks, reference counts) shows as a higher time with 2.
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let call = call.clone();
        group.bench_function(
            format!("get_secret_in_memory_{threads}_threads"),
            move |b| b.iter_custom(|iters| on_threads(threads, iters, call.clone())),
        );
    }
    group.throughput(Throughput::Elements(1));
    let body = Bytes::from_static(BODY.as_bytes());
    group.bench_function("plain_json_value_decode", |b| {
        b.iter(|| {
            let json: serde_json::Value = serde_json::from_slice(black_box(&body)).unwrap();
            black_box(json.get("value").and_then(|v| v.as_str()).map(str::len));
        })
    });
    // What the plain `reqwest` + JSON loop of the `get_secret` bench does
    // besides sending: build the request (URL parsed from a string, the
    // same four headers) and decode the body into a `serde_json::Value`.
    let http = reqwest::Client::new();
    let url = format!("{VAULT}/secrets/bench-secret/?api-version=2026-04-01");
    let authorization = format!("Bearer eyJ0eXAiOiJKV1Qi.{}.sig", "a".repeat(1_980));
    let counter = std::sync::atomic::AtomicU64::new(0);
    group.bench_function("plain_reqwest_build_and_json_decode", |b| {
        b.iter(|| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let request = http
                .get(black_box(&url))
                .header("authorization", &authorization)
                .header("accept", "application/json")
                .header("user-agent", "keyvault-secrets/0.1.0 (rust; linux; x86_64)")
                .header(
                    "x-ms-client-request-id",
                    format!("5f0c2d4e-3b1a-4c7e-9d2f-{:012x}", n & 0xffff_ffff_ffff),
                )
                .build()
                .unwrap();
            black_box(&request);
            let json: serde_json::Value = serde_json::from_slice(black_box(&body)).unwrap();
            black_box(json.get("value").and_then(|v| v.as_str()).map(str::len));
        })
    });
    group.bench_function("response_clone_control", |b| {
        let vault = InMemoryVault::new();
        b.iter(|| black_box(vault.ok.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
