//! `SecretClient` against faults: throttling, 5xx, refused and reset
//! connections, a response that never comes, truncated and non-JSON bodies.
//! Each either succeeds within the retry budget or fails with an error that
//! names the status and request id; nothing is retried past the budget.
#![allow(clippy::unwrap_used)]

use crate::common;
use keyvault_secrets::StatusCode;

use std::sync::Arc;
use std::time::Duration;

use common::{Behaviour, client, fast_retry, get_s, get_s_from, static_credential, vault_server};
use credential_core::{LoopbackOnlyHttpClient, TransportErrorKind};
use keyvault_emulator::{Emulator, Faults};
use keyvault_secrets::{Error, SecretClient};

/// 1 try + 3 retries.
const BUDGET: usize = 4;

fn failing(status: u16, rid: &str) -> Behaviour {
    Behaviour::json(
        status,
        r#"{"error":{"code":"Throttled","message":"slow down"}}"#,
    )
    .with_header("x-ms-request-id", rid)
}

#[tokio::test]
async fn retryable_statuses_succeed_within_the_budget() {
    for status in [408, 429, 500, 502, 503, 504] {
        let server = vault_server().await;
        server.push_n(BUDGET - 1, failing(status, "rid-x"));
        let secret = get_s_from(&server)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(secret.value, "the-value");
        assert_eq!(server.authorized(), BUDGET, "{status}");
    }
}

#[tokio::test]
async fn retryable_statuses_past_the_budget_fail_naming_status_and_request_id() {
    for status in [429, 500, 502, 503, 504] {
        let server = vault_server().await;
        server.push_n(10, failing(status, &format!("rid-{status}")));
        let err = get_s_from(&server).await.unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(status), "{err}");
        assert_eq!(err.request_id(), Some(format!("rid-{status}").as_str()));
        let text = err.to_string();
        assert!(text.contains(&format!("HTTP {status}")), "{text}");
        assert!(text.contains(&format!("rid-{status}")), "{text}");
        assert_eq!(
            server.authorized(),
            BUDGET,
            "{status}: retried past the budget"
        );
    }
}

#[tokio::test]
async fn retry_after_seconds_and_milliseconds_are_honoured() {
    let server = vault_server().await;
    server.push(failing(429, "r1").with_header("retry-after-ms", "120"));
    server.push(failing(429, "r2").with_header("retry-after", "1"));
    let started = tokio::time::Instant::now();
    let secret = get_s_from(&server).await.unwrap();
    assert_eq!(secret.value, "the-value");
    // The waits were the server's, not the 10 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(1100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.authorized(), 3);
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let server = vault_server().await;
    server.push_n(3, Behaviour::status(429));
    let secret = client(&server.url()).set_secret("s", "v").await;
    // The server answers a secret bundle to the PUT after the throttling.
    assert_eq!(secret.unwrap().value, "the-value");
    assert_eq!(server.authorized(), BUDGET);
}

#[tokio::test]
async fn non_retryable_statuses_are_not_retried() {
    for status in [400, 403, 404, 409] {
        let server = vault_server().await;
        server.push(failing(status, "rid-n"));
        let err = get_s_from(&server).await.unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(status));
        assert_eq!(err.request_id(), Some("rid-n"));
        assert_eq!(server.authorized(), 1, "{status}");
    }
}

#[tokio::test]
async fn connection_refused_fails_after_the_budget_with_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = get_s(&client(&format!("http://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("could not reach Key Vault"),
        "{err}"
    );
}

#[tokio::test]
async fn connection_reset_mid_response_is_retried() {
    let server = vault_server().await;
    server.push_n(2, Behaviour::ResetMidResponse);
    let secret = get_s_from(&server).await.unwrap();
    assert_eq!(secret.value, "the-value");
    assert_eq!(server.authorized(), 3);

    let server = vault_server().await;
    server.push_n(10, Behaviour::ResetMidResponse);
    let err = get_s_from(&server).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.authorized(), BUDGET);
}

