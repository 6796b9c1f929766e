//! Per-operation tests on a mockito server: the exact method, path, query
//! and body sent, the parsed result, and the 64-way concurrent first use.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;

use common::*;
use credential_core::LoopbackOnlyHttpClient;
use futures::TryStreamExt;
use keyvault_secrets::*;
use mockito::Matcher;

async fn setup(method: &str) -> (mockito::ServerGuard, Counting, SecretClient, mockito::Mock) {
    let mut server = mockito::Server::new_async().await;
    let challenge = challenge_mock(&mut server, method)
        .expect(1)
        .create_async()
        .await;
    let cred = Counting::default();
    let client = SecretClient::builder(server.url(), cred.credential())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap();
    (server, cred, client, challenge)
}

fn bundle(host: &str) -> String {
    format!(
        r#"{{"value":"v","id":"{host}/secrets/s/abc","contentType":"text/plain","tags":{{"k":"v"}},"attributes":{{"enabled":true,"exp":1798761600,"created":1,"updated":2,"recoveryLevel":"Recoverable","recoverableDays":90}}}}"#
    )
}

#[tokio::test]
async fn set_get_update_backup_restore() {
    let (mut server, cred, c, challenge) = setup("PUT").await;
    let url = server.url();
    let put = server
        .mock("PUT", "/secrets/s")
        .match_query(Matcher::UrlEncoded(
            "api-version".into(),
            "2026-04-01".into(),
        ))
        .match_header("authorization", "Bearer token-1")
        .match_body(Matcher::JsonString(
            r#"{"value":"v","tags":{"k":"v"},"attributes":{"enabled":true,"exp":1798761600}}"#
                .into(),
        ))
        .with_body(bundle(&url))
        .create_async()
        .await;
    let s = c
        .set_secret("s", "v")
        .enabled(true)
        .tags([("k".to_owned(), "v".to_owned())].into())
        .expires_on(time::OffsetDateTime::from_unix_timestamp(1798761600).unwrap())
        .await
        .unwrap();
    put.assert_async().await;
    challenge.assert_async().await;
    assert_eq!(
        s.properties.expires_on.unwrap().unix_timestamp(),
        1798761600
    );
    assert_eq!(s.properties.recoverable_days, Some(90));
    assert_eq!(s.properties.tags["k"], "v");

    let get = server
        .mock("GET", "/secrets/s/abc")
        .match_query(Matcher::Exact(
            "api-version=2026-04-01&outContentType=application%2Fx-pem-file".into(),
        ))
        .with_body(bundle(&url))
        .create_async()
        .await;
    let s = c
        .get_secret("s")
        .version("abc")
        .out_content_type("application/x-pem-file")
        .await
        .unwrap();
    get.assert_async().await;
    assert_eq!(s.properties.version.as_deref(), Some("abc"));

    let patch = server
        .mock("PATCH", "/secrets/s/")
        .match_query(Matcher::Exact("api-version=2026-04-01".into()))
        .match_body(Matcher::JsonString(
            r#"{"contentType":"text/plain","attributes":{"enabled":false}}"#.into(),
        ))
        .with_body(bundle(&url))
        .create_async()
        .await;
    let p = c
        .update_secret_properties("s")
        .content_type("text/plain")
        .enabled(false)
        .await
        .unwrap();
    patch.assert_async().await;
    assert_eq!(p.content_type.as_deref(), Some("text/plain"));

    let backup = server
        .mock("POST", "/secrets/s/backup")
        .match_query(Matcher::Exact("api-version=2026-04-01".into()))
        .with_body(r#"{"value":"AQID_-8"}"#)
        .create_async()
        .await;
    assert_eq!(
        c.backup_secret("s").await.unwrap(),
        vec![1, 2, 3, 0xff, 0xef]
    );
    backup.assert_async().await;

    let restore = server
        .mock("POST", "/secrets/restore")
        .match_query(Matcher::Exact("api-version=2026-04-01".into()))
        .match_body(Matcher::JsonString(r#"{"value":"AQID_-8"}"#.into()))
        .with_body(bundle(&url))
        .create_async()
        .await;
    c.restore_secret_backup(&[1, 2, 3, 0xff, 0xef])
        .await
        .unwrap();
    restore.assert_async().await;
    assert_eq!(cred.count(), 1);
}

#[tokio::test]
async fn get_deleted_and_list_versions_with_paging() {
    let (mut server, _cred, c, _challenge) = setup("GET").await;
    let url = server.url();
    let deleted = server
        .mock("GET", "/deletedsecrets/s")
        .match_query(Matcher::Exact("api-version=7.6".into()))
        .with_body(format!(r#"{{"recoveryId":"{url}/deletedsecrets/s","deletedDate":5,"scheduledPurgeDate":6,"id":"{url}/secrets/s/abc"}}"#))
        .create_async()
        .await;
    let c76 = SecretClient::builder(url.clone(), Counting::default().credential())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_api_version(ApiVersion::V7_6)
        .build()
        .unwrap();
    let _more_challenges = challenge_mock(&mut server, "GET").create_async().await;
    let d = c76.get_deleted_secret("s").await.unwrap();
    deleted.assert_async().await;
    assert_eq!(d.scheduled_purge_date.unwrap().unix_timestamp(), 6);

    let page1 = server
        .mock("GET", "/secrets/s/versions")
        .match_query(Matcher::Exact("api-version=2026-04-01&maxresults=2".into()))
        .with_body(format!(r#"{{"value":[],"nextLink":"{url}/secrets/s/versions?api-version=2026-04-01&maxresults=2&$skiptoken=p2"}}"#))
        .create_async()
        .await;
    let page2 = server
        .mock("GET", "/secrets/s/versions")
        .match_query(Matcher::Exact("api-version=2026-04-01&maxresults=2&$skiptoken=p2".into()))
        .with_body(format!(r#"{{"value":[{{"id":"{url}/secrets/s/v1"}},{{"id":"{url}/secrets/s/v2","managed":true}}],"nextLink":null}}"#))
        .create_async()
        .await;
    let items: Vec<SecretProperties> = c
        .list_properties_of_secret_versions("s")
        .max_page_size(2)
        .try_collect()
        .await
        .unwrap();
    page1.assert_async().await;
    page2.assert_async().await;
    let versions: Vec<_> = items.iter().map(|p| p.version.clone().unwrap()).collect();
    assert_eq!(versions, ["v1", "v2"]);
    assert_eq!(items[1].managed, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_first_operations_share_one_challenge_and_token() {
    let (mut server, cred, c, challenge) = setup("GET").await;
    let url = server.url();
    let get = server
        .mock("GET", "/secrets/s/")
        .match_header("authorization", "Bearer token-1")
        .match_query(Matcher::Any)
        .with_body(bundle(&url))
        .expect(64)
        .create_async()
        .await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_secret("s").await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    challenge.assert_async().await; // exactly one unauthenticated request
    get.assert_async().await;
    assert_eq!(cred.count(), 1, "one token request");
}

#[derive(Debug)]
struct TenantHeader;

#[async_trait]
impl Policy for TenantHeader {
    async fn send(&self, request: &mut Request, next: Next<'_>) -> Result<HttpResponse, Error> {
        request
            .headers_mut()
            .insert("x-tenant", "contoso".parse().unwrap());
        next.send(request).await
    }
}

/// An authorized GET of `path` carrying the policy's header.
fn authorized_get(server: &mut mockito::ServerGuard, path: &str) -> mockito::Mock {
    server
        .mock("GET", path)
        .match_query(Matcher::UrlEncoded(
            "api-version".into(),
            "2026-04-01".into(),
        ))
        .match_header("authorization", "Bearer token-1")
        .match_header("x-tenant", "contoso")
}

#[tokio::test]
async fn policies_user_agent_headers_and_raw_requests_over_http() {
    let mut server = mockito::Server::new_async().await;
    let url = server.url();
    let _challenge = challenge_mock(&mut server, "GET").create_async().await;
    let get = authorized_get(&mut server, "/kv/secrets/s/")
        .match_header("x-correlation", "c-1")
        .match_header(
            "user-agent",
            Matcher::Regex(r"^billing-api keyvault-secrets/0\.1\.0 \(rust; ".into()),
        )
        .with_header("x-ms-request-id", "rid-9")
        .with_body(bundle(&url))
        .create_async()
        .await;
    let raw = authorized_get(&mut server, "/kv/keys")
        .with_status(403)
        .create_async()
        .await;
    let cred = Counting::default();
    let c = SecretClient::builder(format!("{url}/kv"), cred.credential())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_application_id("billing-api")
        .with_per_call_policy(TenantHeader)
        .build()
        .unwrap();
    let response = c
        .get_secret("s")
        .header("x-correlation", "c-1")
        .with_response()
        .await
        .unwrap();
    assert_eq!(response.request_id(), Some("rid-9"));
    assert_eq!(response.into_value().value, "v");
    let forbidden = c.send_request(Method::GET, "keys").await.unwrap();
    assert_eq!(forbidden.status.as_u16(), 403);
    get.assert_async().await;
    raw.assert_async().await;
}

#[tokio::test]
async fn error_helpers_answer_from_the_service_status() {
    let mut server = mockito::Server::new_async().await;
    let _challenge = server
        .mock("GET", Matcher::Any)
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", LOCAL_CHALLENGE)
        .create_async()
        .await;
    let cases = [
        (404_u16, "SecretNotFound", "missing"),
        (403, "Forbidden", "forbidden"),
        (409, "Conflict", "conflict"),
        (429, "Throttled", "throttled"),
    ];
    for (status, code, name) in cases {
        server
            .mock("GET", format!("/secrets/{name}/").as_str())
            .match_query(Matcher::Any)
            .match_header("authorization", "Bearer token-1")
            .with_status(usize::from(status))
            .with_header("x-ms-request-id", &format!("rid-{status}"))
            .with_body(format!(
                r#"{{"error":{{"code":"{code}","message":"the {name} message"}}}}"#
            ))
            .create_async()
            .await;
    }
    let cred = Counting::default();
    let client = SecretClient::builder(server.url(), cred.credential())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .with_retry_policy(RetryPolicy::default().with_max_retries(0))
        .build()
        .unwrap();
    for (status, code, name) in cases {
        let err = client.get_secret(name).await.unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(status), "{err}");
        assert_eq!(err.error_code(), Some(code));
        let request_id = format!("rid-{status}");
        assert_eq!(err.request_id(), Some(request_id.as_str()));
        let message = format!("the {name} message");
        assert_eq!(err.as_service().unwrap().message(), Some(message.as_str()));
        assert_eq!(err.is_not_found(), status == 404, "{err}");
        assert_eq!(err.is_forbidden(), status == 403, "{err}");
        assert_eq!(err.is_conflict(), status == 409, "{err}");
        assert_eq!(err.is_throttled(), status == 429, "{err}");
        // The code, message and request id are each shown once.
        let text = format!("{:#}", anyhow::Error::from(err));
        for part in [code, &request_id, &message] {
            assert_eq!(text.matches(part).count(), 1, "{part} in {text}");
        }
    }
}
