//! `SecretClient::get_secret` against the local emulator, beside a plain
//! `reqwest` loop sending the same request (the same URL, the same headers,
//! the same bearer token) to the same server, at concurrency 1, 16 and 64.
//!
//! The emulator runs in a child process (this binary re-executed with
//! `--emulator-child`), so its CPU time is not in the client's process.
//! Modes take turns in slices (1 s by default, 6 per mode and concurrency,
//! the order rotating each cycle) so that load from other work on the
//! machine falls on all of them alike; figures are pooled over the slices,
//! and the per-cycle ratios (ours against each mode in the same cycle) are
//! summarised by their median and a 95 % bootstrap interval for it:
//! - `ours` (`BENCH_MODES` key `ours`): `SecretClient::get_secret` (default transport, challenge
//!   discovered during the warm-up, a credential handing out the token);
//! - plain reqwest, the same request (`reqwest`): `GET {vault}/secrets/bench-secret/?api-version=2026-04-01`
//!   with the four headers `SecretClient` sends (`Authorization: Bearer <token>`,
//!   `Accept: application/json`, the same `User-Agent`, and an
//!   `x-ms-client-request-id` per request), the status checked and the body
//!   read to the end; the reference loop;
//! - plain reqwest, minimal request (`minimal`): the same with only
//!   `Authorization` and `Accept` (two headers fewer for the client to send,
//!   the server to parse and echo), to show what the headers cost;
//! - plain reqwest + JSON (`json`): the same request, and the body parsed with `serde_json` into a
//!   `Value` and its `value` read (the work a client must do anyway);
//! - reqwest + JSON configured as ours (`like-ours`): the same with a
//!   `reqwest::Client` built as `credential_core::ReqwestHttpClient` built
//!   it until it got its own deadlines (no redirects, connect timeout 10 s,
//!   reqwest's request timeout 30 s: a plain loop with a bounded wait);
//! - opt-in, only when named in `BENCH_MODES` (`transport`):
//!   `credential_core::ReqwestHttpClient::send` with the headers our
//!   pipeline sends, plus the JSON parse (our transport without the
//!   `keyvault-secrets` pipeline).
//!
//! Run: `cargo bench -p benchmarks --bench get_secret`
//! (`BENCH_SLICE=0.5 BENCH_CYCLES=60` for the longer runs in BENCHMARKS.md:
//! many short slices, so that the two slices of a cycle see the same
//! machine; `BENCH_CONCURRENCY=16`,
//! `BENCH_MODES=ours,like-ours,transport` to pick; `ours` first for the
//! overhead table.)
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use benchmarks::{
    EmulatorProcess, bootstrap_median_interval, fetch_token, fixed_credential, median_of_sorted,
    percentile, run_emulator_child_if_asked, seconds_from_env, self_cpu_time,
};
use keyvault_secrets::SecretClient;

const NAME: &str = "bench-secret";
const VALUE: &str = "a-secret-value-of-about-forty-bytes-0123";
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// keyvault-secrets' version, as its `User-Agent` carries it (the
/// workspace version, which this crate shares).
const KEYVAULT_SECRETS_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Ours,
    Reqwest,
    ReqwestMinimal,
    ReqwestJson,
    ReqwestLikeOurs,
    /// Opt-in (`BENCH_MODES=...,transport`): our transport alone.
    Transport,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Ours => "ours (SecretClient)",
            Mode::Reqwest => "plain reqwest, the same request",
            Mode::ReqwestMinimal => "plain reqwest, minimal request (2 headers fewer)",
            Mode::ReqwestJson => "plain reqwest + JSON",
            Mode::ReqwestLikeOurs => "reqwest + JSON, client configured as ours",
            Mode::Transport => "credential_core::ReqwestHttpClient + our headers + JSON",
        }
    }
}

#[derive(Clone)]
struct Target {
    client: SecretClient,
    http: reqwest::Client,
    http_like_ours: reqwest::Client,
    transport: Arc<credential_core::ReqwestHttpClient>,
    url: String,
    authorization: String,
    user_agent: String,
    request_ids: Arc<AtomicU64>,
}

/// An `x-ms-client-request-id` value in UUID layout, one per request.
fn next_request_id(counter: &AtomicU64) -> String {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    format!("5f0c2d4e-3b1a-4c7e-9d2f-{:012x}", n & 0xffff_ffff_ffff)
}

