//! AzurePipelinesCredential: the OIDC request to Azure DevOps, the
//! assertion it yields at Entra ID, and its errors.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use credential_core::{CredentialError, Env};
use credential_env::AzurePipelinesCredential;
use mockito::Matcher;

const CONNECTION: &str = "sc-0000-1111";
const ACCESS_TOKEN: &str = "system-access-token-do-not-show";
const OIDC_PATH: &str = "/contoso/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken";

fn credential(server: &mockito::ServerGuard) -> AzurePipelinesCredential {
    let (ctx, _clock) = context(Env::from_pairs([(
        "SYSTEM_OIDCREQUESTURI",
        format!("{}{OIDC_PATH}", server.url()),
    )]));
    AzurePipelinesCredential::builder(TENANT, CLIENT_ID, CONNECTION, ACCESS_TOKEN)
        .with_authority_host(server.url())
        .with_context(ctx)
        .build()
        .unwrap()
}

async fn oidc_mock(
    server: &mut mockito::ServerGuard,
    status: usize,
    content_type: &str,
    body: &str,
) -> mockito::Mock {
    server
        .mock("POST", OIDC_PATH)
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), "7.1".into()),
            Matcher::UrlEncoded("serviceConnectionId".into(), CONNECTION.into()),
        ]))
        .match_header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str())
        .match_header("x-tfs-fedauthredirect", "Suppress")
        .match_header("content-type", "application/json")
        .with_status(status)
        .with_header("content-type", content_type)
        .with_header("x-vss-e2eid", "e2e-42")
        .with_body(body)
        .create_async()
        .await
}

#[tokio::test]
async fn oidc_token_becomes_the_client_assertion() {
    let mut server = mockito::Server::new_async().await;
    let oidc = oidc_mock(
        &mut server,
        200,
        "application/json",
        r#"{"oidcToken":"federated-oidc-token"}"#,
    )
    .await
    .expect(1);
    let (token_mock, recorder) = token_mock(&mut server, TOKEN_PATH, "entra-token").await;
    let cred = credential(&server);
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "entra-token");
    // Cached: no second OIDC request.
    fetch_token(&cred).await;
    oidc.assert_async().await;
    token_mock.assert_async().await;
    assert_assertion_post(&recorder.last(), "federated-oidc-token");
    let debug = format!("{cred:?}");
    assert!(!debug.contains(ACCESS_TOKEN), "{debug}");
    assert!(debug.contains(CONNECTION), "{debug}");
}

#[tokio::test]
async fn sign_in_page_gets_a_clear_message() {
    let mut server = mockito::Server::new_async().await;
    let _oidc = oidc_mock(
        &mut server,
        200,
        "text/html; charset=utf-8",
        "<html><title>Azure DevOps Services | Sign In</title></html>",
    )
    .await;
    let (_t, recorder) = token_mock(&mut server, TOKEN_PATH, "never").await;
    let err = fetch_error(&credential(&server)).await;
    assert!(
        matches!(err, CredentialError::UnexpectedResponse { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("service connection \"{CONNECTION}\"")),
        "{text}"
    );
    assert!(text.contains("is not JSON"), "{text}");
    assert!(text.contains("System.AccessToken"), "{text}");
    assert!(text.contains("e2e-42"), "{text}");
    assert!(
        !text.contains("Sign In") && !text.contains(ACCESS_TOKEN),
        "{text}"
    );
    assert_eq!(recorder.count(), 0, "Entra was not asked");
}

#[tokio::test]
async fn refusal_names_the_service_connection() {
    let mut server = mockito::Server::new_async().await;
    let _oidc = oidc_mock(
        &mut server,
        404,
        "application/json",
        r#"{"message":"Service connection sc-0000-1111 not found."}"#,
    )
    .await;
    let err = fetch_error(&credential(&server)).await;
    assert_authentication(&err, "AzurePipelinesCredential");
    let text = err.to_string();
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(
        text.contains(&format!(
            "service connection \"{CONNECTION}\": Service connection"
        )),
        "{text}"
    );
    assert!(text.contains("Check the service connection id"), "{text}");
}

#[tokio::test]
async fn answer_without_oidc_token_is_unexpected() {
    let mut server = mockito::Server::new_async().await;
    let _oidc = oidc_mock(&mut server, 200, "application/json", r#"{"value":1}"#).await;
    let err = fetch_error(&credential(&server)).await;
    let text = err.to_string();
    assert!(text.contains("has no oidcToken"), "{text}");
    assert!(text.contains(CONNECTION), "{text}");
}

#[test]
fn outside_a_pipeline_it_is_unavailable_and_bad_inputs_are_named() {
    let (ctx, _clock) = context(Env::empty());
    let err = AzurePipelinesCredential::builder(TENANT, CLIENT_ID, CONNECTION, ACCESS_TOKEN)
        .with_context(ctx.clone())
        .build()
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(err.to_string().contains("SYSTEM_OIDCREQUESTURI is not set"));
    assert!(err.to_string().contains(CONNECTION));

    let bad_uri = ctx.clone().with_env(Env::from_pairs([(
        "SYSTEM_OIDCREQUESTURI",
        "http://dev.azure.com/x",
    )]));
    let err = AzurePipelinesCredential::builder(TENANT, CLIENT_ID, CONNECTION, ACCESS_TOKEN)
        .with_context(bad_uri)
        .build()
        .unwrap_err();
    assert_invalid_configuration(&err, "AzurePipelinesCredential");
    assert!(
        err.to_string().contains("SYSTEM_OIDCREQUESTURI is"),
        "{err}"
    );

    let err = AzurePipelinesCredential::builder(TENANT, CLIENT_ID, CONNECTION, " ")
        .with_oidc_request_uri("https://dev.azure.com/x")
        .with_context(ctx.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("System.AccessToken"), "{err}");
    let err = AzurePipelinesCredential::builder(TENANT, CLIENT_ID, "", ACCESS_TOKEN)
        .with_oidc_request_uri("https://dev.azure.com/x")
        .with_context(ctx)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("service connection id is blank"),
        "{err}"
    );
}
