//! Soak: 20,000 operations from 64 concurrent tasks against the emulator,
//! while tokens expire every ~1.5 s (a `ManualClock` shared by credential
//! and client jumps 2 h ahead) and throttling is switched on and off.
//! Zero failed operations; the token endpoint sees one request per expiry,
//! not one per task. Bounded: it stops after 20,000 operations or 75 s.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use credential_core::{
    HttpClient, HttpRequest, HttpResponse, LoopbackOnlyHttpClient, ManualClock, ProviderContext,
    TransportError, async_trait,
};
use credential_env::ClientSecretCredential;
use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets::SecretClient;

const OPERATIONS: usize = 20_000;
const TASKS: usize = 64;
const DEADLINE: Duration = Duration::from_secs(75);

/// Counts the requests to the token endpoint.
#[derive(Debug)]
struct Counting {
    inner: LoopbackOnlyHttpClient,
    token_requests: Arc<AtomicUsize>,
}

#[async_trait]
impl HttpClient for Counting {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.url.path().ends_with("/oauth2/v2.0/token") {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.send(request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_expiring_tokens_and_throttling() {
    let emulator = Emulator::builder().start().await.unwrap();
    let clock = ManualClock::new(ProviderContext::ISOLATED_EPOCH);
    let token_requests = Arc::new(AtomicUsize::new(0));
    let credential = ClientSecretCredential::builder(
        emulator.tenant_id(),
        emulator.client_id(),
        emulator.client_secret(),
    )
    .with_authority_host(emulator.authority_host())
    .with_context(
        ProviderContext::isolated()
            .with_clock(Arc::new(clock.clone()))
            .with_http(Arc::new(Counting {
                inner: LoopbackOnlyHttpClient::real(),
                token_requests: token_requests.clone(),
            })),
    )
    .build()
    .unwrap();
    let client = SecretClient::builder(emulator.vault_url(), credential)
        .with_clock(Arc::new(clock.clone()))
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_request_timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let done = Arc::new(AtomicBool::new(false));

    // The driver: every 1.5 s tokens expire; throttling goes on and off.
    let driver = {
        let clock = clock.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut advances = 0usize;
            while !done.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                if done.load(Ordering::SeqCst) {
                    break;
                }
                clock.advance(time::Duration::hours(2));
                advances += 1;
            }
            advances
        })
    };

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = client.clone();
        let next = next.clone();
        let failures = failures.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("soak-{t}");
            let mut last: Option<String> = None;
            let mut done_here = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= OPERATIONS || started.elapsed() > DEADLINE {
                    break;
                }
                let result = if last.is_none() || n.is_multiple_of(8) {
                    let value = format!("value-{t}-{n}");
                    client.set_secret(&name, &value).await.map(|s| {
                        last = Some(value);
                        s.value
                    })
                } else {
                    client.get_secret(&name).await.map(|s| s.value)
                };
                match result {
                    Ok(v) if last.as_ref().is_some_and(|l| v == *l) => done_here += 1,
                    Ok(v) => failures
                        .lock()
                        .unwrap()
                        .push(format!("{name}: read {:?}, expected {last:?}", v.as_str())),
                    Err(e) => failures.lock().unwrap().push(format!("{name}: {e}")),
                }
            }
            done_here
        }));
    }

    // Throttling on and off while the tasks run.
    let mut toggles = 0;
    let mut throttled_before = 0;
    while !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        toggles += 1;
        match toggles % 4 {
            1 => emulator.set_faults(Faults::none().throttle(32, None)),
            3 => emulator.set_faults(Faults::none().throttle(16, Some(Duration::from_secs(1)))),
            _ => emulator.set_faults(Faults::none()),
        }
        throttled_before = emulator.fault_counts().throttled;
    }
    let mut completed = 0;
    for t in tasks {
        completed += t.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let advances = driver.await.unwrap();
    let elapsed = started.elapsed();
    let failures = failures.lock().unwrap().clone();
    let token_requests = token_requests.load(Ordering::SeqCst);
    let throttled = emulator.fault_counts().throttled.max(throttled_before);
    println!(
        "soak: {completed} operations in {elapsed:?}, {} failures, {throttled} throttled answers, \
         {advances} token expiries, {token_requests} token requests",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failed operations: {:?}",
        &failures[..failures.len().min(10)]
    );
    assert_eq!(completed, OPERATIONS, "did not finish within {DEADLINE:?}");
    assert!(throttled > 0, "throttling never hit");
    assert!(advances >= 2, "tokens expired only {advances} times");
    // One token request per expiry (plus the first), not one per task; a
    // fetch in flight while the clock jumps may cost one more.
    assert!(
        token_requests >= advances.saturating_sub(1)
            && token_requests <= advances + 1 + advances / 4 + 1,
        "{token_requests} token requests for {advances} expiries"
    );
    emulator.shutdown().await;
}
