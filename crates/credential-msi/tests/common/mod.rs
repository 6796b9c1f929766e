//! Shared helpers for the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use credential_core::{
    AccessToken, CredentialError, Env, Fs, HttpClient, HttpRequest, HttpResponse,
    LoopbackOnlyHttpClient, ProviderContext, TokenCredential, TokenRequestOptions, TransportError,
    async_trait,
};
use credential_msi::ManagedIdentityCredential;

pub const SCOPE: &str = "https://vault.azure.net/.default";
pub const RESOURCE_QUERY: &str = "resource=https%3A%2F%2Fvault.azure.net";
pub const TOKEN: &str = "tok-very-secret";
/// ProviderContext::isolated()'s clock, as Unix seconds.
pub const EPOCH: i64 = 1_893_456_000;

/// An isolated context with these variables and files, and loopback-only HTTP.
pub fn ctx(env: &[(&str, &str)], files: Vec<(&str, Vec<u8>)>) -> ProviderContext {
    ProviderContext::isolated()
        .with_env(Env::from_pairs(env.iter().copied()))
        .with_fs(Fs::from_files(files))
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
}

/// A token response expiring in an hour, with `expires_on` as a string.
pub fn token_body() -> String {
    format!(
        r#"{{"access_token":"{TOKEN}","expires_on":"{}","resource":"https://vault.azure.net","token_type":"Bearer"}}"#,
        EPOCH + 3600
    )
}

pub async fn get(credential: &ManagedIdentityCredential) -> Result<AccessToken, CredentialError> {
    credential
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
}

/// A loopback URL on which nothing listens.
pub fn closed_port_url() -> String {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    format!("http://127.0.0.1:{port}")
}

/// An HTTP client that answers from a script and records when each request
/// came (on tokio's clock, so paused-time tests can check delays).
#[derive(Debug, Default, Clone)]
pub struct ScriptedHttp {
    script: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    pub requests: Arc<Mutex<Vec<(tokio::time::Instant, HttpRequest)>>>,
}

impl ScriptedHttp {
    pub fn push(&self, status: u16, headers: &[(&'static str, &str)], body: &str) -> &Self {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        self.script.lock().unwrap().push_back(Ok(HttpResponse::new(
            reqwest::StatusCode::from_u16(status).unwrap(),
            map,
            bytes::Bytes::from(body.to_owned()),
        )));
        self
    }

    pub fn push_error(&self, error: TransportError) -> &Self {
        self.script.lock().unwrap().push_back(Err(error));
        self
    }

    pub fn times(&self) -> Vec<tokio::time::Instant> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| *t)
            .collect()
    }
}

#[async_trait]
impl HttpClient for ScriptedHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests
            .lock()
            .unwrap()
            .push((tokio::time::Instant::now(), request));
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script ran out of responses")
    }
}
