//! The token endpoint (client secret credential) and IMDS (managed identity)
//! failing the ways a vault can: retried within the budget, reported
//! clearly past it; the cache keeps a valid token through a failed refresh;
//! a cold failure reaches every waiter once (one fetch, one error each).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Behaviour, Server, fast_retry};
use credential_core::RetryPolicy;
use credential_core::{
    CredentialError, LoopbackOnlyHttpClient, ManualClock, ProviderContext, TokenCredential,
    TokenRequestOptions, TransportErrorKind,
};
use credential_env::ClientSecretCredential;
use credential_msi::{ImdsRetryPolicy, ManagedIdentityCredential};

const SCOPE: &str = "https://vault.azure.net/.default";

/// A token server: every request matches the script; then tokens `tok-N`.
async fn token_server() -> Server {
    Server::start(
        |_| true,
        |_, server| {
            Behaviour::json(
                200,
                &format!(
                    r#"{{"access_token":"tok-{}","expires_in":"3600","token_type":"Bearer"}}"#,
                    server.count()
                ),
            )
        },
    )
    .await
}

fn context(clock: &ManualClock) -> ProviderContext {
    ProviderContext::isolated()
        .with_clock(Arc::new(clock.clone()))
        .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
}

/// The per-try timeout the "response never comes" test sets: long enough
/// that a healthy loopback answer on a loaded CI machine never hits it.
const SHORT_TIMEOUT: Duration = Duration::from_millis(700);

fn secret_credential_with(
    server: &Server,
    clock: &ManualClock,
    timeout: Option<Duration>,
) -> Arc<dyn TokenCredential> {
    let mut builder = ClientSecretCredential::builder("tenant-1", "client-1", "the-client-secret")
        .with_authority_host(server.url())
        .with_retry_policy(fast_retry())
        .with_context(context(clock));
    if let Some(timeout) = timeout {
        builder = builder.with_request_timeout(timeout);
    }
    Arc::new(builder.build().unwrap())
}

fn imds_credential_with(
    server: &Server,
    clock: &ManualClock,
    timeout: Option<Duration>,
) -> Arc<dyn TokenCredential> {
    let mut builder = ManagedIdentityCredential::builder()
        .with_context(context(clock))
        .with_imds_endpoint(url::Url::parse(&server.url()).unwrap())
        .with_probe(false)
        .with_imds_retry_policy(ImdsRetryPolicy {
            initial_delay: Duration::from_millis(10),
            gone_initial_delay: Duration::from_millis(10),
            ..ImdsRetryPolicy::default()
        });
    if let Some(timeout) = timeout {
        builder = builder.with_request_timeout(timeout);
    }
    Arc::new(builder.build().unwrap())
}

fn secret_credential(server: &Server, clock: &ManualClock) -> Arc<dyn TokenCredential> {
    secret_credential_with(server, clock, None)
}

fn imds_credential(server: &Server, clock: &ManualClock) -> Arc<dyn TokenCredential> {
    imds_credential_with(server, clock, None)
}

type Make = fn(&Server, &ManualClock) -> Arc<dyn TokenCredential>;
type MakeWithTimeout = fn(&Server, &ManualClock, Option<Duration>) -> Arc<dyn TokenCredential>;

/// (name, constructor, tries in the budget)
const CREDENTIALS: [(&str, Make, usize); 2] = [
    ("client secret", secret_credential, 4),
    ("managed identity (IMDS)", imds_credential, 6),
];

/// The same two, with a per-try timeout.
const TIMED_CREDENTIALS: [(&str, MakeWithTimeout, usize); 2] = [
    ("client secret", secret_credential_with, 4),
    ("managed identity (IMDS)", imds_credential_with, 6),
];

async fn get(credential: &dyn TokenCredential) -> Result<String, CredentialError> {
    credential
        .get_token(&[SCOPE], &TokenRequestOptions::default())
        .await
        .map(|t| t.token.expose_secret().to_owned())
}

fn clock() -> ManualClock {
    ManualClock::new(ProviderContext::ISOLATED_EPOCH)
}

#[tokio::test]
async fn transient_failures_are_retried_within_the_budget() {
    for (name, make, budget) in CREDENTIALS {
        for failure in [
            Behaviour::status(429).with_header("retry-after-ms", "20"),
            Behaviour::status(429),
            Behaviour::status(500),
            Behaviour::status(502),
            Behaviour::json(503, "<html>unavailable</html>"),
            Behaviour::status(504),
            Behaviour::ResetMidResponse,
            Behaviour::Truncated,
        ] {
            let server = token_server().await;
            server.push_n(budget - 1, failure.clone());
            let credential = make(&server, &clock());
            let token = get(&*credential)
                .await
                .unwrap_or_else(|e| panic!("{name} {failure:?}: {e}"));
            assert_eq!(token, format!("tok-{}", budget - 1), "{name} {failure:?}");
            assert_eq!(server.count(), budget, "{name} {failure:?}");
        }
    }
}