impl Target {
    async fn once(&self, mode: Mode) -> bool {
        match mode {
            Mode::Ours => match self.client.get_secret(NAME).await {
                Ok(s) => s.value.len() == VALUE.len(),
                Err(_) => false,
            },
            Mode::Transport => {
                use credential_core::HttpClient;
                let Ok(url) = url::Url::parse(&self.url) else {
                    return false;
                };
                let request = credential_core::HttpRequest::new(reqwest::Method::GET, url)
                    .with_header(
                        "x-ms-client-request-id",
                        &next_request_id(&self.request_ids),
                    )
                    .with_header("user-agent", &self.user_agent)
                    .with_header("accept", "application/json")
                    .with_header("authorization", &self.authorization);
                let Ok(response) = self.transport.send(request).await else {
                    return false;
                };
                if response.status.as_u16() != 200 {
                    return false;
                }
                let Ok(json) = serde_json::from_slice::<serde_json::Value>(&response.body) else {
                    return false;
                };
                json.get("value").and_then(|v| v.as_str()).map(str::len) == Some(VALUE.len())
            }
            Mode::Reqwest | Mode::ReqwestMinimal | Mode::ReqwestJson | Mode::ReqwestLikeOurs => {
                let http = if mode == Mode::ReqwestLikeOurs {
                    &self.http_like_ours
                } else {
                    &self.http
                };
                let mut request = http
                    .get(&self.url)
                    .header("authorization", &self.authorization)
                    .header("accept", "application/json");
                if mode != Mode::ReqwestMinimal {
                    request = request
                        .header("user-agent", &self.user_agent)
                        .header("x-ms-client-request-id", next_request_id(&self.request_ids));
                }
                let response = request.send().await;
                let Ok(response) = response else { return false };
                if response.status().as_u16() != 200 {
                    return false;
                }
                let Ok(body) = response.bytes().await else {
                    return false;
                };
                if matches!(mode, Mode::Reqwest | Mode::ReqwestMinimal) {
                    return !body.is_empty();
                }
                let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
                    return false;
                };
                json.get("value").and_then(|v| v.as_str()).map(str::len) == Some(VALUE.len())
            }
        }
    }
}

struct Sample {
    ops: u64,
    errors: u64,
    wall: Duration,
    client_cpu: Duration,
    server_cpu: Duration,
    sorted_ns: Vec<u64>,
}

impl Sample {
    fn throughput(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }
}

