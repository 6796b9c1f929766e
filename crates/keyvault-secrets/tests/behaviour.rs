//! Challenge, retry, poller and bad-input behaviour, on an in-memory
//! scripted transport (exact and free of real time) and on loopback.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use credential_core::RetryPolicy;
use futures::StreamExt;
use keyvault_secrets::*;

const VAULT: &str = "https://myvault.vault.azure.net";
const BUNDLE: &str = r#"{"value":"v","id":"https://myvault.vault.azure.net/secrets/s/abc","attributes":{"enabled":true}}"#;
const DELETED: &str = r#"{"recoveryId":"https://myvault.vault.azure.net/deletedsecrets/s","deletedDate":1774470964,"scheduledPurgeDate":1782246964,"id":"https://myvault.vault.azure.net/secrets/s/abc","attributes":{"enabled":true}}"#;

fn client(http: &Scripted, cred: &Counting) -> SecretClient {
    SecretClient::builder(VAULT, cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn challenge_then_authorized_request_with_headers() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let s = c
        .set_secret("s", "v")
        .content_type("text/plain")
        .await
        .unwrap();
    assert_eq!(s.value, "v");
    let seen = http.seen();
    assert_eq!(seen[0].auth(), None);
    assert!(
        seen[0].body.as_ref().unwrap().is_empty(),
        "challenge carries no body"
    );
    assert_eq!(seen[1].auth().as_deref(), Some("Bearer token-1"));
    assert_eq!(
        seen[1].json().unwrap(),
        serde_json::json!({"value":"v","contentType":"text/plain"})
    );
    assert_eq!(
        seen[1].path_and_query(),
        "/secrets/s?api-version=2026-04-01"
    );
    let h = &seen[1].headers;
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["accept"], "application/json");
    assert!(
        h["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("keyvault-secrets/0.1.0 (rust; ")
    );
    assert!(uuid::Uuid::parse_str(h["x-ms-client-request-id"].to_str().unwrap()).is_ok());
    let (scopes, options) = cred.seen.lock().unwrap()[0].clone();
    assert_eq!(scopes, ["https://vault.azure.net/.default"]);
    assert_eq!(
        options.tenant_id.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    // Later requests go straight out with the cached token.
    http.script
        .lock()
        .unwrap()
        .push_back(response(200, &[], BUNDLE));
    c.get_secret("s").await.unwrap();
    assert_eq!(http.seen().len(), 3);
    assert_eq!(
        http.seen()[2].path_and_query(),
        "/secrets/s/?api-version=2026-04-01"
    );
    assert_eq!(cred.count(), 1);
}

#[tokio::test]
async fn foreign_resource_refused_and_no_token_sent() {
    let http = Scripted::new(vec![challenge_401(
        r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.attacker.example""#,
    )]);
    let cred = Counting::default();
    let err = client(&http, &cred).get_secret("s").await.unwrap_err();
    assert!(matches!(err, Error::Challenge { .. }), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
    assert_eq!(cred.count(), 0);
    assert_eq!(http.seen().len(), 1);
    assert!(http.seen().iter().all(|s| s.auth().is_none()));
}

#[tokio::test]
async fn verification_off_accepts_foreign_resource() {
    let http = Scripted::new(vec![
        challenge_401(
            r#"Bearer authorization="https://login.microsoftonline.com/t2", resource="https://vault.other.example""#,
        ),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = SecretClient::builder(VAULT, cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .with_verify_challenge_resource(false)
        .build()
        .unwrap();
    c.get_secret("s").await.unwrap();
    let (scopes, options) = cred.seen.lock().unwrap()[0].clone();
    assert_eq!(scopes, ["https://vault.other.example/.default"]);
    assert_eq!(options.tenant_id.as_deref(), Some("t2"));
}

const CAE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNzI2MDc3NTk1In0sInhtc19jYWVlcnJvciI6eyJ2YWx1ZSI6IjEwMDEyIn19fQ==""#;

#[tokio::test]
async fn cae_challenge_retried_once_not_twice() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        challenge_401(CAE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    c.get_secret("s").await.unwrap();
    let seen = cred.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1]
            .1
            .claims
            .as_deref()
            .unwrap()
            .contains("xms_caeerror")
    );
    assert_eq!(
        seen[1].1.tenant_id.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(http.seen()[2].auth().as_deref(), Some("Bearer token-2"));

    // Two CAE challenges in a row: one retry, then the 401 is the answer.
    http.script.lock().unwrap().extend([
        challenge_401(CAE),
        challenge_401(CAE),
        response(200, &[], BUNDLE),
    ]);
    let err = c.get_secret("s").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(http.remaining(), 1, "exactly one CAE retry");
    assert_eq!(cred.count(), 3);
}

#[tokio::test]
async fn unauthorized_without_challenge_is_an_error() {
    let body = r#"{"error":{"code":"Unauthorized","message":"no"}}"#;
    let http = Scripted::new(vec![response(401, &[("x-ms-request-id", "rid-1")], body)]);
    let cred = Counting::default();
    let err = client(&http, &cred).get_secret("s").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.request_id(), Some("rid-1"));
    assert!(
        err.to_string().contains("no Bearer WWW-Authenticate"),
        "{err}"
    );
    assert_eq!(cred.count(), 0);
    // After a challenge, a bare 401 is an error as well.
    let http = Scripted::new(vec![challenge_401(KV_CHALLENGE), response(401, &[], body)]);
    let err = client(&http, &cred).get_secret("s").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test(start_paused = true)]
async fn retries_429_with_and_without_retry_after_and_503() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(429, &[("retry-after", "7")], "{}"),
        response(
            429,
            &[],
            r#"{"error":{"code":"Throttled","message":"slow down"}}"#,
        ),
        response(503, &[("x-ms-retry-after-ms", "10")], ""),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let start = tokio::time::Instant::now();
    c.get_secret("s").await.unwrap();
    let waited = start.elapsed();
    // 7 s + backoff(1) in [1.28, 1.6] s + 10 ms.
    assert!(
        waited >= Duration::from_millis(8290) && waited <= Duration::from_millis(8620),
        "{waited:?}"
    );
    let ids: Vec<_> = http.seen()[1..]
        .iter()
        .map(|s| s.headers["x-ms-client-request-id"].clone())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one request id across retries"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_budget_ends_with_last_error() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(503, &[], "{}"),
        reset(),
        response(500, &[], "{}"),
        response(
            429,
            &[("x-ms-request-id", "last")],
            r#"{"error":{"code":"Throttled","message":"Request was not processed"}}"#,
        ),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let err = client(&http, &cred).get_secret("s").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(err.is_throttled() && !err.is_conflict(), "{err}");
    assert_eq!(err.error_code(), Some("Throttled"));
    assert_eq!(err.request_id(), Some("last"));
    assert_eq!(http.remaining(), 1);

    let http = Scripted::new(vec![challenge_401(KV_CHALLENGE), reset(), reset()]);
    let c = SecretClient::builder(VAULT, cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .with_retry_policy(RetryPolicy::default().with_max_retries(1))
        .build()
        .unwrap();
    let err = c.get_secret("s").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("connection reset"), "{err}");
}

#[tokio::test]
async fn connection_reset_on_loopback_is_retried() {
    let server = serve(vec![
        Some((
            401,
            vec![("www-authenticate".into(), LOCAL_CHALLENGE.into())],
            String::new(),
        )),
        None, // drop the connection
        Some((200, vec![], BUNDLE.to_owned())),
    ])
    .await;
    let cred = Counting::default();
    let c = SecretClient::builder(server.url.clone(), cred.credential())
        .with_http_client(Arc::new(credential_core::LoopbackOnlyHttpClient::real()))
        .with_retry_policy(RetryPolicy::default().with_initial_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let s = c.get_secret("s").await.unwrap();
    assert_eq!(s.properties.name, "s");
    assert_eq!(server.seen.lock().unwrap().len(), 3);
    assert_eq!(
        cred.seen.lock().unwrap()[0].1.tenant_id.as_deref(),
        Some("tenant-a")
    );
}

#[tokio::test(start_paused = true)]
async fn delete_poller_404_then_200_then_purge() {
    let not_found =
        r#"{"error":{"code":"SecretNotFound","message":"Deleted Secret not found: s"}}"#;
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], DELETED),
        response(404, &[], not_found),
        response(200, &[], DELETED),
        response(204, &[], ""),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut poller = c.begin_delete_secret("s").await.unwrap();
    assert!(!poller.is_done());
    assert!(!poller.poll().await.unwrap());
    assert!(poller.poll().await.unwrap());
    assert_eq!(
        poller.result().unwrap().recovery_id.as_deref(),
        Some("https://myvault.vault.azure.net/deletedsecrets/s")
    );
    c.purge_deleted_secret("s").await.unwrap();
    let paths: Vec<_> = http
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path_and_query()))
        .collect();
    assert_eq!(
        paths[1..],
        [
            "DELETE /secrets/s?api-version=2026-04-01",
            "GET /deletedsecrets/s?api-version=2026-04-01",
            "GET /deletedsecrets/s?api-version=2026-04-01",
            "DELETE /deletedsecrets/s?api-version=2026-04-01",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn delete_wait_sleeps_interval_and_purge_409_while_deleting() {
    let not_found = r#"{"error":{"code":"SecretNotFound","message":"x"}}"#;
    let conflict = r#"{"error":{"code":"Conflict","message":"Secret is currently being deleted.","innererror":{"code":"ObjectIsBeingDeleted"}}}"#;
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], DELETED),
        response(409, &[], conflict),
        response(404, &[], not_found),
        response(
            403,
            &[],
            r#"{"error":{"code":"Forbidden","message":"no get"}}"#,
        ),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let poller = c.begin_delete_secret("s").await.unwrap();
    let err = c.purge_deleted_secret("s").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::CONFLICT));
    assert!(err.is_conflict() && !err.is_not_found(), "{err}");
    assert_eq!(
        err.as_service().unwrap().inner_code(),
        Some("ObjectIsBeingDeleted")
    );
    let start = tokio::time::Instant::now();
    let deleted = poller.wait().await.unwrap(); // 404, then 403 = done
    assert_eq!(start.elapsed(), DEFAULT_POLL_INTERVAL);
    assert_eq!(deleted.properties.name, "s");
}