#[tokio::test]
async fn a_response_that_never_comes_times_out_and_the_retry_succeeds() {
    for (name, make, budget) in TIMED_CREDENTIALS {
        // One try hangs: the per-try timeout fires and the retry succeeds.
        let server = token_server().await;
        server.push(Behaviour::Hang);
        let credential = make(&server, &clock(), Some(SHORT_TIMEOUT));
        let started = tokio::time::Instant::now();
        let token = get(&*credential)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(token, "tok-1", "{name}");
        assert_eq!(server.count(), 2, "{name}");
        let elapsed = started.elapsed();
        assert!(elapsed >= SHORT_TIMEOUT, "{name}: no timeout fired");
        // Not the 30 s default: the configured per-try timeout was used.
        assert!(elapsed < Duration::from_secs(20), "{name}: {elapsed:?}");

        // Every try hangs: as many tries as the budget, then a timeout error.
        let server = token_server().await;
        server.push_n(budget + 5, Behaviour::Hang);
        let credential = make(&server, &clock(), Some(SHORT_TIMEOUT));
        let err = get(&*credential).await.unwrap_err();
        assert_eq!(server.count(), budget, "{name}: retried past the budget");
        let text = err.to_string();
        assert!(text.contains("timed out"), "{name}: {text}");
        match err {
            CredentialError::Transport { kind, .. } => {
                assert_eq!(kind, TransportErrorKind::Timeout, "{name}");
                assert!(kind.is_transient());
            }
            // IMDS reports an endpoint that never answers as "no managed
            // identity here", so that a chain moves on.
            CredentialError::Unavailable { .. } => assert_eq!(budget, 6, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn failures_past_the_budget_are_clear_errors_and_stop_retrying() {
    for (name, make, budget) in CREDENTIALS {
        for status in [429u16, 500, 503] {
            let server = token_server().await;
            server.push_n(
                20,
                Behaviour::json(
                    status,
                    r#"{"error":"temporarily_unavailable","error_description":"try later"}"#,
                )
                .with_header("x-ms-request-id", &format!("rid-{status}")),
            );
            let err = get(&*make(&server, &clock())).await.unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("HTTP {status}")), "{name}: {text}");
            assert!(
                text.contains(&format!("request id rid-{status}")),
                "{name}: {text}"
            );
            assert!(err.is_transient(), "{name}: {err:?}");
            assert_eq!(
                server.count(),
                budget,
                "{name} {status}: retried past the budget"
            );
        }
        // A non-JSON 200 is not retried and does not echo the body.
        let server = token_server().await;
        server.push(Behaviour::json(
            200,
            "<html>captive portal tok-secret</html>",
        ));
        let err = get(&*make(&server, &clock())).await.unwrap_err();
        assert!(
            matches!(err, CredentialError::UnexpectedResponse { .. }),
            "{name}: {err:?}"
        );
        assert!(!err.to_string().contains("tok-secret"), "{name}: {err}");
        assert_eq!(server.count(), 1, "{name}");
    }
}

#[tokio::test]
async fn connection_refused_is_a_clear_error() {
    let fake = Server::closed();
    for (name, make, _) in CREDENTIALS {
        let err = get(&*make(&fake, &clock())).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                CredentialError::Transport {
                    kind: TransportErrorKind::Connect,
                    ..
                } | CredentialError::Unavailable { .. }
            ),
            "{name}: {err:?}"
        );
        assert!(
            text.contains("127.0.0.1") || text.contains("connect"),
            "{name}: {text}"
        );
    }
}

