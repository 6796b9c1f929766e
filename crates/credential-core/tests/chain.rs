//! ChainedTokenCredential behaviour.

#![allow(clippy::unwrap_used)]

use credential_core::StatusCode;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_core::{
    AccessToken, ChainedTokenCredential, CredentialError, FnCredential, TokenCredential,
    TokenRequestOptions, token_credential_fn,
};
use time::OffsetDateTime;

fn counting(
    name: &'static str,
    calls: &Arc<AtomicUsize>,
    result: fn(&'static str) -> Result<AccessToken, CredentialError>,
) -> FnCredential {
    let calls = Arc::clone(calls);
    token_credential_fn(name, move |_, _| {
        calls.fetch_add(1, Ordering::SeqCst);
        let result = result(name);
        async move { result }
    })
}

fn unavailable(name: &'static str) -> Result<AccessToken, CredentialError> {
    Err(CredentialError::unavailable(name, "not configured here"))
}

fn denied(name: &'static str) -> Result<AccessToken, CredentialError> {
    Err(CredentialError::refused(
        name,
        Some(StatusCode::UNAUTHORIZED),
        "Invalid client secret provided.",
    )
    .with_codes(Some("invalid_client".into()), Some("AADSTS7000215".into())))
}

fn ok(name: &'static str) -> Result<AccessToken, CredentialError> {
    Ok(AccessToken::new(
        format!("token-from-{name}"),
        OffsetDateTime::UNIX_EPOCH,
    ))
}

async fn get(chain: &ChainedTokenCredential) -> Result<AccessToken, CredentialError> {
    chain
        .get_token(&["scope"], &TokenRequestOptions::default())
        .await
}

#[tokio::test]
async fn unavailable_links_are_skipped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let chain = ChainedTokenCredential::builder()
        .with_credential("A", counting("A", &calls, unavailable))
        .with_credential("B", counting("B", &calls, unavailable))
        .with_credential("C", counting("C", &calls, ok))
        .build()
        .unwrap();
    let token = get(&chain).await.unwrap();
    assert_eq!(token.token.expose_secret(), "token-from-C");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn other_errors_stop_the_chain_and_become_the_source() {
    let calls = Arc::new(AtomicUsize::new(0));
    let after = Arc::new(AtomicUsize::new(0));
    let chain = ChainedTokenCredential::builder()
        .with_credential("A", counting("A", &calls, unavailable))
        .with_credential("B", counting("B", &calls, denied))
        .with_credential("C", counting("C", &after, ok))
        .build()
        .unwrap();
    let err = get(&chain).await.unwrap_err();
    assert_eq!(after.load(Ordering::SeqCst), 0, "C must not run");
    assert!(!err.is_unavailable());
    let CredentialError::ChainFailed { attempts, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(attempts.len(), 2);
    let source = err.source().expect("the stopping error is the source");
    assert!(source.to_string().contains("AADSTS7000215"), "{source}");
}

#[tokio::test]
async fn aggregate_message_names_every_attempt_in_order() {
    let calls = Arc::new(AtomicUsize::new(0));
    let chain = ChainedTokenCredential::builder()
        .with_name("MyChain")
        .with_credential(
            "EnvironmentCredential",
            counting("EnvironmentCredential", &calls, unavailable),
        )
        .with_credential(
            "ManagedIdentityCredential",
            counting("ManagedIdentityCredential", &calls, unavailable),
        )
        .with_credential(
            "AzureCliCredential",
            counting("AzureCliCredential", &calls, unavailable),
        )
        .with_help("Sign in with `az login`.")
        .build()
        .unwrap();
    let err = get(&chain).await.unwrap_err();
    assert!(
        err.is_unavailable(),
        "every link unavailable: the chain is unavailable"
    );
    assert!(err.source().is_none());
    let message = err.to_string();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines,
        [
            "MyChain failed to get a token. Attempts, in order:",
            "  1. EnvironmentCredential is unavailable: not configured here",
            "  2. ManagedIdentityCredential is unavailable: not configured here",
            "  3. AzureCliCredential is unavailable: not configured here",
            "Sign in with `az login`.",
        ]
    );
}

#[tokio::test]
async fn sticky_chain_calls_only_the_credential_that_worked() {
    let first = Arc::new(AtomicUsize::new(0));
    let second = Arc::new(AtomicUsize::new(0));
    let chain = ChainedTokenCredential::builder()
        .with_sticky(true)
        .with_credential("A", counting("A", &first, unavailable))
        .with_credential("B", counting("B", &second, ok))
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            get(&chain).await.unwrap().token.expose_secret(),
            "token-from-B"
        );
    }
    assert_eq!(
        first.load(Ordering::SeqCst),
        1,
        "A tried once, before B won"
    );
    assert_eq!(second.load(Ordering::SeqCst), 3);
    assert_eq!(chain.selected(), Some("B"));
}

