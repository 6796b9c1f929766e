//! On the wire, against mockito: the challenge, one request for concurrent
//! first reads, and nothing sent for cached "not found" or during a backoff.

use keyvault_secrets::{RetryPolicy, SecretClient};
use keyvault_secrets_cache::{CacheError, SecretCache};
use mockito::{Matcher, Server, ServerGuard};

use crate::common::{credential, read_concurrently};

const LOCAL_CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://127.0.0.1""#;

async fn vault() -> (ServerGuard, SecretCache) {
    let mut server = Server::new_async().await;
    server
        .mock("GET", Matcher::Any)
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", LOCAL_CHALLENGE)
        .create_async()
        .await;
    let client = SecretClient::builder(server.url(), credential())
        .with_retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (server, SecretCache::new(client).unwrap())
}

fn secret_path(name: &str) -> Matcher {
    Matcher::Regex(format!("^/secrets/{name}/\\?api-version="))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_reads_send_one_request() {
    let (mut server, cache) = vault().await;
    let url = server.url();
    let get = server
        .mock("GET", secret_path("db"))
        .match_header("authorization", "Bearer test-token")
        .with_status(200)
        .with_body(format!(
            r#"{{"value":"hunter2","id":"{url}/secrets/db/abc","attributes":{{"enabled":true}}}}"#
        ))
        .expect(1)
        .create_async()
        .await;
    let values = read_concurrently(&cache, "db", 64).await;
    assert!(values.iter().all(|v| v == "hunter2"), "{values:?}");
    get.assert_async().await;
    let props = cache.get_properties("db").await.unwrap();
    assert_eq!(props.version.as_deref(), Some("abc"));
}

#[tokio::test]
async fn not_found_and_throttling_send_nothing_more() {
    let (mut server, cache) = vault().await;
    let missing = server
        .mock("GET", secret_path("typo"))
        .with_status(404)
        .with_body(r#"{"error":{"code":"SecretNotFound","message":"no"}}"#)
        .expect(1)
        .create_async()
        .await;
    for _ in 0..5 {
        assert!(cache.get("typo").await.unwrap_err().is_not_found());
    }
    missing.assert_async().await;

    let throttled = server
        .mock("GET", secret_path("busy"))
        .with_status(429)
        .with_body(r#"{"error":{"code":"Throttled","message":"slow down"}}"#)
        .expect(1)
        .create_async()
        .await;
    let err = cache.get("busy").await.unwrap_err();
    assert!(matches!(&err, CacheError::Vault { source, .. } if source.is_throttled()));
    for _ in 0..5 {
        let err = cache.get("busy").await.unwrap_err();
        assert!(matches!(err, CacheError::Throttled { .. }), "{err:?}");
    }
    throttled.assert_async().await;
}
