//! A custom credential and a custom transport written against this crate
//! alone: every name below comes from `credential_default`, none from
//! `credential-core`, `http`, `async-trait` or `time`.

use credential_default::{
    AccessToken, CredentialError, HeaderMap, HeaderName, HeaderValue, HttpClient, HttpRequest,
    HttpResponse, Method, ReqwestHttpClientBuilder, StatusCode, TokenCredential,
    TokenRequestOptions, TransportError, async_trait, time,
};

#[derive(Debug)]
struct FixedCredential;

#[async_trait]
impl TokenCredential for FixedCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: &TokenRequestOptions,
    ) -> Result<AccessToken, CredentialError> {
        Ok(AccessToken::new(
            "t",
            time::OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1),
        ))
    }
}

#[derive(Debug)]
struct TeapotTransport;

#[async_trait]
impl HttpClient for TeapotTransport {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-ms-request-id"),
            HeaderValue::from_static("r-1"),
        );
        Ok(HttpResponse::new(
            StatusCode::IM_A_TEAPOT,
            headers,
            Vec::new().into(),
        ))
    }
}

#[tokio::test]
async fn a_custom_credential_and_transport_need_only_the_facade() {
    let token = FixedCredential
        .get_token(&["s/.default"], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "t");

    let url = "http://127.0.0.1:9/".parse().unwrap();
    let response = TeapotTransport
        .send(HttpRequest::new(Method::GET, url))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(response.request_id(), Some("r-1"));

    // The default transport's builder is reachable from here too.
    let _: fn() -> ReqwestHttpClientBuilder = credential_default::ReqwestHttpClient::builder;
}

#[test]
fn the_transport_builders_error_converts_with_the_question_mark() {
    fn transport(pem: &str) -> Result<credential_default::ReqwestHttpClient, CredentialError> {
        Ok(credential_default::ReqwestHttpClient::builder()
            .with_ca_pem(pem)
            .build()?)
    }
    let err = transport("not a pem").unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
}
