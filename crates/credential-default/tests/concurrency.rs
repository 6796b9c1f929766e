//! The fast first call: managed identity runs concurrently with the
//! developer tools, and the answer is always the ordered chain's.
//!
//! Time is tokio's paused clock: the fake IMDS and the fake tools "take"
//! time with `tokio::time::sleep`, so the order of events is deterministic.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::error::Error as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use credential_core::{
    Env, Fs, ProcessError, ProcessOutput, ProcessRequest, ProcessRunner, ProviderContext,
    async_trait,
};
use credential_default::{
    CredentialError, CredentialKind, DefaultAzureCredential, HttpClient, HttpRequest, HttpResponse,
    TransportError, TransportErrorKind,
};
use tokio::time::Instant;

/// What the fake IMDS answers after its delay.
#[derive(Debug, Clone)]
enum Imds {
    /// Connection refused (after the delay).
    Refused,
    /// The probe gets 400, the token request `status` with `body`.
    Answers { status: u16, body: String },
}

/// An HTTP client for a fake IMDS at `http://imds.test` that answers after
/// `delay`; it sends nothing anywhere.
#[derive(Debug)]
struct SlowImds {
    delay: Duration,
    behaviour: Imds,
    finished_at: Mutex<Vec<Instant>>,
}

#[async_trait]
impl HttpClient for SlowImds {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        assert_eq!(request.url.host_str(), Some("imds.test"));
        tokio::time::sleep(self.delay).await;
        self.finished_at.lock().unwrap().push(Instant::now());
        match &self.behaviour {
            Imds::Refused => Err(TransportError::new(
                TransportErrorKind::Connect,
                "connection refused",
            )),
            Imds::Answers { status, body } => {
                let probe = request.url.query().is_none();
                let (status, body) = if probe {
                    (400, r#"{"error":"invalid_request"}"#.to_owned())
                } else {
                    (*status, body.clone())
                };
                Ok(HttpResponse::new(
                    reqwest::StatusCode::from_u16(status).unwrap(),
                    reqwest::header::HeaderMap::new(),
                    bytes::Bytes::from(body),
                ))
            }
        }
    }
}

/// A tool runner: each run takes `delay`, then answers from `outputs` in
/// order; it records when each run started and whether a run was dropped
/// before it finished (the real runner kills the child then).
#[derive(Debug, Default)]
struct SlowTools {
    delay: Duration,
    outputs: Mutex<Vec<(i32, String, String)>>,
    started: Mutex<Vec<(String, Instant)>>,
    dropped: Arc<AtomicBool>,
}

struct DropFlag(Arc<AtomicBool>, bool);
impl Drop for DropFlag {
    fn drop(&mut self) {
        if !self.1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl ProcessRunner for SlowTools {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        self.started
            .lock()
            .unwrap()
            .push((request.program.display().to_string(), Instant::now()));
        let mut flag = DropFlag(Arc::clone(&self.dropped), false);
        tokio::time::sleep(self.delay).await;
        flag.1 = true;
        let mut outputs = self.outputs.lock().unwrap();
        if outputs.is_empty() {
            return Err(ProcessError::NotFound {
                program: request.program,
            });
        }
        let (exit_code, stdout, stderr) = outputs.remove(0);
        Ok(ProcessOutput::new(Some(exit_code), stdout, stderr))
    }
}

fn credential(
    imds: Arc<SlowImds>,
    tools: Arc<SlowTools>,
    on_path: &[&str],
) -> DefaultAzureCredential {
    let files: Vec<(String, String)> = on_path
        .iter()
        .map(|t| (format!("/fakebin/{t}"), String::new()))
        .collect();
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", "/fakebin")]))
        .with_fs(Fs::from_files(files))
        .with_http(imds)
        .with_process(tools);
    DefaultAzureCredential::builder()
        .with_context(ctx)
        .with_imds_endpoint(url::Url::parse("http://imds.test").unwrap())
        .build()
        .unwrap()
}

fn slow_imds(delay: Duration, behaviour: Imds) -> Arc<SlowImds> {
    Arc::new(SlowImds {
        delay,
        behaviour,
        finished_at: Mutex::new(Vec::new()),
    })
}

fn tools(delay: Duration, outputs: Vec<(i32, String, String)>) -> Arc<SlowTools> {
    Arc::new(SlowTools {
        delay,
        outputs: Mutex::new(outputs),
        ..SlowTools::default()
    })
}

#[tokio::test(start_paused = true)]
async fn unavailable_managed_identity_gives_the_tool_token_without_waiting_in_sequence() {
    let imds = slow_imds(Duration::from_secs(1), Imds::Refused);
    let runner = tools(
        Duration::from_millis(200),
        vec![(0, az_output("az-token"), String::new())],
    );
    let c = credential(imds.clone(), runner.clone(), &["az"]);
    let start = Instant::now();
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "az-token");
    assert_eq!(c.selected(), Some(CredentialKind::AzureCli));
    // az started at once, not after the 1 s probe; the answer waited for
    // managed identity to report, so it took max(1 s, 0.2 s), not the sum.
    let started = runner.started.lock().unwrap().clone();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].1, start);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(imds.finished_at.lock().unwrap().len(), 1, "one probe");
}

