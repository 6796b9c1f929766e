//! Helpers shared by the test files: a recording mockito token endpoint, a
//! scripted HTTP client for retry tests, and contexts wired to them.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use credential_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use credential_core::{Env, LoopbackOnlyHttpClient, ManualClock, ProviderContext, async_trait};
use time::OffsetDateTime;

pub const NOW: OffsetDateTime = ProviderContext::ISOLATED_EPOCH;
pub const SCOPE: &str = "https://vault.azure.net/.default";
pub const TENANT: &str = "contoso";
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-000000000001";

/// One request the mock token endpoint received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub form: BTreeMap<String, String>,
}

/// Requests received by a mock, in order.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Recorded>>>);

impl Recorder {
    pub fn all(&self) -> Vec<Recorded> {
        self.0.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn last(&self) -> Recorded {
        self.all().pop().expect("no request was received")
    }
}

/// The fields of a form body, which must have no repeated names.
pub fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        assert!(
            map.insert(k.to_string(), v.to_string()).is_none(),
            "repeated form field {k}"
        );
    }
    map
}

pub fn token_body(token: &str, expires_in: i64) -> String {
    format!(
        r#"{{"token_type":"Bearer","access_token":"{token}","expires_in":{expires_in},"ext_expires_in":{expires_in}}}"#
    )
}

/// A mock at `POST path` answering every request with `token` (valid 1 h),
/// recording each request.
pub async fn token_mock(
    server: &mut mockito::ServerGuard,
    path: &str,
    token: &str,
) -> (mockito::Mock, Recorder) {
    let recorder = Recorder::default();
    let sink = recorder.clone();
    let body = token_body(token, 3600);
    let mock = server
        .mock("POST", path)
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body_from_request(move |request| {
            sink.0.lock().unwrap().push(Recorded {
                method: request.method().to_owned(),
                path: request.path().to_owned(),
                content_type: request
                    .header("content-type")
                    .first()
                    .map(|v| v.to_str().unwrap().to_owned()),
                form: parse_form(request.body().unwrap()),
            });
            body.clone().into_bytes()
        })
        .create_async()
        .await;
    (mock, recorder)
}

/// An isolated context whose HTTP reaches loopback only, with a manual clock.
pub fn context(env: Env) -> (ProviderContext, ManualClock) {
    let clock = ManualClock::new(NOW);
    let ctx = ProviderContext::isolated()
        .with_env(env)
        .with_clock(Arc::new(clock.clone()))
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()));
    (ctx, clock)
}

/// An HTTP client answering from a script, recording every request.
#[derive(Debug, Default)]
pub struct ScriptedHttp {
    script: Mutex<VecDeque<Result<HttpResponse, TransportError>>>,
    pub requests: Mutex<Vec<HttpRequest>>,
}

impl ScriptedHttp {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    pub fn push_status(&self, status: u16, body: &str) {
        self.script.lock().unwrap().push_back(Ok(HttpResponse {
            status: reqwest_status(status),
            headers: Default::default(),
            body: body.to_owned().into(),
        }));
    }
    pub fn push_error(&self, error: TransportError) {
        self.script.lock().unwrap().push_back(Err(error));
    }
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
    pub fn urls(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.url.to_string())
            .collect()
    }
}

fn reqwest_status(status: u16) -> reqwest::StatusCode {
    reqwest::StatusCode::from_u16(status).unwrap()
}

#[async_trait]
impl HttpClient for ScriptedHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.lock().unwrap().push(request);
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script ran out of responses")
    }
}

/// An isolated context with scripted HTTP and a manual clock.
pub fn scripted_context(env: Env, http: Arc<ScriptedHttp>) -> (ProviderContext, ManualClock) {
    let clock = ManualClock::new(NOW);
    let ctx = ProviderContext::isolated()
        .with_env(env)
        .with_clock(Arc::new(clock.clone()))
        .with_http(http);
    (ctx, clock)
}
