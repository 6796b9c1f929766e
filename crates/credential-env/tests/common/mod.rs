//! Helpers shared by the test files: a recording mockito token endpoint, a
//! scripted HTTP client for retry tests, and contexts wired to them.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use credential_core::{
    AccessToken, CredentialError, Env, LoopbackOnlyHttpClient, ManualClock, ProviderContext,
    TokenCredential, TokenRequestOptions, TransportErrorKind, async_trait,
};
use credential_core::{HttpClient, HttpRequest, HttpResponse, TransportError};
use time::OffsetDateTime;

pub const NOW: OffsetDateTime = ProviderContext::ISOLATED_EPOCH;
pub const SCOPE: &str = "https://vault.azure.net/.default";
pub const TENANT: &str = "contoso";
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-000000000001";
/// The token endpoint path of [`TENANT`].
pub const TOKEN_PATH: &str = "/contoso/oauth2/v2.0/token";
/// The `client_assertion_type` of a signed JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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

/// Asserts `request` is a form-encoded POST to `path` whose fields are
/// exactly `expected`.
#[track_caller]
pub fn assert_form_post(request: &Recorded, path: &str, expected: &[(&str, &str)]) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, path);
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(request.form, expected);
}

/// Asserts `request` is the client-credentials grant to [`TOKEN_PATH`] for
/// [`CLIENT_ID`] and `scope`, authenticated by exactly the `auth` fields.
#[track_caller]
pub fn assert_client_credentials_post(request: &Recorded, auth: &[(&str, &str)], scope: &str) {
    let mut expected = vec![
        ("client_id", CLIENT_ID),
        ("grant_type", "client_credentials"),
        ("scope", scope),
    ];
    expected.extend_from_slice(auth);
    assert_form_post(request, TOKEN_PATH, &expected);
}

/// Asserts `request` is the client-credentials grant for [`SCOPE`] signed in
/// with the JWT `assertion`.
#[track_caller]
pub fn assert_assertion_post(request: &Recorded, assertion: &str) {
    let auth = [
        ("client_assertion", assertion),
        ("client_assertion_type", JWT_BEARER),
    ];
    assert_client_credentials_post(request, &auth, SCOPE);
}

/// Asserts `request` is the client-credentials grant for `scope` signed in
/// with the client `secret`.
#[track_caller]
pub fn assert_secret_post(request: &Recorded, secret: &str, scope: &str) {
    assert_client_credentials_post(request, &[("client_secret", secret)], scope);
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

/// A server whose [`TOKEN_PATH`] answers every request with `status` and
/// the Entra error `body`, expected once.
pub async fn entra_error_server(
    status: usize,
    body: &str,
) -> (mockito::ServerGuard, mockito::Mock) {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", TOKEN_PATH)
        .with_status(status)
        .with_body(body)
        .expect(1)
        .create_async()
        .await;
    (server, mock)
}

/// Request options asking for a token in `tenant`.
pub fn for_tenant(tenant: &str) -> TokenRequestOptions {
    TokenRequestOptions::default().with_tenant_id(tenant)
}

/// `cred.get_token` for [`SCOPE`] with default options.
pub async fn request_token(
    cred: &(impl TokenCredential + ?Sized),
) -> Result<AccessToken, CredentialError> {
    cred.get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
}

/// The token [`request_token`] gets; panics on an error.
pub async fn fetch_token(cred: &(impl TokenCredential + ?Sized)) -> AccessToken {
    request_token(cred).await.unwrap()
}

/// The error [`request_token`] gets; panics on a token.
pub async fn fetch_error(cred: &(impl TokenCredential + ?Sized)) -> CredentialError {
    request_token(cred).await.unwrap_err()
}

/// Asserts `err` is `InvalidConfiguration` from `credential`.
#[track_caller]
pub fn assert_invalid_configuration(err: &CredentialError, credential: &str) {
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. })
            && err.credential() == credential,
        "{err:?}"
    );
}

/// Asserts `err` is `Authentication` from `credential`.
#[track_caller]
pub fn assert_authentication(err: &CredentialError, credential: &str) {
    assert!(
        matches!(err, CredentialError::Authentication { .. }) && err.credential() == credential,
        "{err:?}"
    );
}

/// Asserts `err` is a transient `Transport` error of `kind`.
#[track_caller]
pub fn assert_transient_transport(err: &CredentialError, kind: TransportErrorKind) {
    assert!(
        matches!(err, CredentialError::Transport { kind: k, .. } if *k == kind),
        "{err:?}"
    );
    assert!(err.is_transient());
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
        self.script.lock().unwrap().push_back(Ok(HttpResponse::new(
            status_code(status),
            Default::default(),
            body.to_owned().into(),
        )));
    }
    pub fn push_error(&self, error: TransportError) {
        self.script.lock().unwrap().push_back(Err(error));
    }
    /// Scripts a per-try timeout.
    pub fn push_timeout(&self) {
        self.push_error(TransportError::new(
            TransportErrorKind::Timeout,
            "no answer",
        ));
    }
    /// The per-try timeout each request carried, in order.
    pub fn timeouts(&self) -> Vec<Option<std::time::Duration>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.timeout)
            .collect()
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

fn status_code(status: u16) -> credential_core::StatusCode {
    credential_core::StatusCode::from_u16(status).unwrap()
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