#[tokio::test(start_paused = true)]
async fn a_tool_token_is_held_until_managed_identity_reports() {
    // az answers at 0.2 s, IMDS refuses at 0.5 s: the tool's finished future
    // is not polled again and its token is used once MI is unavailable.
    let imds = slow_imds(Duration::from_millis(500), Imds::Refused);
    let runner = tools(
        Duration::from_millis(200),
        vec![(0, az_output("az-token"), String::new())],
    );
    let c = credential(imds, runner.clone(), &["az", "pwsh"]);
    let start = Instant::now();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "az-token");
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    assert_eq!(
        runner.started.lock().unwrap().len(),
        1,
        "pwsh never started"
    );
}

#[tokio::test(start_paused = true)]
async fn managed_identity_success_wins_over_a_faster_tool() {
    let imds = slow_imds(
        Duration::from_millis(300),
        Imds::Answers {
            status: 200,
            body: imds_body("mi-token"),
        },
    );
    let runner = tools(
        Duration::ZERO,
        vec![(0, az_output("az-token"), String::new())],
    );
    let c = credential(imds.clone(), runner.clone(), &["az"]);
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "mi-token");
    assert_eq!(c.selected(), Some(CredentialKind::ManagedIdentity));
    assert_eq!(
        runner.started.lock().unwrap().len(),
        1,
        "az ran and finished first"
    );
    assert_eq!(imds.finished_at.lock().unwrap().len(), 2, "probe + token");
    // Sticky: the next call goes to managed identity (its cache), no tool.
    get(&c).await.unwrap();
    assert_eq!(runner.started.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn managed_identity_success_drops_a_running_tool() {
    let imds = slow_imds(
        Duration::from_millis(100),
        Imds::Answers {
            status: 200,
            body: imds_body("mi-token"),
        },
    );
    let runner = tools(
        Duration::from_secs(5),
        vec![(0, az_output("az-token"), String::new())],
    );
    let c = credential(imds, runner.clone(), &["az"]);
    let start = Instant::now();
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "mi-token");
    assert_eq!(start.elapsed(), Duration::from_millis(200), "probe + token");
    assert!(
        runner.dropped.load(Ordering::SeqCst),
        "az's run was dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn managed_identity_failure_stops_the_chain_even_when_a_tool_succeeded() {
    let imds = slow_imds(
        Duration::from_millis(300),
        Imds::Answers {
            status: 401,
            body: r#"{"error":"invalid_request","error_description":"the identity is disabled"}"#
                .to_owned(),
        },
    );
    let runner = tools(
        Duration::ZERO,
        vec![(0, az_output("az-token"), String::new())],
    );
    let c = credential(imds, runner.clone(), &["az"]);
    let err = get(&c).await.unwrap_err();
    assert!(!err.is_unavailable(), "{err:?}");
    assert_eq!(
        attempt_names(&err),
        [
            "EnvironmentCredential",
            "WorkloadIdentityCredential",
            "ManagedIdentityCredential"
        ]
    );
    let stopper = err.source().unwrap().to_string();
    assert!(stopper.contains("the identity is disabled"), "{stopper}");
    assert!(matches!(
        attempts(&err)[2],
        CredentialError::Authentication { .. }
    ));
    assert_eq!(runner.started.lock().unwrap().len(), 1, "az had run");
    assert_eq!(c.selected(), None);
}

#[tokio::test(start_paused = true)]
async fn tools_stay_in_order_and_their_attempts_follow_managed_identity() {
    let imds = slow_imds(Duration::from_secs(1), Imds::Refused);
    let runner = tools(
        Duration::from_millis(100),
        vec![
            (
                1,
                String::new(),
                "Please run 'az login' to setup account.".to_owned(),
            ),
            (0, pwsh_output("pwsh-token"), String::new()),
        ],
    );
    let c = credential(imds, runner.clone(), &["az", "pwsh", "azd"]);
    let start = Instant::now();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "pwsh-token");
    let started = runner.started.lock().unwrap().clone();
    assert_eq!(started.len(), 2, "azd never started");
    assert_eq!(started[0].0, "/fakebin/az");
    assert_eq!(started[1].0, "/fakebin/pwsh");
    assert_eq!(started[1].1 - start, Duration::from_millis(100));

    // Every link unavailable: the attempts are in chain order.
    let imds = slow_imds(Duration::from_secs(1), Imds::Refused);
    let runner = tools(Duration::from_millis(100), vec![]);
    let c = credential(imds, runner, &["az"]);
    let err = get(&c).await.unwrap_err();
    assert_eq!(
        attempt_names(&err),
        [
            "EnvironmentCredential",
            "WorkloadIdentityCredential",
            "ManagedIdentityCredential",
            "AzureCliCredential",
            "AzurePowerShellCredential",
            "AzureDeveloperCliCredential"
        ]
    );
}
