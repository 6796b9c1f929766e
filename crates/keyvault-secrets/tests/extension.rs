//! Per-call options, policies, `send_request`, the `User-Agent`, tracing
//! spans, vault URLs with a path and the plain-http opt-in, on the
//! in-memory scripted transport.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use keyvault_secrets::*;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const VAULT: &str = "https://myvault.vault.azure.net";
const BUNDLE: &str = r#"{"value":"v","id":"https://myvault.vault.azure.net/secrets/s/abc","attributes":{"enabled":true}}"#;

fn builder(http: &Scripted, cred: &Counting) -> SecretClientBuilder {
    SecretClient::builder(VAULT, cred.credential()).with_http_client(Arc::new(http.clone()))
}

#[derive(Debug)]
struct AddHeader;

#[async_trait]
impl Policy for AddHeader {
    async fn send(&self, request: &mut Request, next: Next<'_>) -> Result<HttpResponse, Error> {
        request
            .headers_mut()
            .insert("x-policy", "per-call".parse().unwrap());
        next.send(request).await
    }
}

#[derive(Debug, Default, Clone)]
struct CountTries {
    tries: Arc<AtomicUsize>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

#[async_trait]
impl Policy for CountTries {
    async fn send(&self, request: &mut Request, next: Next<'_>) -> Result<HttpResponse, Error> {
        self.tries.fetch_add(1, Ordering::SeqCst);
        assert!(request.headers().get("authorization").is_none());
        let response = next.send(request).await?;
        self.statuses.lock().unwrap().push(response.status.as_u16());
        Ok(response)
    }
}

#[tokio::test(start_paused = true)]
async fn per_call_and_per_retry_policies_see_each_call_and_each_try() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(503, &[], ""),
        response(503, &[], ""),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let per_call = CountTries::default();
    let per_retry = CountTries::default();
    let c = builder(&http, &cred)
        .with_per_call_policy(AddHeader)
        .with_per_call_policy(per_call.clone())
        .with_per_retry_policy(per_retry.clone())
        .build()
        .unwrap();
    let secret = c.get_secret("s").await.unwrap();
    assert_eq!(secret.value, "v");
    assert_eq!(per_call.tries.load(Ordering::SeqCst), 1);
    assert_eq!(*per_call.statuses.lock().unwrap(), [200]);
    assert_eq!(
        per_retry.tries.load(Ordering::SeqCst),
        3,
        "first try + 2 retries"
    );
    assert_eq!(*per_retry.statuses.lock().unwrap(), [503, 503, 200]);
    for seen in http.seen() {
        assert_eq!(seen.headers["x-policy"], "per-call");
    }
}

#[tokio::test]
async fn per_call_timeout_header_and_response_metadata() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[("x-ms-request-id", "rid-1")], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred).build().unwrap();
    let response = c
        .get_secret("s")
        .version("abc")
        .header("x-correlation", "c-42")
        .timeout(Duration::from_secs(5))
        .with_response()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.request_id(), Some("rid-1"));
    assert_eq!(response.value().value, "v");
    let seen = http.seen();
    assert_eq!(seen[1].headers["x-correlation"], "c-42");
    assert_eq!(
        seen[1].path_and_query(),
        "/secrets/s/abc?api-version=2026-04-01"
    );
    // A bad header fails the call before anything is sent.
    let err = c.get_secret("s").header("bad name", "x").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert_eq!(http.seen().len(), 2);
}

#[tokio::test]
async fn header_names_of_any_case_are_sent_and_bad_headers_are_errors() {
    use futures::StreamExt;
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred).build().unwrap();
    c.get_secret("s")
        .header("X-Correlation-ID", "c-1")
        .header("X-CORRELATION-ID", "c-2")
        .await
        .unwrap();
    let seen = http.seen();
    assert_eq!(seen[1].headers["x-correlation-id"], "c-2");
    for (name, value) in [
        ("bad name", "x"),
        ("", "x"),
        ("x-\u{e9}", "x"),
        ("x-ok", "line\nbreak"),
        ("x-ok", "\u{0}"),
    ] {
        let err = c.get_secret("s").header(name, value).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{name:?}: {err}");
        let mut pager = c.list_properties_of_secrets().header(name, value);
        let first = pager.next().await.unwrap();
        assert!(
            matches!(first, Err(Error::InvalidInput { .. })),
            "{name:?}: {first:?}"
        );
    }
    // Nothing more was sent.
    assert_eq!(http.seen().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn timeout_covers_the_retries() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(503, &[("retry-after", "30")], ""),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred).build().unwrap();
    let err = c
        .get_secret("s")
        .timeout(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: credential_core::TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(http.seen().len(), 2, "the retry after 30 s was never sent");
}

