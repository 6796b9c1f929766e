//! A caller's own transport: a `reqwest::Client` of theirs behind the small
//! adapter the `HttpClient` docs show. Every request goes through it, its
//! own timeout is kept, and our per-try timeout applies only where it set
//! none.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use credential_core::{HttpRequest, TransportError, TransportErrorKind};
// `HttpClient`, `HttpResponse`, `SharedHttpClient` and `async_trait` come
// from `keyvault_secrets` itself: a user's transport needs no other crate.
use keyvault_secrets::*;
use mockito::Matcher;

/// The adapter of `credential_core::HttpClient`'s docs, counting requests.
#[derive(Debug)]
struct UserReqwest {
    client: reqwest::Client,
    has_own_timeout: bool,
    sent: AtomicUsize,
}

impl UserReqwest {
    fn new(client: reqwest::Client, has_own_timeout: bool) -> Arc<Self> {
        Arc::new(Self {
            client,
            has_own_timeout,
            sent: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl HttpClient for UserReqwest {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        let mut outgoing = self
            .client
            .request(request.method, request.url)
            .headers(request.headers);
        if let Some(body) = request.body {
            outgoing = outgoing.body(body);
        }
        if let (Some(timeout), false) = (request.timeout, self.has_own_timeout) {
            outgoing = outgoing.timeout(timeout);
        }
        let failed = |e: reqwest::Error| {
            let kind = if e.is_timeout() {
                TransportErrorKind::Timeout
            } else if e.is_connect() {
                TransportErrorKind::Connect
            } else {
                TransportErrorKind::Request
            };
            TransportError::new(kind, "the request failed").with_source(e.without_url())
        };
        let response = outgoing.send().await.map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(failed)?;
        Ok(HttpResponse::new(status, headers, body))
    }
}

#[tokio::test]
async fn every_request_goes_through_the_callers_transport() {
    let mut server = mockito::Server::new_async().await;
    let _challenge = challenge_mock(&mut server, "GET").create_async().await;
    let _get = server
        .mock("GET", "/secrets/s/")
        .match_query(Matcher::Any)
        .match_header("authorization", "Bearer token-1")
        .with_status(200)
        .with_body(format!(
            r#"{{"value":"v","id":"{}/secrets/s/abc","attributes":{{"enabled":true}}}}"#,
            server.url()
        ))
        .create_async()
        .await;
    let transport = UserReqwest::new(reqwest::Client::new(), false);
    let client = SecretClient::builder(server.url(), Counting::default().credential())
        .with_http_client(transport.clone())
        .build()
        .unwrap();
    let secret = client.get_secret("s").await.unwrap();
    assert_eq!(secret.value, "v");
    // The bodiless challenge request, then the authorized one.
    assert_eq!(transport.sent.load(Ordering::SeqCst), 2);
}

/// A loopback server that accepts connections and never answers.
fn silent_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for socket in listener.incoming().flatten() {
            held.push(socket);
        }
    });
    address
}

/// `get_secret` against a server that never answers, with `transport` and
/// a per-try timeout of `per_try`; the error, bounded by 20 s so that a
/// missing timeout fails the test instead of hanging it.
async fn get_from_silent_server(transport: Arc<UserReqwest>, per_try: Duration) -> Error {
    let client = SecretClient::builder(
        format!("http://{}", silent_server()),
        Counting::default().credential(),
    )
    .with_http_client(transport)
    .with_request_timeout(per_try)
    .with_retry_policy(RetryPolicy::default().with_max_retries(0))
    .build()
    .unwrap();
    tokio::time::timeout(Duration::from_secs(20), client.get_secret("s"))
        .await
        .expect("a timeout fired")
        .unwrap_err()
}

fn assert_timed_out(error: &Error) {
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_callers_own_timeout_is_kept() {
    // Ours is an hour; only the caller's 200 ms can end the wait.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let transport = UserReqwest::new(client, true);
    let error = get_from_silent_server(transport.clone(), Duration::from_secs(3600)).await;
    assert_timed_out(&error);
    assert_eq!(transport.sent.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn our_per_try_timeout_applies_where_the_caller_set_none() {
    let transport = UserReqwest::new(reqwest::Client::new(), false);
    let error = get_from_silent_server(transport.clone(), Duration::from_millis(200)).await;
    assert_timed_out(&error);
    assert_eq!(transport.sent.load(Ordering::SeqCst), 1);
}