#[tokio::test(start_paused = true)]
async fn recover_poller() {
    let not_found = || {
        response(
            404,
            &[],
            r#"{"error":{"code":"SecretNotFound","message":"x"}}"#,
        )
    };
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        not_found(),
        response(
            200,
            &[],
            r#"{"id":"https://myvault.vault.azure.net/secrets/s/abc","attributes":{"enabled":true}}"#,
        ),
        not_found(),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = SecretClient::builder(VAULT, cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .with_poll_interval(Duration::from_secs(5))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let p = c
        .begin_recover_deleted_secret("s")
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert_eq!(p.version.as_deref(), Some("abc"));
    let seen: Vec<String> = http
        .seen()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path_and_query()))
        .collect();
    assert_eq!(
        seen[1..],
        [
            "GET /secrets/s/?api-version=2026-04-01",
            "POST /deletedsecrets/s/recover?api-version=2026-04-01",
            "GET /secrets/s/?api-version=2026-04-01",
            "GET /secrets/s/?api-version=2026-04-01",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn recover_of_an_existing_secret_is_done_without_recovering() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let poller = c.begin_recover_deleted_secret("s").await.unwrap();
    assert!(poller.is_done());
    let p = poller.await.unwrap();
    assert_eq!(p.name, "s");
    let seen = http.seen();
    assert_eq!(seen.len(), 2, "no POST /recover");
    assert_eq!(seen[1].method, "GET");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let http = Scripted::new(vec![]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    for name in ["", "bad_name", "a/b", "x y", &"a".repeat(128)] {
        let err = c.get_secret(name).await.unwrap_err();
        assert!(err.to_string().contains("not a valid secret name"), "{err}");
        let err = c.set_secret(name, "v").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }));
    }
    let big = "x".repeat(25 * 1024 + 1);
    let err = c.set_secret("ok", &big).await.unwrap_err();
    assert!(err.to_string().contains("25600"), "{err}");
    let err = c.get_secret("ok").version("../x").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    let mut stream = Box::pin(c.list_properties_of_secrets().max_page_size(26));
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidInput { .. }))
    ));
    assert!(stream.next().await.is_none());
    assert!(http.seen().is_empty());
    assert!(matches!(
        SecretClient::new("http://myvault.vault.azure.net", cred.credential()),
        Err(Error::InvalidInput { .. })
    ));
    assert!(KeyVaultSecretIdentifier::parse("https://v.vault.azure.net/keys/k").is_err());
}

