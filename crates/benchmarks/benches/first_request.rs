//! "New client + first `get_secret`": per iteration a fresh credential, a
//! fresh client and its first `get_secret` (challenge, token request, the
//! authorized `GET`), against the local emulator over HTTPS, beside
//! Microsoft's official crate `azure_security_keyvault_secrets` doing the
//! same in the same run.
//!
//! The emulator runs in a child process (this binary re-executed with
//! `--emulator-child --tls-cert-out FILE`), serving HTTPS with a fresh
//! self-signed certificate. The measuring process is a second child, started
//! with `SSL_CERT_FILE=FILE`: that is how an application trusts the emulator
//! with our default transport, and it keeps the root store the same size (one
//! certificate) for every mode, so no mode pays for reading the machine's
//! certificate directory.
//!
//! Modes (taking turns in rounds, the order rotating each round, so that load
//! from other work on the machine falls on all of them alike):
//! - `ours`: `ClientSecretCredential` + `SecretClient` built with their
//!   defaults, so both use the process-wide HTTP client (one connection
//!   pool, roots read once per process);
//! - `ours-own-transport`: the same, each iteration handing both a
//!   `ReqwestHttpClient` of its own (`ReqwestHttpClient::builder().build()?`):
//!   a new pool, roots read again, new connections;
//! - `official`: the official `SecretClient` as its default `ClientOptions`
//!   build it, a new `reqwest` client per client (azure_core's
//!   `new_reqwest_client` settings: 20 s connect timeout, 60 s read timeout,
//!   no redirects; built here on reqwest 0.12 + rustls with the emulator's
//!   certificate as the only root, since the crate's own reqwest 0.13 stack is
//!   not in this workspace), and a minimal client-credentials token credential
//!   on the same client; `verify_challenge_resource` off (the vault host is
//!   `127.0.0.1`, which its check refuses);
//! - `official-shared`: the same with one `reqwest` client for the whole run
//!   (what an official-crate user gets by passing one `Transport` to every
//!   client).
//!
//! With `BENCH_SYSTEM_ROOTS=1` every HTTP client trusts the system's root
//! certificates plus the emulator's instead (no `SSL_CERT_FILE`), read each
//! time a client is built: ours shares one `ReqwestHttpClient` built `with_ca_pem`
//! (as the process-wide client reads the roots once), `ours-own-transport`
//! builds one per client (what every client did before the process-wide
//! client), and the official crate's clients add the system's roots.
//!
//! Run: `cargo bench -p benchmarks --bench first_request`
//! (`BENCH_ROUNDS` rounds of `BENCH_ITERATIONS` iterations per mode; 30 and
//! 20 by default, about 30 s).
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::{AccessToken as AzAccessToken, TokenCredential as AzCredential};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, Body, ClientOptions, HttpClient, Request, Transport};
use azure_security_keyvault_secrets::SecretClientOptions;
use benchmarks::{
    EmulatorProcess, bootstrap_median_interval, median_of_sorted, percentile,
    run_emulator_child_if_asked,
};
use credential_core::{ProviderContext, ReqwestHttpClient};
use credential_env::ClientSecretCredential;
use keyvault_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};
use keyvault_secrets::SecretClient;

const MEASURE_FLAG: &str = "--measure-first-request";
const NAME: &str = "bench-secret";
const VALUE: &str = "a-secret-value-of-about-forty-bytes-0123";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Ours,
    OursOwnTransport,
    Official,
    OfficialShared,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::Ours,
        Mode::OursOwnTransport,
        Mode::Official,
        Mode::OfficialShared,
    ];
    fn label(self) -> &'static str {
        match self {
            Mode::Ours => "ours (one HTTP client for the process)",
            Mode::OursOwnTransport => "ours, a new transport per client",
            Mode::Official => "official crate (a new reqwest client per client, its default)",
            Mode::OfficialShared => "official crate, one reqwest client shared",
        }
    }
}

fn main() {
    if run_emulator_child_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == MEASURE_FLAG) {
        measure(args.get(i + 1).cloned().unwrap());
        return;
    }
    // Orchestrator: the emulator in one child, the measurements in another
    // that trusts its certificate through SSL_CERT_FILE (or, with
    // BENCH_SYSTEM_ROOTS=1, the system's roots plus the certificate).
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("emulator.pem");
    let emulator = EmulatorProcess::start_tls(&cert).unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .arg(MEASURE_FLAG)
        .arg(emulator.vault_url())
        .env_remove("SSL_CERT_DIR");
    if system_roots() {
        command
            .env("BENCH_CERT_FILE", &cert)
            .env_remove("SSL_CERT_FILE");
    } else {
        command.env("SSL_CERT_FILE", &cert);
    }
    let status = command.stdin(Stdio::null()).status().unwrap();
    drop(emulator);
    assert!(status.success(), "the measuring process failed: {status}");
}

/// `BENCH_SYSTEM_ROOTS=1`: every mode trusts the system's root certificates
/// plus the emulator's, read when its HTTP client is built.
fn system_roots() -> bool {
    std::env::var("BENCH_SYSTEM_ROOTS").is_ok_and(|v| v == "1")
}

