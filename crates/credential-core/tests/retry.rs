//! Token requests' retries (`RetryPolicy`), through
//! `entra::send_token_request` on the scripted HTTP client with paused
//! time: which answers are retried, how many times, and how long each wait
//! is.

use credential_core::StatusCode;
use std::time::Duration;

use credential_core::__private::entra::send_token_request;
use credential_core::RetryPolicy;
use credential_core::test_util::ScriptedHttpClient;
use credential_core::{
    AccessToken, CredentialError, HttpRequest, ManualClock, Method, TransportErrorKind,
};
use time::macros::datetime;
use tokio::time::Instant;
use url::Url;

const TOKEN: &str = r#"{"token_type":"Bearer","access_token":"tok","expires_in":3599}"#;
const DENIED: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;

async fn request(
    http: &ScriptedHttpClient,
    policy: &RetryPolicy,
) -> Result<AccessToken, CredentialError> {
    let clock = ManualClock::new(datetime!(2030-01-01 0:00 UTC));
    let url = Url::parse("http://127.0.0.1:1/tenant/oauth2/v2.0/token").unwrap();
    let request = HttpRequest::new(Method::POST, url);
    send_token_request("TestCredential", http, &request, policy, &clock).await
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_waiting_what_the_server_asks() {
    let http = ScriptedHttpClient::new();
    http.push_response(503, &[("retry-after", "2")], "")
        .push_response(429, &[("retry-after-ms", "1500")], "")
        .push_error(TransportErrorKind::Timeout)
        .push_response(200, &[], TOKEN);
    let start = Instant::now();
    let token = request(&http, &RetryPolicy::default()).await.unwrap();
    assert_eq!(token.token.expose_secret(), "tok");
    assert_eq!(http.requests().len(), 4);
    // 2 s, then 1.5 s as asked, then the third retry's backoff: 3.2 s
    // spread over 80-100 %.
    let waited = start.elapsed();
    let least = Duration::from_millis(3500 + 2560);
    let most = Duration::from_millis(3500 + 3200);
    assert!((least..=most).contains(&waited), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_max_retries_with_the_last_answer() {
    let http = ScriptedHttpClient::new();
    for _ in 0..3 {
        http.push_response(500, &[], "");
    }
    http.push_response(200, &[], TOKEN);
    let policy = RetryPolicy::default().with_max_retries(2);
    let err = request(&http, &policy).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(http.requests().len(), 3, "the first try and 2 retries");

    let http = ScriptedHttpClient::new();
    http.push_response(503, &[], "")
        .push_response(200, &[], TOKEN);
    let err = request(&http, &RetryPolicy::none()).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(http.requests().len(), 1, "RetryPolicy::none sends once");
}

#[tokio::test(start_paused = true)]
async fn answers_and_failures_that_are_not_transient_are_not_retried() {
    let http = ScriptedHttpClient::new();
    http.push_response(200, &[], TOKEN)
        .push_response(200, &[], TOKEN);
    request(&http, &RetryPolicy::default()).await.unwrap();
    assert_eq!(http.requests().len(), 1, "a success is not sent again");

    let http = ScriptedHttpClient::new();
    http.push_response(400, &[], DENIED)
        .push_response(200, &[], TOKEN);
    let err = request(&http, &RetryPolicy::default()).await.unwrap_err();
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    assert_eq!(http.requests().len(), 1, "a 400 is not retried");

    let http = ScriptedHttpClient::new();
    http.push_error(TransportErrorKind::Status(StatusCode::BAD_REQUEST))
        .push_response(200, &[], TOKEN);
    let err = request(&http, &RetryPolicy::default()).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert_eq!(http.requests().len(), 1, "a lasting failure is not retried");
}