#[tokio::test]
async fn non_sticky_chain_walks_every_time() {
    let first = Arc::new(AtomicUsize::new(0));
    let second = Arc::new(AtomicUsize::new(0));
    let chain = ChainedTokenCredential::builder()
        .with_credential("A", counting("A", &first, unavailable))
        .with_credential("B", counting("B", &second, ok))
        .build()
        .unwrap();
    for _ in 0..3 {
        get(&chain).await.unwrap();
    }
    assert_eq!(first.load(Ordering::SeqCst), 3);
    assert_eq!(chain.selected(), None);
}

#[test]
fn an_empty_chain_is_refused_at_build() {
    let err = ChainedTokenCredential::builder().build().unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("with_credential"), "{err}");
}

#[tokio::test]
async fn chains_nest() {
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = ChainedTokenCredential::builder()
        .with_name("Inner")
        .with_credential("A", counting("A", &calls, unavailable))
        .build()
        .unwrap();
    let outer = ChainedTokenCredential::builder()
        .with_credential("Inner", inner)
        .with_credential("B", counting("B", &calls, ok))
        .build()
        .unwrap();
    assert_eq!(
        get(&outer).await.unwrap().token.expose_secret(),
        "token-from-B"
    );
}

#[tokio::test]
async fn arc_and_box_are_credentials() {
    let calls = Arc::new(AtomicUsize::new(0));
    let shared: Arc<dyn TokenCredential> = Arc::new(counting("A", &calls, ok));
    let boxed: Box<dyn TokenCredential> = Box::new(counting("A", &calls, ok));
    let options = TokenRequestOptions::default();
    assert!(shared.get_token(&["s"], &options).await.is_ok());
    assert!(boxed.get_token(&["s"], &options).await.is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn scripted_http_client_records_and_answers() {
    use credential_core::test_util::ScriptedHttpClient;
    use credential_core::{HttpClient, HttpRequest, Method, TransportErrorKind};
    let http = ScriptedHttpClient::new();
    http.push_response(429, &[("retry-after", "1")], "{}")
        .push_error(TransportErrorKind::Timeout);
    let url = url::Url::parse("http://127.0.0.1:1/x").unwrap();
    let first = http
        .send(HttpRequest::new(Method::GET, url.clone()))
        .await
        .unwrap();
    assert_eq!(first.status.as_u16(), 429);
    assert_eq!(first.header("retry-after"), Some("1"));
    let second = http
        .send(HttpRequest::new(Method::POST, url.clone()))
        .await
        .unwrap_err();
    assert_eq!(second.kind, TransportErrorKind::Timeout);
    let third = http
        .send(HttpRequest::new(Method::GET, url))
        .await
        .unwrap_err();
    assert_eq!(third.kind, TransportErrorKind::Connect);
    let methods: Vec<Method> = http.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, [Method::GET, Method::POST, Method::GET]);
}

#[tokio::test]
async fn names_and_debug_show_the_sources_and_the_selection() {
    let calls = Arc::new(AtomicUsize::new(0));
    let shared: Arc<dyn TokenCredential> = Arc::new(counting("B", &calls, ok));
    let chain = ChainedTokenCredential::builder()
        .with_name("MyChain")
        .with_sticky(true)
        .with_credential("A", counting("A", &calls, unavailable))
        .with_credential("B", shared)
        .build()
        .unwrap();
    assert_eq!(chain.source_names().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(
        format!("{chain:?}"),
        r#"ChainedTokenCredential { name: "MyChain", sources: ["A", "B"], sticky: true, selected: None }"#
    );
    assert_eq!(
        get(&chain).await.unwrap().token.expose_secret(),
        "token-from-B"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(format!("{chain:?}").ends_with(r#"selected: Some("B") }"#));
}