/// The load average (1, 5, 15 min), as `uptime` prints it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

struct Bench {
    vault: String,
    pem: Vec<u8>,
    shared_reqwest: reqwest::Client,
    /// With system roots: the one transport of ours shared by every client
    /// (built like the process-wide one, plus the emulator's certificate).
    ours_shared: Option<Arc<ReqwestHttpClient>>,
}

impl Bench {
    /// A reqwest client as azure_core's `new_reqwest_client` builds one,
    /// trusting the emulator's certificate (and, with system roots, the
    /// system's, read now).
    fn official_reqwest(&self) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.pem).unwrap());
        if system_roots() {
            for root in rustls_native_certs::load_native_certs().certs {
                if let Ok(cert) = reqwest::Certificate::from_der(root.as_ref()) {
                    builder = builder.add_root_certificate(cert);
                }
            }
        }
        builder
            .connect_timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A fresh credential and a fresh client of ours on `http` (their
    /// defaults, the process-wide client, when `None`).
    fn ours(&self, http: Option<Arc<ReqwestHttpClient>>) -> Result<SecretClient, String> {
        let mut credential = ClientSecretCredential::builder(
            DEFAULT_TENANT_ID,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
        )
        .with_authority_host(&self.vault);
        if let Some(http) = &http {
            credential = credential.with_context(ProviderContext::system().with_http(http.clone()));
        }
        let credential = credential.build().map_err(|e| e.to_string())?;
        let mut builder = SecretClient::builder(&self.vault, credential);
        if let Some(http) = http {
            builder = builder.with_http_client(http);
        }
        builder.build().map_err(|e| e.to_string())
    }

    async fn once(&self, mode: Mode) -> Result<(), String> {
        let value = match mode {
            Mode::Ours | Mode::OursOwnTransport => {
                let http = match (mode, system_roots()) {
                    (Mode::Ours, _) => self.ours_shared.clone(),
                    (_, false) => Some(Arc::new(
                        ReqwestHttpClient::builder()
                            .build()
                            .map_err(|e| e.to_string())?,
                    )),
                    (_, true) => Some(Arc::new(
                        ReqwestHttpClient::builder()
                            .with_ca_pem(&self.pem)
                            .build()
                            .map_err(|e| e.to_string())?,
                    )),
                };
                let client = self.ours(http)?;
                let secret = client.get_secret(NAME).await.map_err(|e| e.to_string())?;
                secret.value.as_str().to_owned()
            }
            Mode::Official | Mode::OfficialShared => {
                let http = if mode == Mode::Official {
                    self.official_reqwest()
                } else {
                    self.shared_reqwest.clone()
                };
                let credential = Arc::new(TokenFetcher {
                    http: http.clone(),
                    endpoint: format!("{}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", self.vault),
                });
                let options = SecretClientOptions {
                    client_options: ClientOptions {
                        transport: Some(Transport::new(Arc::new(OfficialTransport(http)))),
                        ..Default::default()
                    },
                    verify_challenge_resource: Some(false),
                    ..Default::default()
                };
                let client = azure_security_keyvault_secrets::SecretClient::new(
                    &self.vault,
                    credential,
                    Some(options),
                )
                .map_err(|e| e.to_string())?;
                let secret = client
                    .get_secret(NAME, None)
                    .await
                    .map_err(|e| e.to_string())?
                    .into_model()
                    .map_err(|e| e.to_string())?;
                secret.value.unwrap_or_default()
            }
        };
        if value == VALUE {
            Ok(())
        } else {
            Err(format!("{mode:?} read the wrong value"))
        }
    }
}