#[tokio::test]
async fn send_request_goes_through_the_pipeline() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], r#"{"value":[]}"#),
        response(404, &[], r#"{"error":{"code":"NotFound"}}"#),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred).build().unwrap();
    let response = c
        .send_request(Method::POST, "/secrets/s/custom?flag=1")
        .body(br#"{"a":1}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(&response.body[..], br#"{"value":[]}"#);
    // Any status comes back as a response.
    let missing = c.send_request(Method::GET, "keys").await.unwrap();
    assert_eq!(missing.status.as_u16(), 404);
    let seen = http.seen();
    assert!(seen[0].auth().is_none() && seen[0].body.as_deref() == Some(&b""[..]));
    assert_eq!(
        seen[1].path_and_query(),
        "/secrets/s/custom?flag=1&api-version=2026-04-01"
    );
    assert_eq!(seen[1].auth().as_deref(), Some("Bearer token-1"));
    assert_eq!(seen[1].json().unwrap()["a"], 1);
    assert_eq!(seen[2].path_and_query(), "/keys?api-version=2026-04-01");
}

#[tokio::test]
async fn user_agent_names_the_package_after_the_application_id() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred)
        .with_application_id("billing-api")
        .build()
        .unwrap();
    c.get_secret("s").await.unwrap();
    for seen in http.seen() {
        let agent = seen.headers["user-agent"].to_str().unwrap().to_owned();
        assert!(
            agent.starts_with("billing-api keyvault-secrets/0.1.0 (rust; "),
            "{agent}"
        );
    }
    let err = builder(&http, &cred)
        .with_application_id("has spaces")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("application id"), "{err}");
}

#[tokio::test]
async fn vault_url_with_a_path_keeps_it_and_verifies_the_host() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let cred = Counting::default();
    let c = SecretClient::builder(
        "https://myvault.vault.azure.net/gateway/kv-1/",
        cred.credential(),
    )
    .with_http_client(Arc::new(http.clone()))
    .build()
    .unwrap();
    c.get_secret("s").await.unwrap();
    let seen = http.seen();
    assert_eq!(
        seen[1].path_and_query(),
        "/gateway/kv-1/secrets/s/?api-version=2026-04-01"
    );
    // A gateway host the challenge resource does not cover is refused.
    let http = Scripted::new(vec![challenge_401(KV_CHALLENGE)]);
    let c = SecretClient::builder("https://gateway.example.com/kv", cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .build()
        .unwrap();
    let err = c.get_secret("s").await.unwrap_err();
    assert!(matches!(err, Error::Challenge { .. }), "{err}");
}

#[tokio::test]
async fn plain_http_to_another_host_needs_the_opt_in_and_warns() {
    let cred = Counting::default();
    let err = SecretClient::new("http://kv-emulator:8443", cred.credential()).unwrap_err();
    assert!(err.to_string().contains("with_insecure_http"), "{err}");
    let http = Scripted::new(vec![
        challenge_401(LOCAL_CHALLENGE),
        response(200, &[], BUNDLE),
    ]);
    let logs = credential_core::test_util::LogCapture::start();
    let c = SecretClient::builder("http://kv-emulator:8443", cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .with_insecure_http(true)
        .with_verify_challenge_resource(false)
        .build()
        .unwrap();
    c.get_secret("s").await.unwrap();
    c.get_secret("s").await.unwrap_err(); // script exhausted; no second warning
    let contents = logs.contents();
    assert_eq!(contents.matches("plain http").count(), 1, "{contents}");
    assert!(
        http.seen()[1]
            .url
            .as_str()
            .starts_with("http://kv-emulator:8443/")
    );
}

/// The fields of every span, as recorded (creation and later `record`s).
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<SpanFields>>>);

/// A span's name and fields.
type SpanFields = (String, HashMap<String, String>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut all = self.0.lock().unwrap();
        all.push((attrs.metadata().name().to_owned(), fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(all.len() - 1);
        }
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(index) = span.extensions().get::<usize>().copied() else {
            return;
        };
        let mut all = self.0.lock().unwrap();
        values.record(&mut Fields(&mut all[index].1));
    }
}

#[tokio::test(start_paused = true)]
async fn one_span_per_operation_with_the_otel_fields() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(503, &[], ""),
        response(200, &[("x-ms-request-id", "rid-7")], BUNDLE),
        response(
            404,
            &[("x-ms-request-id", "rid-8")],
            r#"{"error":{"code":"SecretNotFound","message":"nope"}}"#,
        ),
    ]);
    let cred = Counting::default();
    let c = builder(&http, &cred).build().unwrap();
    // Another test's thread may have registered these callsites while no
    // subscriber wanted them; make tracing ask this one again.
    tracing::callsite::rebuild_interest_cache();
    c.set_secret("s", "the-secret-value").await.unwrap();
    tracing::callsite::rebuild_interest_cache();
    c.get_secret("missing").await.unwrap_err();
    let all = spans.0.lock().unwrap().clone();
    assert_eq!(all.len(), 2, "{all:?}");
    let (name, set) = &all[0];
    assert_eq!(name, "SecretClient.set_secret");
    assert_eq!(set["az.namespace"], "Microsoft.KeyVault");
    assert_eq!(set["server.address"], "myvault.vault.azure.net");
    assert_eq!(set["server.port"], "443");
    assert_eq!(set["http.request.method"], "PUT");
    assert_eq!(set["http.response.status_code"], "200");
    assert_eq!(set["az.service_request_id"], "rid-7");
    assert_eq!(set["http.request.resend_count"], "1");
    assert!(!set.contains_key("error.type"));
    let (name, get) = &all[1];
    assert_eq!(name, "SecretClient.get_secret");
    assert_eq!(get["http.response.status_code"], "404");
    assert_eq!(get["error.type"], "404");
    assert_eq!(get["az.service_request_id"], "rid-8");
    let text = format!("{all:?}");
    assert!(!text.contains("the-secret-value") && !text.contains("token-1"));
}
