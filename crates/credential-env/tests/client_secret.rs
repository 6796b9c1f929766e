//! ClientSecretCredential: the exact request, caching, tenants, errors.

#![allow(clippy::unwrap_used)]

use crate::common;
use credential_core::StatusCode;

use std::sync::Arc;

use common::*;
use credential_core::RetryPolicy;
use credential_core::{
    CredentialError, Env, ManualClock, ProviderContext, TokenCredential, TokenRequestOptions,
    TransportErrorKind,
};
use credential_env::{ClientSecretCredential, ClientSecretCredentialBuilder};
use time::Duration;

const SECRET: &str = "s3cr3t-client-value";

/// A credential against `server` that also allows `tenants`, with its clock.
fn credential_allowing(
    server: &mockito::ServerGuard,
    env: Env,
    tenants: &[&str],
) -> (ClientSecretCredential, ManualClock) {
    let (ctx, clock) = context(env);
    let cred = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_authority_host(server.url())
        .with_additionally_allowed_tenants(tenants.iter().copied())
        .with_context(ctx)
        .build()
        .unwrap();
    (cred, clock)
}

fn credential(server: &mockito::ServerGuard, env: Env) -> ClientSecretCredential {
    credential_allowing(server, env, &[]).0
}

#[tokio::test]
async fn sends_exact_client_credentials_request() {
    let mut server = mockito::Server::new_async().await;
    let (mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok-1").await;
    let cred = credential(&server, Env::empty());
    let token = cred
        .get_token(&[SCOPE, "offline_access"], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "tok-1");
    assert_eq!(token.expires_on, NOW + Duration::hours(1));
    mock.assert_async().await;
    assert_secret_post(&recorder.last(), SECRET, &format!("{SCOPE} offline_access"));
}

#[tokio::test]
async fn with_http_client_replaces_the_contexts_transport() {
    let http = ScriptedHttp::new();
    http.push_status(200, &token_body("tok-own-transport", 3600));
    // The context's transport reaches loopback only; the builder's wins.
    let (ctx, _clock) = context(Env::empty());
    let cred = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_context(ctx)
        .with_http_client(http.clone())
        .build()
        .unwrap();
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok-own-transport");
    assert_eq!(http.count(), 1);
    assert!(
        http.urls()[0].starts_with(&format!("https://login.microsoftonline.com/{TENANT}/")),
        "{:?}",
        http.urls()
    );
}

#[tokio::test]
async fn claims_and_cae_are_sent_and_bypass_cache() {
    let mut server = mockito::Server::new_async().await;
    let (_mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let cred = credential(&server, Env::empty());
    let options = TokenRequestOptions::default()
        .with_claims(r#"{"access_token":{"nbf":{"essential":true}}}"#);
    cred.get_token(&[SCOPE], &options).await.unwrap();
    cred.get_token(&[SCOPE], &options).await.unwrap();
    assert_eq!(recorder.count(), 2, "claims bypass the cache");
    let form = recorder.last().form;
    assert_eq!(
        form.get("claims").map(String::as_str),
        Some(r#"{"access_token":{"nbf":{"essential":true}}}"#)
    );
    let cae = TokenRequestOptions::default().with_cae(true);
    cred.get_token(&[SCOPE], &cae).await.unwrap();
    let claims: serde_json::Value = serde_json::from_str(&recorder.last().form["claims"]).unwrap();
    assert_eq!(claims["access_token"]["xms_cc"]["values"][0], "cp1");
}

#[tokio::test]
async fn second_call_is_cached_other_scopes_and_tenants_are_not() {
    let mut server = mockito::Server::new_async().await;
    let (_m1, own) = token_mock(&mut server, TOKEN_PATH, "tok-own").await;
    let (_m2, other) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "tok-other").await;
    let (cred, _clock) = credential_allowing(&server, Env::empty(), &["fabrikam"]);
    let none = TokenRequestOptions::default();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    let again = cred.get_token(&[SCOPE], &none).await.unwrap();
    assert_eq!(again.token.expose_secret(), "tok-own");
    assert_eq!(own.count(), 1, "the second call is served from the cache");

    cred.get_token(&["https://storage.azure.com/.default"], &none)
        .await
        .unwrap();
    assert_eq!(own.count(), 2, "other scopes need a request");

    let fabrikam = for_tenant("fabrikam");
    let token = cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(token.token.expose_secret(), "tok-other");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(other.count(), 1);
    assert_eq!(other.last().path, "/fabrikam/oauth2/v2.0/token");
}

#[tokio::test]
async fn expired_token_is_fetched_again() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (cred, clock) = credential_allowing(&server, Env::empty(), &[]);
    fetch_token(&cred).await;
    clock.advance(Duration::hours(2));
    fetch_token(&cred).await;
    assert_eq!(recorder.count(), 2);
}

/// A credential whose token (valid 1 h) is 56 min old: inside the refresh
/// window, still valid. On a current-thread runtime a spawned refresh
/// cannot run before the caller's `get_token` returns.
async fn stale_token_refreshes(background: bool) -> usize {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (ctx, clock) = context(Env::empty());
    let cred = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_authority_host(server.url())
        .with_context(ctx)
        .with_background_refresh(background)
        .build()
        .unwrap();
    fetch_token(&cred).await;
    clock.advance(Duration::minutes(56));
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok");
    recorder.count()
}

#[tokio::test(flavor = "current_thread")]
async fn without_background_refresh_the_caller_refreshes_a_stale_token_inline() {
    assert_eq!(
        stale_token_refreshes(false).await,
        2,
        "the caller that found the token stale fetched a new one itself"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn with_background_refresh_the_caller_gets_the_stale_token_at_once() {
    assert_eq!(
        stale_token_refreshes(true).await,
        1,
        "the refresh was left to a spawned task that has not run yet"
    );
}

#[tokio::test]
async fn tenant_not_allowed_is_an_authentication_error_without_request() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let cred = credential(&server, Env::empty());
    let options = for_tenant("fabrikam");
    let err = cred.get_token(&[SCOPE], &options).await.unwrap_err();
    assert_authentication(&err, "ClientSecretCredential");
    let text = err.to_string();
    assert!(
        text.contains("fabrikam") && text.contains("allowed"),
        "{text}"
    );
    assert_eq!(recorder.count(), 0);

    let bad = for_tenant("bad/tenant");
    let err = cred.get_token(&[SCOPE], &bad).await.unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn wildcard_allows_any_tenant_and_own_tenant_is_always_allowed() {
    let mut server = mockito::Server::new_async().await;
    let (_m1, own) = token_mock(&mut server, TOKEN_PATH, "a").await;
    let (_m2, any) = token_mock(&mut server, "/anything/oauth2/v2.0/token", "b").await;
    let (cred, _clock) = credential_allowing(&server, Env::empty(), &["x", "*"]);
    for tenant in ["anything", TENANT] {
        let options = for_tenant(tenant);
        let result = cred.get_token(&[SCOPE], &options).await;
        assert!(result.is_ok(), "tenant {tenant}: {result:?}");
    }
    assert_eq!((own.count(), any.count()), (1, 1));
}

#[tokio::test]
async fn disable_multitenant_auth_pins_configured_tenant() {
    let mut server = mockito::Server::new_async().await;
    let (_m, own) = token_mock(&mut server, TOKEN_PATH, "a").await;
    let cred = credential(
        &server,
        Env::from_pairs([("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "1")]),
    );
    let fabrikam = for_tenant("fabrikam");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(own.last().path, TOKEN_PATH);
}

#[tokio::test]
async fn entra_error_keeps_aadsts_code_and_hides_secret() {
    let (server, _m) = entra_error_server(
        401,
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[7000215],"timestamp":"2030-01-01 00:00:00Z","trace_id":"t","correlation_id":"c"}"#,
    )
    .await;
    let cred = credential(&server, Env::empty());
    let err = fetch_error(&cred).await;
    let CredentialError::Authentication {
        credential,
        status,
        oauth_error,
        error_code,
        description,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*credential, "ClientSecretCredential");
    assert_eq!(status.map(u16::from), Some(401));
    assert_eq!(oauth_error.as_deref(), Some("invalid_client"));
    assert_eq!(error_code.as_deref(), Some("AADSTS7000215"));
    assert!(description.starts_with("AADSTS7000215: Invalid client secret provided."));
    assert_eq!(err.correlation_id(), Some("c"));
    assert_eq!(err.trace_id(), Some("t"));
    assert_eq!(err.timestamp(), Some("2030-01-01 00:00:00Z"));
    // The message ends with the next step, naming what to check.
    let text = err.to_string();
    assert!(
        text.ends_with(
            "Next step: check the client secret given to ClientSecretCredential: it must be the \
             secret's value (not its id) and not expired; create a new secret under the app \
             registration's Certificates & secrets if needed"
        ),
        "{text}"
    );
    assert!(!err.is_transient() && !err.is_unavailable());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("grant_type"), "no request body: {shown}");
}

/// A credential answered by `http`, from `env`, with `configure` applied to
/// its builder.
fn scripted_credential_with(
    http: Arc<ScriptedHttp>,
    env: Env,
    configure: impl FnOnce(ClientSecretCredentialBuilder) -> ClientSecretCredentialBuilder,
) -> ClientSecretCredential {
    let (ctx, _clock) = scripted_context(env, http);
    configure(ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET))
        .with_context(ctx)
        .build()
        .unwrap()
}

fn scripted_credential(http: Arc<ScriptedHttp>) -> ClientSecretCredential {
    scripted_credential_with(http, Env::empty(), |builder| builder)
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_then_transient_transport() {
    let http = ScriptedHttp::new();
    for _ in 0..4 {
        http.push_status(503, r#"{"error":"temporarily_unavailable"}"#);
    }
    let err = fetch_error(&scripted_credential(http.clone())).await;
    assert_transient_transport(
        &err,
        TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE),
    );
    assert_eq!(err.credential(), "ClientSecretCredential");
    assert_eq!(http.count(), 4, "one try and three retries");
}

#[tokio::test(start_paused = true)]
async fn a_blip_is_retried_to_success() {
    let http = ScriptedHttp::new();
    http.push_status(500, "");
    http.push_timeout();
    http.push_status(200, &token_body("after-retry", 3600));
    let token = fetch_token(&scripted_credential(http.clone())).await;
    assert_eq!(token.token.expose_secret(), "after-retry");
    assert_eq!(http.count(), 3);
    assert_eq!(
        http.urls()[0],
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_exhaust_into_transient_transport() {
    let http = ScriptedHttp::new();
    for _ in 0..2 {
        http.push_timeout();
    }
    let cred = scripted_credential_with(http.clone(), Env::empty(), |builder| {
        builder.with_retry_policy(RetryPolicy::default().with_max_retries(1))
    });
    let err = fetch_error(&cred).await;
    assert_transient_transport(&err, TransportErrorKind::Timeout);
    assert_eq!(http.count(), 2);
}

#[tokio::test]
async fn sovereign_cloud_from_option_and_environment() {
    let http = ScriptedHttp::new();
    http.push_status(200, &token_body("a", 3600));
    http.push_status(200, &token_body("b", 3600));
    let cred = scripted_credential_with(http.clone(), Env::empty(), |builder| {
        builder.with_authority_host(credential_core::__private::entra::AZURE_US_GOVERNMENT)
    });
    fetch_token(&cred).await;
    let env = Env::from_pairs([("AZURE_AUTHORITY_HOST", "login.chinacloudapi.cn/")]);
    fetch_token(&scripted_credential_with(http.clone(), env, |builder| {
        builder
    }))
    .await;
    assert_eq!(
        http.urls(),
        [
            "https://login.microsoftonline.us/contoso/oauth2/v2.0/token",
            "https://login.chinacloudapi.cn/contoso/oauth2/v2.0/token"
        ]
    );
}

fn build_error(
    tenant: &str,
    client: &str,
    secret: &str,
    authority: Option<&str>,
) -> CredentialError {
    let mut builder = ClientSecretCredential::builder(tenant, client, secret)
        .with_context(credential_core::ProviderContext::isolated());
    if let Some(authority) = authority {
        builder = builder.with_authority_host(authority);
    }
    builder.build().unwrap_err()
}

#[test]
fn bad_configuration_is_refused_clearly() {
    let cases = [
        (
            build_error("", CLIENT_ID, SECRET, None),
            "tenant id is blank",
        ),
        (
            build_error("  ", CLIENT_ID, SECRET, None),
            "tenant id is blank",
        ),
        (
            build_error("con/toso", CLIENT_ID, SECRET, None),
            "invalid tenant id",
        ),
        (build_error(TENANT, " ", SECRET, None), "client id is blank"),
        (
            build_error(TENANT, CLIENT_ID, "", None),
            "client secret is blank",
        ),
        (
            build_error(TENANT, CLIENT_ID, SECRET, Some("http://login.example.com")),
            "must use https",
        ),
    ];
    for (err, expected) in cases {
        assert_invalid_configuration(&err, "ClientSecretCredential");
        assert!(
            err.to_string().contains(expected),
            "{err} should say {expected}"
        );
        assert!(!err.to_string().contains(SECRET));
    }
}

#[tokio::test]
async fn blank_scopes_are_refused() {
    let cred = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_context(credential_core::ProviderContext::isolated())
        .build()
        .unwrap();
    let err = cred
        .get_token(&[], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scope"), "{err}");
}

#[test]
fn debug_never_shows_the_secret() {
    let builder = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_context(credential_core::ProviderContext::isolated());
    let builder_debug = format!("{builder:?}");
    let cred = builder.build().unwrap();
    let debug = format!("{cred:?} {cred:#?}");
    assert!(!debug.contains(SECRET) && !builder_debug.contains(SECRET));
    assert!(debug.contains(CLIENT_ID) && debug.contains("ClientSecretCredential"));
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_show_secret_or_token() {
    let logs = credential_core::test_util::LogCapture::start();
    let mut server = mockito::Server::new_async().await;
    let (_m, _r) = token_mock(&mut server, TOKEN_PATH, "logged-token-value").await;
    fetch_token(&credential(&server, Env::empty())).await;
    logs.assert_absent(&[SECRET, "logged-token-value"]);
}

#[tokio::test(start_paused = true)]
async fn every_try_carries_the_per_try_timeout() {
    // Default: 30 s on each try.
    let http = ScriptedHttp::new();
    http.push_status(200, &token_body("t", 3600));
    fetch_token(&scripted_credential(http.clone())).await;
    assert_eq!(http.timeouts(), [Some(std::time::Duration::from_secs(30))]);

    // Configured: the same value on the first try and on the retry.
    let http = ScriptedHttp::new();
    http.push_timeout();
    http.push_status(200, &token_body("t", 3600));
    let configured = std::time::Duration::from_millis(2500);
    let cred = scripted_credential_with(http.clone(), Env::empty(), |builder| {
        builder.with_request_timeout(configured)
    });
    fetch_token(&cred).await;
    assert_eq!(http.timeouts(), [Some(configured), Some(configured)]);
}

#[test]
fn a_zero_request_timeout_is_refused_at_build() {
    let err = ClientSecretCredential::builder(TENANT, CLIENT_ID, SECRET)
        .with_request_timeout(std::time::Duration::ZERO)
        .with_context(ProviderContext::isolated())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("with_request_timeout"), "{err}");
    assert!(!err.to_string().contains(SECRET), "{err}");
}

/// A credential for `client_id` against `server` with a persistent cache in
/// `store` (a new one per call, as in a new process).
fn persisted(
    server: &mockito::ServerGuard,
    store: &credential_core::MemoryCacheStore,
    client_id: &str,
) -> ClientSecretCredential {
    let cache = credential_core::PersistentTokenCache::new("test", Arc::new(store.clone()));
    ClientSecretCredential::builder(TENANT, client_id, SECRET)
        .with_authority_host(server.url())
        .with_context(context(Env::empty()).0)
        .with_persistent_token_cache(cache)
        .build()
        .unwrap()
}

#[tokio::test]
async fn persistent_cache_is_shared_by_new_credentials_of_one_client_only() {
    let mut server = mockito::Server::new_async().await;
    let (_mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok-1").await;
    let store = credential_core::MemoryCacheStore::new();
    fetch_token(&persisted(&server, &store, CLIENT_ID)).await;
    let second = fetch_token(&persisted(&server, &store, CLIENT_ID)).await;
    assert_eq!(second.token.expose_secret(), "tok-1");
    assert_eq!(
        recorder.count(),
        1,
        "the second credential requested a token"
    );
    fetch_token(&persisted(&server, &store, "another-client")).await;
    assert_eq!(
        recorder.count(),
        2,
        "another client id used the first one's token"
    );
    // Only access tokens are stored: never the client secret.
    for key in store.keys() {
        let entry = credential_core::CacheStore::load(&store, &key)
            .await
            .unwrap()
            .unwrap();
        assert!(!entry.expose_secret().contains(SECRET));
        assert!(!key.contains(SECRET));
    }
}
