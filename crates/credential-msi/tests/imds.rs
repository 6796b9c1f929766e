//! IMDS: the request, parsing, error mapping, the probe, and the retry schedule.
#![allow(clippy::unwrap_used)]

use crate::common;
use credential_core::StatusCode;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use credential_core::{
    CredentialError, Env, ProviderContext, TokenCredential, TransportError, TransportErrorKind,
};
use credential_msi::{ImdsRetryPolicy, ManagedIdentityCredential, SourceKind, UserAssignedId};
use mockito::Matcher;
use url::Url;

const PATH: &str = "/metadata/identity/oauth2/token";

fn imds_query(extra: &str) -> Matcher {
    Matcher::Exact(format!("api-version=2018-02-01&{RESOURCE_QUERY}{extra}"))
}

fn credential_at(base: &str) -> credential_msi::ManagedIdentityCredentialBuilder {
    ManagedIdentityCredential::builder()
        .with_context(ctx(&[], vec![]))
        .with_imds_endpoint(Url::parse(base).unwrap())
}

/// A credential aimed at `base` that probes IMDS before its first token request.
fn probing_credential_at(base: &str) -> ManagedIdentityCredential {
    credential_at(base).with_probe(true).build().unwrap()
}

/// Expects exactly one token request (with `extra` after the resource in
/// the query, and the `Metadata: true` header) and answers it with a token.
async fn expect_token_request(server: &mut mockito::ServerGuard, extra: &str) -> mockito::Mock {
    server
        .mock("GET", PATH)
        .match_query(imds_query(extra))
        .match_header("metadata", "true")
        .with_body(token_body())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_clone_is_served_from_the_originals_cache() {
    let mut server = mockito::Server::new_async().await;
    let mock = expect_token_request(&mut server, "").await;
    let original = credential_at(&server.url()).build().unwrap();
    let token = get(&original).await.unwrap();
    let clone = original.clone();
    drop(original);
    assert_eq!(get(&clone).await.unwrap(), token);
    mock.assert_async().await;
}

#[tokio::test]
async fn token_request_is_exact_and_cached() {
    let mut server = mockito::Server::new_async().await;
    let mock = expect_token_request(&mut server, "").await;
    let credential = credential_at(&server.url()).build().unwrap();
    assert_eq!(credential.source_kind().unwrap(), SourceKind::Imds);
    let token = get(&credential).await.unwrap();
    assert_eq!(token.token.expose_secret(), TOKEN);
    assert_eq!(token.expires_on.unix_timestamp(), EPOCH + 3600);
    // Served from the cache.
    get(&credential).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn user_assigned_parameters() {
    let mut server = mockito::Server::new_async().await;
    for (builder, extra) in [
        (
            credential_at(&server.url())
                .with_user_assigned_id(UserAssignedId::ClientId("cid".into())),
            "&client_id=cid",
        ),
        (
            credential_at(&server.url())
                .with_user_assigned_id(UserAssignedId::ObjectId("oid".into())),
            "&object_id=oid",
        ),
        (
            credential_at(&server.url())
                .with_user_assigned_id(UserAssignedId::ResourceId("/subscriptions/s/rg".into())),
            "&msi_res_id=%2Fsubscriptions%2Fs%2Frg",
        ),
    ] {
        let mock = expect_token_request(&mut server, extra).await;
        get(&builder.build().unwrap()).await.unwrap();
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn pod_identity_host_variable_moves_imds() {
    let mut server = mockito::Server::new_async().await;
    // AKS pod identity: the token path with its trailing slash, as the
    // JavaScript SDK sends it.
    let mock = server
        .mock("GET", "/metadata/identity/oauth2/token/")
        .match_query(imds_query(""))
        .with_body(r#"{"access_token":"t","expires_in":"86400"}"#)
        .expect(1)
        .create_async()
        .await;
    let ctx = ctx(
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", &server.url())],
        vec![],
    );
    // Probe mode: the variable turns the probe off, so only the token request goes out.
    let credential = ManagedIdentityCredential::builder()
        .with_context(ctx)
        .with_probe(true)
        .build()
        .unwrap();
    let token = get(&credential).await.unwrap();
    // 24 h token: refreshed at half-life.
    let now = ProviderContext::ISOLATED_EPOCH;
    assert_eq!(token.refresh_on, Some(now + time::Duration::hours(12)));
    mock.assert_async().await;
}

#[tokio::test]
async fn unreachable_imds_is_unavailable() {
    let credential = credential_at(&closed_port_url()).build().unwrap();
    let err = get(&credential).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
}

#[tokio::test]
async fn error_mapping() {
    let mut server = mockito::Server::new_async().await;
    type Check = fn(&CredentialError) -> bool;
    let cases: [(usize, &str, Check); 5] = [
        (
            400,
            r#"{"error":"invalid_request","error_description":"Identity not found"}"#,
            CredentialError::is_unavailable,
        ),
        (
            403,
            "A socket operation was attempted to an unreachable network.",
            CredentialError::is_unavailable,
        ),
        (
            400,
            r#"{"error":"invalid_resource","error_description":"AADSTS500011: not found"}"#,
            |e| {
                matches!(
                    e,
                    CredentialError::Authentication {
                        status: Some(StatusCode::BAD_REQUEST),
                        ..
                    }
                )
            },
        ),
        (403, r#"{"error":"forbidden"}"#, |e| {
            matches!(
                e,
                CredentialError::Authentication {
                    status: Some(StatusCode::FORBIDDEN),
                    ..
                }
            )
        }),
        (500, r#"{"error":"server_error"}"#, |e| {
            matches!(
                e,
                CredentialError::Transport {
                    kind: TransportErrorKind::Status(StatusCode::INTERNAL_SERVER_ERROR),
                    ..
                }
            )
        }),
    ];
    for (status, body, check) in cases {
        let mock = server
            .mock("GET", PATH)
            .match_query(imds_query(""))
            .with_status(status)
            .with_body(body)
            .expect(1)
            .create_async()
            .await;
        let credential = credential_at(&server.url())
            .with_imds_retry_policy(ImdsRetryPolicy::none())
            .build()
            .unwrap();
        let err = get(&credential).await.unwrap_err();
        assert!(check(&err), "{status} {body}: {err}");
        assert!(
            err.to_string().starts_with("ManagedIdentityCredential"),
            "{err}"
        );
        mock.assert_async().await;
        mock.remove_async().await;
    }
}

// ---- Probe mode ----

#[tokio::test]
async fn probe_refused_port_is_unavailable() {
    let credential = probing_credential_at(&closed_port_url());
    let err = get(&credential).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(err.to_string().contains("probe"), "{err}");
}

#[tokio::test]
async fn probe_400_means_available_and_success_is_remembered() {
    let mut server = mockito::Server::new_async().await;
    let probe = server
        .mock("GET", PATH)
        .match_query(Matcher::Missing)
        .match_header("metadata", Matcher::Missing)
        .with_status(400)
        .with_body(r#"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#)
        .expect(1)
        .create_async()
        .await;
    let token_a = expect_token_request(&mut server, "").await;
    let token_b = server
        .mock("GET", PATH)
        .match_query(Matcher::Exact(
            "api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com".into(),
        ))
        .match_header("metadata", "true")
        .with_body(token_body())
        .expect(1)
        .create_async()
        .await;
    let credential = probing_credential_at(&server.url());
    get(&credential).await.unwrap();
    // Another scope misses the cache: a token request, but no second probe.
    credential
        .get_token(
            &["https://storage.azure.com/.default"],
            &credential_core::TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    probe.assert_async().await;
    token_a.assert_async().await;
    token_b.assert_async().await;
}

#[tokio::test]
async fn probe_403_unreachable_is_unavailable_and_sends_no_token_request() {
    let mut server = mockito::Server::new_async().await;
    let probe = server
        .mock("GET", PATH)
        .match_query(Matcher::Missing)
        .with_status(403)
        .with_body("connecting to 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.")
        .expect(2)
        .create_async()
        .await;
    let token = server
        .mock("GET", PATH)
        .match_query(Matcher::Any)
        .match_header("metadata", "true")
        .expect(0)
        .create_async()
        .await;
    let credential = probing_credential_at(&server.url());
    assert!(get(&credential).await.unwrap_err().is_unavailable());
    // A failed probe is not remembered: the next call probes again.
    assert!(get(&credential).await.unwrap_err().is_unavailable());
    probe.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn probe_request_shape() {
    let http = ScriptedHttp::default();
    http.push(400, &[], "{}").push(200, &[], &token_body());
    // The production default address; the scripted client sends nothing.
    let production = ctx(&[], vec![])
        .with_http(Arc::new(http.clone()))
        .with_imds_endpoint(None);
    let credential = ManagedIdentityCredential::builder()
        .with_context(production)
        .with_probe(true)
        .build()
        .unwrap();
    get(&credential).await.unwrap();
    let requests = http.requests.lock().unwrap();
    let (_, probe) = &requests[0];
    assert_eq!(
        probe.url.as_str(),
        "http://169.254.169.254/metadata/identity/oauth2/token"
    );
    assert!(probe.headers.get("metadata").is_none());
    assert_eq!(probe.timeout, Some(Duration::from_secs(1)));
    let (_, real) = &requests[1];
    assert_eq!(real.headers["metadata"], "true");
}

// ---- Retry schedule (paused time, scripted HTTP: nothing is sent) ----

/// A builder whose context sends every request to `http`.
fn scripted_builder(http: &ScriptedHttp) -> credential_msi::ManagedIdentityCredentialBuilder {
    ManagedIdentityCredential::builder()
        .with_context(ctx(&[], vec![]).with_http(Arc::new(http.clone())))
}

fn scripted(http: &ScriptedHttp, policy: ImdsRetryPolicy) -> ManagedIdentityCredential {
    scripted_builder(http)
        .with_imds_retry_policy(policy)
        .build()
        .unwrap()
}

fn no_jitter() -> ImdsRetryPolicy {
    ImdsRetryPolicy::default().with_jitter(false)
}

fn gaps(http: &ScriptedHttp) -> Vec<u128> {
    http.times()
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn retry_schedule_for_5xx_404_and_429() {
    let http = ScriptedHttp::default();
    http.push(503, &[], "")
        .push(404, &[], "")
        .push(429, &[], "")
        .push(500, &[], "")
        .push(502, &[], "")
        .push(200, &[], &token_body());
    let start = tokio::time::Instant::now();
    get(&scripted(&http, no_jitter())).await.unwrap();
    assert_eq!(http.times().len(), 6);
    assert_eq!(gaps(&http), [800, 1600, 3200, 6400, 12800]);
    assert_eq!(start.elapsed(), Duration::from_millis(24_800));
}

#[tokio::test(start_paused = true)]
async fn retry_schedule_for_410_uses_longer_base_and_gives_up() {
    let http = ScriptedHttp::default();
    for _ in 0..6 {
        http.push(410, &[], "");
    }
    let start = tokio::time::Instant::now();
    let err = get(&scripted(&http, no_jitter())).await.unwrap_err();
    assert_eq!(http.times().len(), 6, "1 try + 5 retries");
    assert_eq!(gaps(&http), [3000, 6000, 12000, 24000, 48000]);
    assert_eq!(start.elapsed(), Duration::from_secs(93));
    assert!(!err.is_unavailable(), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_set_gone_initial_delay_paces_410_retries() {
    let http = ScriptedHttp::default();
    for _ in 0..3 {
        http.push(410, &[], "");
    }
    let policy = no_jitter()
        .with_max_retries(2)
        .with_gone_initial_delay(Duration::from_millis(500));
    let err = get(&scripted(&http, policy)).await.unwrap_err();
    assert_eq!(http.times().len(), 3, "1 try + 2 retries");
    assert_eq!(gaps(&http), [500, 1000]);
    assert!(!err.is_unavailable(), "{err}");
}

#[tokio::test(start_paused = true)]
async fn default_policy_jitters_within_80_to_100_percent() {
    let http = ScriptedHttp::default();
    http.push(503, &[], "")
        .push(503, &[], "")
        .push(200, &[], &token_body());
    let start = tokio::time::Instant::now();
    get(&scripted(&http, ImdsRetryPolicy::default()))
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(http.times().len(), 3);
    assert!(
        elapsed >= Duration::from_millis(1920) && elapsed <= Duration::from_millis(2400),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let http = ScriptedHttp::default();
    http.push(429, &[("retry-after", "7")], "")
        .push(200, &[], &token_body());
    let start = tokio::time::Instant::now();
    get(&scripted(&http, no_jitter())).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn other_statuses_and_connection_failures_are_not_retried() {
    let http = ScriptedHttp::default();
    http.push(
        400,
        &[],
        r#"{"error":"invalid_request","error_description":"Identity not found"}"#,
    );
    let err = get(&scripted(&http, no_jitter())).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert_eq!(http.times().len(), 1);

    let http = ScriptedHttp::default();
    http.push_error(TransportError::new(TransportErrorKind::Connect, "refused"));
    let start = tokio::time::Instant::now();
    let err = get(&scripted(&http, no_jitter())).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert_eq!(http.times().len(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn isolated_context_never_reaches_the_network() {
    // The default IMDS address with the isolated context's no-network client.
    let credential = ManagedIdentityCredential::builder()
        .with_context(ProviderContext::isolated().with_env(Env::empty()))
        .build()
        .unwrap();
    assert!(get(&credential).await.unwrap_err().is_unavailable());
}

#[tokio::test(start_paused = true)]
async fn failures_after_connecting_are_retried_on_the_schedule() {
    let http = ScriptedHttp::default();
    http.push_error(TransportError::new(
        TransportErrorKind::Timeout,
        "no answer",
    ))
    .push_error(TransportError::new(TransportErrorKind::Request, "reset"))
    .push_error(TransportError::new(TransportErrorKind::Decode, "truncated"))
    .push(200, &[], &token_body());
    get(&scripted(&http, no_jitter())).await.unwrap();
    assert_eq!(gaps(&http), [800, 1600, 3200]);

    // Past the budget: the last failure, reported as "no IMDS answered".
    let http = ScriptedHttp::default();
    for _ in 0..6 {
        http.push_error(TransportError::new(
            TransportErrorKind::Timeout,
            "no answer",
        ));
    }
    let err = get(&scripted(&http, no_jitter())).await.unwrap_err();
    assert_eq!(http.times().len(), 6, "1 try + 5 retries");
    assert!(err.is_unavailable(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn every_try_carries_the_per_try_timeout() {
    let timeouts = |http: &ScriptedHttp| -> Vec<Option<Duration>> {
        http.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, r)| r.timeout)
            .collect()
    };
    let http = ScriptedHttp::default();
    http.push(200, &[], &token_body());
    get(&scripted(&http, no_jitter())).await.unwrap();
    assert_eq!(timeouts(&http), [Some(Duration::from_secs(30))]);

    let http = ScriptedHttp::default();
    http.push(503, &[], "").push(200, &[], &token_body());
    let credential = scripted_builder(&http)
        .with_imds_retry_policy(no_jitter())
        .with_request_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    get(&credential).await.unwrap();
    let configured = Some(Duration::from_millis(1500));
    assert_eq!(timeouts(&http), [configured, configured]);
}

#[tokio::test]
async fn the_isolated_context_aims_imds_at_loopback() {
    let http = ScriptedHttp::default();
    http.push(400, &[], "{}").push(200, &[], &token_body());
    let credential = scripted_builder(&http).with_probe(true).build().unwrap();
    get(&credential).await.unwrap();
    let urls: Vec<String> = http
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, r)| r.url.as_str().to_owned())
        .collect();
    assert_eq!(urls[0], "http://127.0.0.1:1/metadata/identity/oauth2/token");
    assert!(urls[1].starts_with("http://127.0.0.1:1/metadata/identity/oauth2/token?"));

    // AZURE_POD_IDENTITY_AUTHORITY_HOST still wins over the context's default.
    let http = ScriptedHttp::default();
    http.push(200, &[], &token_body());
    let credential = ManagedIdentityCredential::builder()
        .with_context(
            ctx(
                &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.9:2579")],
                vec![],
            )
            .with_http(Arc::new(http.clone())),
        )
        .build()
        .unwrap();
    get(&credential).await.unwrap();
    let url = http.requests.lock().unwrap()[0].1.url.to_string();
    assert!(
        url.starts_with("http://127.0.0.9:2579/metadata/identity/oauth2/token/?"),
        "{url}"
    );

    // With real (loopback-only) HTTP, nothing listens there: unavailable.
    let credential = ManagedIdentityCredential::builder()
        .with_context(ctx(&[], vec![]))
        .with_probe(true)
        .build()
        .unwrap();
    let err = get(&credential).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
}

#[test]
fn a_zero_request_timeout_is_refused_at_build() {
    let err = ManagedIdentityCredential::builder()
        .with_context(ctx(&[], vec![]))
        .with_request_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("with_request_timeout"), "{err}");
}

/// Extreme `expires_on` / `expires_in` values from IMDS and App Service (as
/// numbers, strings and dates): a token or an error, never a panic, and any
/// token goes through the credential's cache.
#[tokio::test]
async fn extreme_expiry_values_never_panic() {
    let mut server = mockito::Server::new_async().await;
    let values = [
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "\"9223372036854775807\"",
        "\"-9223372036854775808\"",
        "\"99999999999999999999999\"",
        "1e308",
        "\"1e308\"",
        "\"-377705116800\"",
        "\"253402300799\"",
        "\"12/31/9999 23:59:59 +00:00\"",
        "\"01/01/-9999 00:00:00 +00:00\"",
        "\"9999-12-31T23:59:59Z\"",
        "\"\"",
    ];
    for field in ["expires_on", "expires_in"] {
        for value in values {
            let body = format!(r#"{{"access_token":"t","token_type":"Bearer","{field}":{value}}}"#);
            for (path, env) in [(PATH, vec![]), ("/msi", vec![("IDENTITY_HEADER", "h")])] {
                let mock = server
                    .mock("GET", path)
                    .match_query(Matcher::Any)
                    .with_body(&body)
                    .create_async()
                    .await;
                let endpoint = format!("{}/msi", server.url());
                let mut env = env;
                if !env.is_empty() {
                    env.push(("IDENTITY_ENDPOINT", endpoint.as_str()));
                }
                let credential = ManagedIdentityCredential::builder()
                    .with_context(ctx(&env, vec![]))
                    .with_imds_endpoint(Url::parse(&server.url()).unwrap())
                    .with_imds_retry_policy(ImdsRetryPolicy::default().with_max_retries(0))
                    .build()
                    .unwrap();
                // Twice: the second call reads the cache.
                let first = get(&credential).await;
                let second = get(&credential).await;
                assert_eq!(first.is_ok(), second.is_ok(), "{path} {body}");
                mock.remove_async().await;
            }
        }
    }
}