async fn run(
    target: &Target,
    emulator: &EmulatorProcess,
    mode: Mode,
    concurrency: usize,
    window: Duration,
    warm: Duration,
) -> Sample {
    // Warm-up: open the connections, settle the pools.
    let warm_until = Instant::now() + warm;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let t = target.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < warm_until {
                t.once(mode).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let errors = Arc::new(AtomicU64::new(0));
    let cpu0 = self_cpu_time();
    let server0 = emulator.cpu_time();
    let start = Instant::now();
    let until = start + window;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let t = target.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                if !t.once(mode).await {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                lat.push(t0.elapsed().as_nanos() as u64);
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = start.elapsed();
    let client_cpu = self_cpu_time().saturating_sub(cpu0);
    let server_cpu = emulator.cpu_time().saturating_sub(server0);
    all.sort_unstable();
    Sample {
        ops: all.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        wall,
        client_cpu,
        server_cpu,
        sorted_ns: all,
    }
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn modes_from_env() -> Vec<Mode> {
    let all = vec![
        Mode::Ours,
        Mode::Reqwest,
        Mode::ReqwestMinimal,
        Mode::ReqwestJson,
        Mode::ReqwestLikeOurs,
        Mode::Transport,
    ];
    match std::env::var("BENCH_MODES") {
        Ok(v) => all
            .into_iter()
            .filter(|m| {
                let key = match m {
                    Mode::Ours => "ours",
                    Mode::Reqwest => "reqwest",
                    Mode::ReqwestMinimal => "minimal",
                    Mode::ReqwestJson => "json",
                    Mode::ReqwestLikeOurs => "like-ours",
                    Mode::Transport => "transport",
                };
                v.split(',').any(|x| x.trim() == key)
            })
            .collect(),
        Err(_) => all.into_iter().filter(|m| *m != Mode::Transport).collect(),
    }
}

struct Pooled {
    ops: u64,
    errors: u64,
    secs: f64,
    client_cpu: Duration,
    server_cpu: Duration,
    lat: Vec<u64>,
    slices: Vec<f64>,
}

impl Pooled {
    fn new() -> Self {
        Self {
            ops: 0,
            errors: 0,
            secs: 0.0,
            client_cpu: Duration::ZERO,
            server_cpu: Duration::ZERO,
            lat: Vec::new(),
            slices: Vec::new(),
        }
    }
    fn add(&mut self, s: Sample) {
        self.ops += s.ops;
        self.errors += s.errors;
        self.secs += s.wall.as_secs_f64();
        self.client_cpu += s.client_cpu;
        self.server_cpu += s.server_cpu;
        self.slices.push(s.throughput());
        self.lat.extend(s.sorted_ns);
    }
    fn throughput(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

fn main() {
    if run_emulator_child_if_asked() {
        return;
    }
    // Each mode gets `cycles` slices of `slice`, the modes taking turns
    // (the order rotating every cycle), so that load from anything else on
    // the machine falls on all of them alike.
    let slice = seconds_from_env("BENCH_SLICE", 1.0);
    let cycles = seconds_from_env("BENCH_CYCLES", 6.0)
        .as_secs_f64()
        .round()
        .max(1.0) as usize;
    let modes = modes_from_env();
    let concurrency: Vec<usize> = benchmarks::counts_from_env("BENCH_CONCURRENCY", &CONCURRENCY);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let emulator = EmulatorProcess::start(None).unwrap();
        let vault = emulator.vault_url().to_owned();
        let http = reqwest::Client::builder().build().unwrap();
        let token = fetch_token(&http, &emulator.token_endpoint(), &vault)
            .await
            .unwrap();
        let client = SecretClient::new(vault.clone(), fixed_credential(token.clone())).unwrap();
        client
            .set_secret(NAME, VALUE)
            .await
            .unwrap();
        let target = Target {
            client,
            http,
            transport: Arc::new(credential_core::ReqwestHttpClient::new()),
            // No redirects, a 10 s connect timeout and reqwest's own 30 s
            // request timeout.
            http_like_ours: reqwest::Client::builder()
                .use_rustls_tls()
                .tls_built_in_root_certs(false)
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: format!("{vault}/secrets/{NAME}/?api-version=2026-04-01"),
            authorization: format!("Bearer {token}"),
            // The value `SecretClient` sends (keyvault-secrets' headers.rs).
            user_agent: format!(
                "keyvault-secrets/{} (rust; {}; {})",
                KEYVAULT_SECRETS_VERSION,
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
            request_ids: Arc::new(AtomicU64::new(0)),
        };
        println!(
            "get_secret vs plain reqwest; emulator (child process) pid {} at {vault}; {cycles} slices of {:.1} s per mode and concurrency, modes taking turns",
            emulator.pid(),
            slice.as_secs_f64()
        );
        println!();
        println!(
            "| concurrency | mode | requests | req/s (pooled) | req/s per slice min–max | p50 | p99 | client CPU/req | emulator CPU/req | errors |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        let mut overheads = Vec::new();
        for &c in &concurrency {
            let mut pooled: Vec<(Mode, Pooled)> = modes.iter().map(|&m| (m, Pooled::new())).collect();
            for &m in &modes {
                run(&target, &emulator, m, c, Duration::from_millis(1), Duration::from_millis(500)).await;
            }
            let mut per_cycle_ratio = Vec::new();
            for cycle in 0..cycles {
                let n = pooled.len();
                let mut tput = vec![0.0; n];
                for k in 0..n {
                    let i = (k + cycle) % n;
                    let m = pooled[i].0;
                    let s = run(&target, &emulator, m, c, slice, Duration::from_millis(50)).await;
                    tput[i] = s.throughput();
                    pooled[i].1.add(s);
                }
                per_cycle_ratio.push(tput.iter().map(|t| t / tput[0] - 1.0).collect::<Vec<f64>>());
            }
            for (m, p) in &mut pooled {
                p.lat.sort_unstable();
                let (lo, hi) = p
                    .slices
                    .iter()
                    .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                println!(
                    "| {c} | {} | {} | {:.0} | {:.0}–{:.0} | {} | {} | {} | {} | {} |",
                    m.label(),
                    p.ops,
                    p.throughput(),
                    lo,
                    hi,
                    us(percentile(&p.lat, 50.0)),
                    us(percentile(&p.lat, 99.0)),
                    us(p.client_cpu / p.ops.max(1) as u32),
                    us(p.server_cpu / p.ops.max(1) as u32),
                    p.errors
                );
            }
            overheads.push((c, pooled, per_cycle_ratio));
        }
        if modes.len() < 2 || modes[0] != Mode::Ours {
            return;
        }
        println!();
        println!(
            "Our overhead against each other mode: its throughput / ours - 1 (pooled over all slices; per-cycle min–max), and ours / its p50, p99 and client CPU per request:"
        );
        println!("| concurrency | against | overhead (throughput, pooled) | per-cycle median | its 95 % interval | per-cycle min–max | p50 ours / it | p99 ours / it | client CPU/req ours / it |");
        println!("|---|---|---|---|---|---|---|---|---|");
        for (c, pooled, per_cycle) in overheads {
            let ours = &pooled[0].1;
            for (i, (m, other)) in pooled.iter().enumerate().skip(1) {
                let mut ratios: Vec<f64> =
                    per_cycle.iter().filter_map(|row| row.get(i).copied()).collect();
                ratios.sort_by(f64::total_cmp);
                let (lo, hi) = (ratios[0], ratios[ratios.len() - 1]);
                let median = median_of_sorted(&ratios);
                let (ci_lo, ci_hi) = bootstrap_median_interval(&ratios);
                let lat = |p: f64| {
                    percentile(&ours.lat, p).as_secs_f64() / percentile(&other.lat, p).as_secs_f64()
                };
                let cpu = (ours.client_cpu.as_secs_f64() / ours.ops as f64)
                    / (other.client_cpu.as_secs_f64() / other.ops as f64);
                println!(
                    "| {c} | {} | {:+.1} % | {:+.1} % | {:+.1} % – {:+.1} % | {:+.0} % – {:+.0} % | {:.2}× | {:.2}× | {:.2}× |",
                    m.label(),
                    (other.throughput() / ours.throughput() - 1.0) * 100.0,
                    median * 100.0,
                    ci_lo * 100.0,
                    ci_hi * 100.0,
                    lo * 100.0,
                    hi * 100.0,
                    lat(50.0),
                    lat(99.0),
                    cpu,
                );
            }
        }
    });
}