#[tokio::test]
async fn malformed_service_json_is_a_clear_error() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[("x-ms-request-id", "r9")], "{not json"),
        response(200, &[], r#"{"value":"v"}"#),
        response(200, &[], r#"{"value":"v","id":"https://v/keys/k"}"#),
        response(200, &[], r#"{"value":{"oops":1},"nextLink":null}"#),
        response(200, &[], r#"{"value":"***not base64***"}"#),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    for _ in 0..3 {
        let err = c.get_secret("s").await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::MalformedResponse {
                    status: StatusCode::OK,
                    ..
                }
            ),
            "{err}"
        );
    }
    let mut stream = Box::pin(c.list_deleted_secrets());
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::MalformedResponse { .. }))
    ));
    let err = c.backup_secret("s").await.unwrap_err();
    assert!(err.to_string().contains("base64url"), "{err}");
}

#[tokio::test]
async fn next_link_to_another_host_is_not_followed() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(
            200,
            &[],
            r#"{"value":[],"nextLink":"https://myvault.vault.azure.net:443/secrets?api-version=2026-04-01&$skiptoken=a"}"#,
        ),
        response(
            200,
            &[],
            r#"{"value":[{"id":"https://myvault.vault.azure.net/secrets/a"}],"nextLink":"https://evil.example/secrets?$skiptoken=b"}"#,
        ),
    ]);
    let cred = Counting::default();
    let items: Vec<_> = client(&http, &cred)
        .list_properties_of_secrets()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().name, "a");
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("points away from the vault")
    );
    assert_eq!(
        http.seen()[2].path_and_query(),
        "/secrets?api-version=2026-04-01&$skiptoken=a"
    );
    assert_eq!(http.seen().len(), 3);
}