/// Waits (up to 10 s) until `server` has seen `count` requests, then a
/// little longer for the client to act on the last answer.
async fn wait_for_requests(server: &Server, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.count() < count && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn the_cache_keeps_a_valid_token_through_a_failed_refresh() {
    for (name, make, budget) in CREDENTIALS {
        let server = token_server().await;
        let clock = clock();
        let credential = make(&server, &clock);
        assert_eq!(get(&*credential).await.unwrap(), "tok-0");

        // 58 minutes on: past the refresh point (55 min - jitter), still
        // valid (expiry margin 30 s). The caller gets the valid token at
        // once; the refresh, in the background, fails after its retries.
        clock.advance(time::Duration::minutes(58));
        server.push_n(100, Behaviour::status(503));
        assert_eq!(get(&*credential).await.unwrap(), "tok-0", "{name}");
        wait_for_requests(&server, 1 + budget).await;
        let after_refresh = server.count();
        assert_eq!(after_refresh, 1 + budget, "{name}");
        // No new attempt within 30 s.
        assert_eq!(get(&*credential).await.unwrap(), "tok-0", "{name}");
        assert_eq!(server.count(), after_refresh, "{name}");

        // Past the expiry (less the 30 s margin) the old token is never
        // served: the failure is reported, then a healthy endpoint serves.
        clock.advance(time::Duration::minutes(2));
        let err = get(&*credential).await.unwrap_err();
        assert!(err.to_string().contains("503"), "{name}: {err}");
        server.clear();
        let token = get(&*credential).await.unwrap();
        assert!(token != "tok-0", "{name}: an expired token was served");
    }
}

#[tokio::test]
async fn a_cold_failure_reaches_every_waiter_once() {
    for (name, make, budget) in CREDENTIALS {
        // A permanent failure: one request, every waiter gets the error.
        let server = token_server().await;
        server.push_n(
            1,
            Behaviour::json(
                400,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
            )
            .with_header("x-ms-request-id", "rid-400"),
        );
        let credential = make(&server, &clock());
        let results = futures::future::join_all((0..16).map(|_| get(&*credential))).await;
        assert_eq!(server.count(), 1, "{name}: one fetch for 16 waiters");
        for r in &results {
            let text = r.as_ref().unwrap_err().to_string();
            assert!(text.contains("400"), "{name}: {text}");
            assert!(text.contains("request id rid-400"), "{name}: {text}");
        }
        // The failure is not cached: the next call asks again.
        assert_eq!(get(&*credential).await.unwrap(), "tok-1", "{name}");

        // A transient failure: one fetch with its retries, shared.
        let server = token_server().await;
        server.push_n(100, Behaviour::status(503));
        let credential = make(&server, &clock());
        let results = futures::future::join_all((0..16).map(|_| get(&*credential))).await;
        assert_eq!(server.count(), budget, "{name}: one fetch for 16 waiters");
        for r in &results {
            let err = r.as_ref().unwrap_err();
            assert!(err.to_string().contains("503"), "{name}: {err}");
        }
    }
}

/// An endpoint that accepts the connection and never answers: the call ends
/// at the configured per-try timeout (no retries here), with an error that
/// names the endpoint. Entra token endpoint, IMDS and App Service managed
/// identity.
#[tokio::test]
async fn an_endpoint_that_never_answers_fails_at_the_per_try_timeout_naming_it() {
    let timeout = Duration::from_millis(300);
    let clock = clock();
    type Build = fn(&Server, ProviderContext, Duration) -> Arc<dyn TokenCredential>;
    let builds: [(&str, Build); 3] = [
        ("client secret", |server, ctx, timeout| {
            let credential = ClientSecretCredential::builder("tenant-1", "client-1", "s3cret")
                .with_authority_host(server.url())
                .with_retry_policy(RetryPolicy::none())
                .with_request_timeout(timeout)
                .with_context(ctx);
            Arc::new(credential.build().unwrap())
        }),
        ("IMDS", |server, ctx, timeout| {
            let credential = ManagedIdentityCredential::builder()
                .with_context(ctx)
                .with_imds_endpoint(url::Url::parse(&server.url()).unwrap())
                .with_probe(false)
                .with_imds_retry_policy(ImdsRetryPolicy {
                    max_retries: 0,
                    ..ImdsRetryPolicy::default()
                })
                .with_request_timeout(timeout);
            Arc::new(credential.build().unwrap())
        }),
        ("App Service", |server, ctx, timeout| {
            let env = ctx
                .env
                .with_var("IDENTITY_ENDPOINT", format!("{}/msi/token", server.url()))
                .with_var("IDENTITY_HEADER", "header-value");
            let credential = ManagedIdentityCredential::builder()
                .with_context(ctx.with_env(env))
                .with_retry_policy(RetryPolicy::none())
                .with_request_timeout(timeout);
            Arc::new(credential.build().unwrap())
        }),
    ];
    for (name, build) in builds {
        let server = token_server().await;
        server.push_n(5, Behaviour::Hang);
        let credential = build(&server, context(&clock), timeout);
        let started = tokio::time::Instant::now();
        let err = get(&*credential).await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(server.count(), 1, "{name}: one try");
        assert!(elapsed >= timeout, "{name}: ended before the timeout");
        assert!(elapsed < Duration::from_secs(10), "{name}: {elapsed:?}");
        let text = err.to_string();
        assert!(text.contains("timed out"), "{name}: {text}");
        assert!(
            text.contains("127.0.0.1"),
            "{name}: the endpoint is not named: {text}"
        );
    }
}
