//! Shared helpers: an emulator with fast device codes, contexts wired to it,
//! browsers that misbehave on purpose, and a scripted HTTP client for tests
//! that pause time.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::{
    AccessToken, CredentialError, LoopbackOnlyHttpClient, ManualClock, ProviderContext,
    TokenCredential, TokenRequestOptions, async_trait,
};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{ProcessError, ProcessOutput, ProcessRequest, ProcessRunner};
use keyvault_emulator::{Emulator, InteractiveOptions, RunningEmulator, SimulatedBrowser};

pub const VAULT: &str = "https://vault.azure.net/.default";
pub const STORAGE: &str = "https://storage.azure.com/.default";

/// An emulator whose device codes poll without waiting.
pub async fn emulator(options: InteractiveOptions) -> RunningEmulator {
    Emulator::builder()
        .interactive(options.device_code_interval(0))
        .start()
        .await
        .unwrap()
}

/// An isolated context with loopback HTTP, a manual clock and `process`.
pub fn context(process: Arc<dyn ProcessRunner>) -> (ProviderContext, ManualClock) {
    let clock = ManualClock::new(ProviderContext::ISOLATED_EPOCH);
    let ctx = ProviderContext::isolated()
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_clock(Arc::new(clock.clone()))
        .with_process(process);
    (ctx, clock)
}

/// A context whose "browser" is the emulator's simulated one, counted.
pub fn browser_context() -> (ProviderContext, ManualClock, Arc<Browser>) {
    let browser = Browser::new(BrowserMode::Simulated);
    let (ctx, clock) = context(browser.clone());
    (ctx, clock, browser)
}

pub async fn token(
    cred: &dyn TokenCredential,
    scope: &str,
) -> Result<AccessToken, CredentialError> {
    cred.get_token(&[scope], &TokenRequestOptions::default())
        .await
}

/// The JSON claims of a JWT.
pub fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The OAuth error of an authentication error.
pub fn oauth_error(err: &CredentialError) -> Option<&str> {
    match err {
        CredentialError::Authentication { oauth_error, .. } => oauth_error.as_deref(),
        _ => None,
    }
}

/// What a [`Browser`] does with the URL it is asked to open.
#[derive(Debug, Clone)]
pub enum BrowserMode {
    /// Sign in at the emulator and follow the redirect.
    Simulated,
    /// Go straight to the redirect URI with these query parameters (the
    /// `state` sent is added unless `keep_state` is false).
    Redirect { query: String, keep_state: bool },
    /// Report success and do nothing (the user never signs in).
    Idle,
    /// Fail like a missing opener.
    Missing,
    /// Exit with code 3.
    Fails,
}

/// A fake browser opener that records every URL it was asked to open.
#[derive(Debug)]
pub struct Browser {
    mode: BrowserMode,
    pub opened: Mutex<Vec<ProcessRequest>>,
}

impl Browser {
    pub fn new(mode: BrowserMode) -> Arc<Self> {
        Arc::new(Self {
            mode,
            opened: Mutex::default(),
        })
    }
    pub fn count(&self) -> usize {
        self.opened.lock().unwrap().len()
    }
    /// The query of the last URL opened.
    pub fn last_query(&self) -> BTreeMap<String, String> {
        let url = url::Url::parse(
            self.opened
                .lock()
                .unwrap()
                .last()
                .unwrap()
                .args
                .last()
                .unwrap(),
        )
        .unwrap();
        url.query_pairs().into_owned().collect()
    }
}

fn exit(code: i32) -> ProcessOutput {
    ProcessOutput::new(Some(code), "", "")
}

#[async_trait]
impl ProcessRunner for Browser {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        self.opened.lock().unwrap().push(request.clone());
        let url = url::Url::parse(request.args.last().unwrap()).unwrap();
        let q: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        match &self.mode {
            BrowserMode::Simulated => SimulatedBrowser::new().run(request).await,
            BrowserMode::Redirect { query, keep_state } => {
                let mut target = format!("{}?{query}", q["redirect_uri"]);
                if *keep_state {
                    target.push_str(&format!("&state={}", q["state"]));
                }
                let http = LoopbackOnlyHttpClient::real();
                http.send(HttpRequest::new(
                    credential_core::Method::GET,
                    url::Url::parse(&target).unwrap(),
                ))
                .await
                .unwrap();
                Ok(exit(0))
            }
            BrowserMode::Idle => Ok(exit(0)),
            BrowserMode::Missing => Err(ProcessError::NotFound {
                program: request.program,
            }),
            BrowserMode::Fails => Ok(exit(3)),
        }
    }
}

/// An HTTP client answering from a script (for tests that pause time).
#[derive(Debug, Default)]
pub struct Scripted {
    answers: Mutex<VecDeque<(u16, String)>>,
    pub sent: Mutex<Vec<HttpRequest>>,
}

impl Scripted {
    pub fn new(answers: &[(u16, &str)]) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(answers.iter().map(|(s, b)| (*s, (*b).to_owned())).collect()),
            sent: Mutex::default(),
        })
    }
    /// Each request's path and form fields.
    pub fn forms(&self) -> Vec<(String, BTreeMap<String, String>)> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                let form = url::form_urlencoded::parse(r.body.as_deref().unwrap_or_default())
                    .into_owned()
                    .collect();
                (r.url.path().to_owned(), form)
            })
            .collect()
    }
}

#[async_trait]
impl HttpClient for Scripted {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.lock().unwrap().push(request);
        let (status, body) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("script ran out");
        Ok(HttpResponse::new(
            reqwest::StatusCode::from_u16(status).unwrap(),
            Default::default(),
            body.into(),
        ))
    }
}

/// An Entra error body.
pub fn oauth_body(error: &str) -> String {
    format!(
        r#"{{"error":"{error}","error_description":"AADSTS70016: {error}","error_codes":[70016]}}"#
    )
}