#[tokio::test]
async fn a_response_that_never_comes_times_out_and_the_retry_succeeds() {
    let server = vault_server().await;
    server.push(Behaviour::Hang);
    let client = SecretClient::builder(server.url(), static_credential())
        .with_retry_policy(fast_retry())
        .with_request_timeout(Duration::from_millis(300))
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap();
    let secret = get_s(&client).await.unwrap();
    assert_eq!(secret.value, "the-value");
    assert_eq!(server.authorized(), 2);

    server.push_n(10, Behaviour::Hang);
    let err = get_s(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.authorized(), 2 + BUDGET);
}

#[tokio::test]
async fn a_truncated_body_is_retried_then_reported() {
    let server = vault_server().await;
    server.push(Behaviour::Truncated);
    let secret = get_s_from(&server).await.unwrap();
    assert_eq!(secret.value, "the-value");
    assert_eq!(server.authorized(), 2);

    server.push_n(10, Behaviour::Truncated);
    let err = get_s_from(&server).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.authorized(), 2 + BUDGET);
}

#[tokio::test]
async fn a_non_json_body_is_a_clear_error_naming_status_and_request_id() {
    let server = vault_server().await;
    server.push(
        Behaviour::json(200, "<html>not json</html>").with_header("x-ms-request-id", "rid-html"),
    );
    let err = get_s_from(&server).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MalformedResponse {
                status: StatusCode::OK,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("rid-html"));
    assert!(err.to_string().contains("rid-html"), "{err}");
    assert_eq!(server.authorized(), 1, "a 200 is not retried");

    // A gateway's HTML error page: retried, then reported with its status.
    let server = vault_server().await;
    server.push_n(
        10,
        Behaviour::json(502, "<html>bad gateway</html>").with_header("x-ms-request-id", "rid-gw"),
    );
    let err = get_s_from(&server).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(err.request_id(), Some("rid-gw"));
    assert!(err.to_string().contains("not a Key Vault error"), "{err}");
    assert_eq!(server.authorized(), BUDGET);
}

async fn emulator_client(emulator: &keyvault_emulator::RunningEmulator) -> SecretClient {
    let credential = credential_env::ClientSecretCredential::builder(
        emulator.tenant_id(),
        emulator.client_id(),
        emulator.client_secret(),
    )
    .with_authority_host(emulator.authority_host())
    .with_context(
        credential_core::ProviderContext::isolated()
            .with_clock(Arc::new(credential_core::SystemClock))
            .with_http(Arc::new(LoopbackOnlyHttpClient::real())),
    )
    .build()
    .unwrap();
    SecretClient::builder(emulator.vault_url(), credential)
        .with_retry_policy(fast_retry())
        .with_request_timeout(Duration::from_secs(5))
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn emulator_faults_are_absorbed_within_the_budget() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = emulator_client(&emulator).await;
    client.set_secret("s", "v1").await.unwrap();

    emulator.set_faults(Faults::none().throttle(3, None));
    assert_eq!(get_s(&client).await.unwrap().value, "v1");
    assert_eq!(emulator.fault_counts().throttled, 3);

    emulator.set_faults(
        Faults::none()
            .throttle(1, Some(Duration::from_secs(1)))
            .unavailable(2),
    );
    client.set_secret("s", "v2").await.unwrap();

    emulator.set_faults(Faults::none().drop_connections(3));
    assert_eq!(get_s(&client).await.unwrap().value, "v2");
    assert_eq!(emulator.fault_counts().dropped, 3);

    // Past the budget: the 503 is reported with the emulator's request id.
    // (FaultCounts are cumulative over the emulator's life.)
    let before = emulator.fault_counts();
    emulator.set_faults(Faults::none().unavailable(10));
    let err = get_s(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{err}");
    assert!(err.request_id().is_some_and(|id| !id.is_empty()), "{err:?}");
    assert!(err.to_string().contains("x-ms-request-id"), "{err}");
    assert_eq!(
        emulator.fault_counts().unavailable - before.unavailable,
        BUDGET as u32
    );

    let before = emulator.fault_counts();
    emulator.set_faults(Faults::none().drop_connections(10));
    let err = get_s(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        emulator.fault_counts().dropped - before.dropped,
        BUDGET as u32
    );
    emulator.shutdown().await;
}
