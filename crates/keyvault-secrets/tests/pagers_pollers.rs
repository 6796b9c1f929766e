//! Pagers (pages, continuation tokens, resume after a failure) and the
//! poller (resume tokens, interval, timeout), on the scripted transport.
#![allow(clippy::unwrap_used)]

use crate::common;
use keyvault_secrets::StatusCode;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures::{StreamExt, TryStreamExt};
use keyvault_secrets::*;

const VAULT: &str = "https://myvault.vault.azure.net";
const DELETED: &str = r#"{"recoveryId":"https://myvault.vault.azure.net/deletedsecrets/s","deletedDate":1774470964,"id":"https://myvault.vault.azure.net/secrets/s/abc","attributes":{"enabled":true}}"#;

fn client(http: &Scripted, cred: &Counting) -> SecretClient {
    SecretClient::builder(VAULT, cred.credential())
        .with_http_client(Arc::new(http.clone()))
        .with_retry_policy(RetryPolicy::default().with_max_retries(0))
        .with_poll_interval(Duration::from_secs(1))
        .build()
        .unwrap()
}

fn page(names: &[&str], next: Option<&str>) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"id":"{VAULT}/secrets/{n}"}}"#))
        .collect();
    let next = match next {
        Some(token) => format!(r#""{VAULT}/secrets?api-version=2026-04-01&$skiptoken={token}""#),
        None => "null".to_owned(),
    };
    format!(r#"{{"value":[{}],"nextLink":{next}}}"#, items.join(","))
}

fn names(items: &[SecretProperties]) -> Vec<String> {
    items.iter().map(|p| p.name.clone()).collect()
}

#[tokio::test]
async fn pager_is_an_unpin_stream_of_items() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], &page(&["a"], Some("t2"))),
        response(200, &[], &page(&[], Some("t3"))),
        response(200, &[], &page(&["b", "c"], None)),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut pager = c.list_properties_of_secrets().max_page_size(5);
    let mut seen = Vec::new();
    while let Some(p) = pager.try_next().await.unwrap() {
        seen.push(p.name);
    }
    assert_eq!(seen, ["a", "b", "c"]);
    assert_eq!(
        http.seen()[1].path_and_query(),
        "/secrets?api-version=2026-04-01&maxresults=5"
    );
    let err = c
        .list_properties_of_secrets()
        .max_page_size(26)
        .try_next()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("between 1 and 25"), "{err}");
}

#[tokio::test]
async fn pages_carry_their_continuation_token_and_a_listing_starts_from_one() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], &page(&["a"], Some("t2"))),
        response(200, &[], &page(&["b"], None)),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut pages = c.list_properties_of_secrets().into_pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(names(&first.items), ["a"]);
    let token = first.continuation_token.unwrap();
    assert!(token.ends_with("$skiptoken=t2"), "{token}");
    drop(pages);
    // Another pager (or process) goes on from the token.
    let rest: Vec<SecretProperties> = c
        .list_properties_of_secrets()
        .continuation_token(token)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["b"]);
    assert_eq!(
        http.seen()[2].path_and_query(),
        "/secrets?api-version=2026-04-01&$skiptoken=t2"
    );
    // A token for another origin is refused before anything is sent.
    let err = c
        .list_properties_of_secrets()
        .continuation_token("https://evil.example/secrets?$skiptoken=x")
        .try_next()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("points away"), "{err}");
    assert_eq!(http.seen().len(), 3);
}

#[tokio::test]
async fn a_failed_page_resumes_from_the_last_good_token() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], &page(&["a"], Some("t2"))),
        response(500, &[], r#"{"error":{"code":"InternalError"}}"#),
        response(200, &[], &page(&["b"], None)),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut pager = c.list_properties_of_secrets();
    assert_eq!(pager.try_next().await.unwrap().unwrap().name, "a");
    assert_eq!(
        pager.resume_token(),
        Some(format!(
            "{VAULT}/secrets?api-version=2026-04-01&$skiptoken=t2"
        ))
    );
    let err = pager.try_next().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    // The stream ended after the error.
    assert!(pager.next().await.is_none());
    assert!(pager.resume_token().unwrap().ends_with("t2"));
    assert!(pager.resume());
    let rest: Vec<SecretProperties> = pager.try_collect().await.unwrap();
    assert_eq!(names(&rest), ["b"], "a is not read again");
    let paths: Vec<String> = http.seen().iter().map(|s| s.path_and_query()).collect();
    assert_eq!(paths[2], paths[3], "the failed page was fetched again");
}

#[tokio::test(start_paused = true)]
async fn delete_poller_resumes_from_its_token() {
    let not_found = r#"{"error":{"code":"SecretNotFound","message":"x"}}"#;
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], DELETED),
        response(404, &[], not_found),
        response(404, &[], not_found),
        response(200, &[], DELETED),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut poller = c.begin_delete_secret("s").await.unwrap();
    assert!(!poller.poll().await.unwrap());
    let token = poller.resume_token();
    assert!(!token.contains("token-1"));
    drop(poller);
    // As after a restart: no result until a poll reads one.
    let resumed = c.resume_delete_secret(&token).unwrap();
    assert!(resumed.result().is_none() && !resumed.is_done());
    let start = tokio::time::Instant::now();
    let deleted = resumed.interval(Duration::from_secs(3)).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(deleted.properties.name, "s");
    // A token resumes only its own operation, on its own vault.
    let err = c.resume_recover_deleted_secret(&token).unwrap_err();
    assert!(err.to_string().contains("resume_delete_secret"), "{err}");
    let other = SecretClient::new("https://other.vault.azure.net", cred.credential()).unwrap();
    assert!(other.resume_delete_secret(&token).is_err());
    assert!(c.resume_delete_secret("not a token").is_err());
}

#[tokio::test(start_paused = true)]
async fn poller_timeout_ends_the_wait() {
    let not_found = || {
        response(
            404,
            &[],
            r#"{"error":{"code":"SecretNotFound","message":"x"}}"#,
        )
    };
    let mut script = vec![challenge_401(KV_CHALLENGE), response(200, &[], DELETED)];
    script.extend((0..20).map(|_| not_found()));
    let http = Scripted::new(script);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let poller = c.begin_delete_secret("s").await.unwrap();
    let start = tokio::time::Instant::now();
    let err = poller
        .interval(Duration::from_secs(2))
        .timeout(Duration::from_secs(7))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert!(err.to_string().contains("timeout"), "{err}");
    // Polls at 0, 2, 4 and 6 s.
    assert_eq!(http.seen().len(), 2 + 4);
}

/// A poll that fails for another reason than 404 or 403 returns the error
/// and leaves the operation in progress; a resumed poller (no result yet)
/// that reads a 403 is done, and its wait returns that 403.
#[tokio::test(start_paused = true)]
async fn poll_errors_are_returned_and_a_resumed_poller_reports_403() {
    let http = Scripted::new(vec![
        challenge_401(KV_CHALLENGE),
        response(200, &[], DELETED),
        response(
            500,
            &[],
            r#"{"error":{"code":"InternalError","message":"x"}}"#,
        ),
        response(
            403,
            &[],
            r#"{"error":{"code":"Forbidden","message":"no get"}}"#,
        ),
    ]);
    let cred = Counting::default();
    let c = client(&http, &cred);
    let mut poller = c.begin_delete_secret("s").await.unwrap();
    assert_eq!(poller.name(), "s");
    let err = poller.poll().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(!poller.is_done());
    let resumed = c.resume_delete_secret(&poller.resume_token()).unwrap();
    assert_eq!(resumed.name(), "s");
    let err = resumed.wait().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(http.seen().len(), 4);
}