fn measure(vault: String) {
    let cert = std::env::var("SSL_CERT_FILE")
        .or_else(|_| std::env::var("BENCH_CERT_FILE"))
        .unwrap();
    let pem = std::fs::read(&cert).unwrap();
    let rounds = count_from_env("BENCH_ROUNDS", 30);
    let iterations = count_from_env("BENCH_ITERATIONS", 20);
    let load_before = load();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let t0 = Instant::now();
        let ours_shared =
            system_roots().then(|| Arc::new(
                ReqwestHttpClient::builder()
                    .with_ca_pem(&pem)
                    .build()
                    .unwrap(),
            ));
        let bench = Bench {
            vault: vault.clone(),
            shared_reqwest: reqwest::Client::new(),
            pem,
            ours_shared,
        };
        // The first request of the process (builds the shared client, reads
        // the roots), then the secret every mode reads.
        let client = bench.ours(bench.ours_shared.clone()).unwrap();
        client.set_secret(NAME, VALUE).await.unwrap();
        let first_in_process = t0.elapsed();
        let bench = Bench {
            shared_reqwest: bench.official_reqwest(),
            ..bench
        };

        // Warm-up: a few iterations of each mode, discarded.
        for mode in Mode::ALL {
            for _ in 0..3 {
                bench.once(mode).await.unwrap();
            }
        }
        let mut samples: Vec<Vec<u64>> = vec![Vec::new(); Mode::ALL.len()];
        let mut round_medians: Vec<[f64; 4]> = Vec::new();
        for round in 0..rounds {
            let mut medians = [0.0; 4];
            for k in 0..Mode::ALL.len() {
                let i = (k + round) % Mode::ALL.len();
                let mode = Mode::ALL[i];
                let mut times = Vec::with_capacity(iterations);
                for _ in 0..iterations {
                    let t = Instant::now();
                    bench.once(mode).await.unwrap();
                    times.push(t.elapsed().as_nanos() as u64);
                }
                times.sort_unstable();
                medians[i] = times[times.len() / 2] as f64;
                samples[i].extend(times);
            }
            round_medians.push(medians);
        }
        let load_after = load();

        println!(
            "new client + first get_secret, HTTPS emulator (child process) at {vault}; {rounds} rounds x {iterations} iterations per mode; load average {load_before} before, {load_after} after"
        );
        if system_roots() {
            println!(
                "roots: the system's ({} certificates, read when each HTTP client is built) + the emulator's; ours shares one ReqwestHttpClient built with_ca_pem",
                rustls_native_certs::load_native_certs().certs.len()
            );
        } else {
            println!("roots: SSL_CERT_FILE = the emulator's certificate only");
        }
        println!(
            "first request of the process (shared client built, roots read; set_secret): {:.2} ms",
            first_in_process.as_secs_f64() * 1e3
        );
        println!();
        println!("| mode | iterations | min | p50 | p90 | p99 |");
        println!("|---|---|---|---|---|---|");
        for (i, mode) in Mode::ALL.iter().enumerate() {
            let s = &mut samples[i];
            s.sort_unstable();
            let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                mode.label(),
                s.len(),
                ms(Duration::from_nanos(s[0])),
                ms(percentile(s, 50.0)),
                ms(percentile(s, 90.0)),
                ms(percentile(s, 99.0)),
            );
        }
        println!();
        println!(
            "Ratios of per-round medians (time of the first mode / time of the second, < 1 = the first is faster), median over rounds and its 95 % interval:"
        );
        println!("| ratio | median | 95 % interval | min–max |");
        println!("|---|---|---|---|");
        let pairs = [
            (Mode::Ours, Mode::Official),
            (Mode::Ours, Mode::OfficialShared),
            (Mode::OursOwnTransport, Mode::Official),
        ];
        let index = |m: Mode| Mode::ALL.iter().position(|x| *x == m).unwrap();
        for (a, b) in pairs {
            let mut ratios: Vec<f64> = round_medians
                .iter()
                .map(|r| r[index(a)] / r[index(b)])
                .collect();
            ratios.sort_by(f64::total_cmp);
            let (lo, hi) = bootstrap_median_interval(&ratios);
            println!(
                "| {} / {} | {:.2}x | {:.2}x – {:.2}x | {:.2}x – {:.2}x |",
                a.label(),
                b.label(),
                median_of_sorted(&ratios),
                lo,
                hi,
                ratios[0],
                ratios[ratios.len() - 1],
            );
        }
    });
}

/// A minimal client-credentials token credential for the official client:
/// one form `POST` to the emulator's token endpoint on the client's own
/// `reqwest` client, no cache beyond the official client's own.
#[derive(Debug)]
struct TokenFetcher {
    http: reqwest::Client,
    endpoint: String,
}

#[async_trait::async_trait]
impl AzCredential for TokenFetcher {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AzAccessToken> {
        let failed = |e: &dyn std::fmt::Display| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("token request failed: {e}"),
            )
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", DEFAULT_CLIENT_ID)
            .append_pair("client_secret", DEFAULT_CLIENT_SECRET)
            .append_pair("scope", &scopes.join(" "))
            .finish();
        let response = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
        let token = json
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| failed(&"no access_token"))?;
        let lifetime = json
            .get("expires_in")
            .and_then(|t| t.as_i64())
            .unwrap_or(3600);
        Ok(AzAccessToken::new(
            token.to_owned(),
            time::OffsetDateTime::now_utc() + time::Duration::seconds(lifetime),
        ))
    }
}

/// azure_core's `HttpClient` on a reqwest 0.12 client.
#[derive(Debug)]
struct OfficialTransport(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for OfficialTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let io = |e: reqwest::Error| {
            azure_core::Error::with_error(azure_core::error::ErrorKind::Io, e, "request failed")
        };
        let method =
            reqwest::Method::from_bytes(request.method().as_ref().as_bytes()).map_err(|e| {
                azure_core::Error::with_error(azure_core::error::ErrorKind::Other, e, "method")
            })?;
        let mut builder = self.0.request(method, request.url().clone());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Body::Bytes(bytes) = request.body() {
            builder = builder.body(bytes.clone());
        }
        let response = builder.send().await.map_err(io)?;
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
        let body = response.bytes().await.map_err(io)?;
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, body))
    }
}