#[test]
fn a_zero_request_timeout_is_refused_at_build() {
    let err = SecretClient::builder(
        "https://v.vault.azure.net",
        Counting::default().credential(),
    )
    .with_request_timeout(Duration::ZERO)
    .build()
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("with_request_timeout"), "{err}");
}

#[test]
fn a_ca_pem_without_a_certificate_is_refused_at_build() {
    let err = SecretClient::builder(
        "https://v.vault.azure.net",
        Counting::default().credential(),
    )
    .with_ca_pem("not a pem")
    .build()
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("with_ca_pem"), "{err}");
}

#[test]
fn a_ca_pem_with_an_http_client_of_ones_own_is_refused_at_build() {
    let err = SecretClient::builder(
        "https://v.vault.azure.net",
        Counting::default().credential(),
    )
    .with_http_client(Arc::new(credential_core::NoNetworkHttpClient))
    .with_ca_pem(TEST_CA_PEM)
    .build()
    .unwrap_err();
    assert!(err.to_string().contains("with_http_client"), "{err}");
}

#[test]
fn a_ca_pem_with_a_certificate_builds() {
    let client = SecretClient::builder(
        "https://v.vault.azure.net",
        Counting::default().credential(),
    )
    .with_ca_pem(TEST_CA_PEM)
    .build();
    assert!(client.is_ok(), "{:?}", client.err());
}

const TEST_CA_PEM: &str = include_str!("data/test-ca.pem");
/// With background refresh off, the request that finds its token inside the
/// refresh window gets a new one itself before it is sent (no task; on a
/// current-thread runtime a spawned refresh could not have run yet).
#[tokio::test(flavor = "current_thread")]
async fn without_background_refresh_a_stale_token_is_refreshed_inline() {
    use credential_core::{AccessToken, ManualClock, token_credential_fn};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let clock = ManualClock::new(time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000));
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = {
        let (clock, calls) = (clock.clone(), calls.clone());
        token_credential_fn("Hourly", move |_, _| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let expires = credential_core::Clock::now(&clock) + time::Duration::hours(1);
            async move { Ok(AccessToken::new(format!("token-{n}"), expires)) }
        })
    };
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
        response(200, &[], BUNDLE),
    ]);
    let client = SecretClient::builder(VAULT, credential)
        .with_http_client(Arc::new(http.clone()))
        .with_clock(Arc::new(clock.clone()))
        .with_background_refresh(false)
        .build()
        .unwrap();
    client.get_secret("s").await.unwrap();
    clock.advance(time::Duration::minutes(56));
    client.get_secret("s").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let seen = http.seen();
    assert_eq!(seen[1].auth().as_deref(), Some("Bearer token-1"));
    assert_eq!(
        seen[2].auth().as_deref(),
        Some("Bearer token-2"),
        "the stale token was replaced before the request was sent"
    );
}

#[test]
fn the_transport_builders_error_converts_with_the_question_mark() {
    fn transport(pem: &str) -> Result<credential_core::ReqwestHttpClient, Error> {
        Ok(credential_core::ReqwestHttpClient::builder()
            .with_ca_pem(pem)
            .build()?)
    }
    let err = transport("not a pem").unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}
