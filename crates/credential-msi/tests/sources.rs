//! App Service, Azure ML, Cloud Shell, Service Fabric and token exchange:
//! detection, the exact requests, user-assigned variants, parsing, errors.
#![allow(clippy::unwrap_used)]

use crate::common;
use credential_core::StatusCode;

use std::sync::Arc;

use common::*;
use credential_core::RetryPolicy;
use credential_core::{
    CredentialError, LoopbackOnlyHttpClient, TokenCredential, TokenRequestOptions,
    TransportErrorKind,
};
use credential_msi::{ManagedIdentityCredential, SourceKind, UserAssignedId};
use mockito::Matcher;

fn build(env: &[(&str, &str)]) -> credential_msi::ManagedIdentityCredentialBuilder {
    ManagedIdentityCredential::builder().with_context(ctx(env, vec![]))
}

/// A credential for `env` that makes a single attempt, without retries.
fn build_without_retry(env: &[(&str, &str)]) -> ManagedIdentityCredential {
    build(env)
        .with_retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The App Service variables: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
fn app_service_env<'a>(endpoint: &'a str, header: &'a str) -> [(&'a str, &'a str); 2] {
    [("IDENTITY_ENDPOINT", endpoint), ("IDENTITY_HEADER", header)]
}

/// The Service Fabric variables: the App Service ones plus the thumbprint.
fn service_fabric_env<'a>(
    endpoint: &'a str,
    header: &'a str,
    thumbprint: &'a str,
) -> [(&'a str, &'a str); 3] {
    [
        ("IDENTITY_ENDPOINT", endpoint),
        ("IDENTITY_HEADER", header),
        ("IDENTITY_SERVER_THUMBPRINT", thumbprint),
    ]
}

/// A Service Fabric credential for `env` whose HTTP client is plain
/// loopback HTTP instead of the pinning TLS client.
fn service_fabric_with_plain_http(env: &[(&str, &str)]) -> ManagedIdentityCredential {
    build(env)
        .with_service_fabric_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap()
}

/// Asserts the credential detected `kind`, gets a token, and checks it
/// expires `EPOCH + expires_in` seconds; returns the token.
async fn assert_token_from(
    credential: &ManagedIdentityCredential,
    kind: SourceKind,
    expires_in: i64,
) -> credential_core::AccessToken {
    assert_eq!(credential.source_kind().unwrap(), kind);
    let token = get(credential).await.unwrap();
    assert_eq!(
        token.expires_on.unix_timestamp(),
        EPOCH + expires_in,
        "{kind:?}"
    );
    token
}

/// Asserts `err` is an invalid-configuration error whose text contains
/// `needle`.
fn assert_invalid_configuration(err: &CredentialError, needle: &str) {
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err}"
    );
    assert!(err.to_string().contains(needle), "{needle:?} in {err}");
}

/// Asserts `err` is an authentication error carrying HTTP `status`.
fn assert_authentication_status(err: &CredentialError, status: u16) {
    assert!(
        matches!(err, CredentialError::Authentication { status: Some(s), .. } if *s == status),
        "{err}"
    );
}

// ---- App Service ----

#[tokio::test]
async fn app_service_request_and_user_assigned_names() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/msi/token", server.url());
    let env = app_service_env(&endpoint, "hdr-secret");
    for (id, extra) in [
        (None, ""),
        (Some(("client", "cid")), "&client_id=cid"),
        (Some(("object", "oid")), "&object_id=oid"),
        (Some(("resource", "/s/r")), "&mi_res_id=%2Fs%2Fr"),
    ] {
        let mock = server
            .mock("GET", "/msi/token")
            .match_query(Matcher::Exact(format!(
                "api-version=2019-08-01&{RESOURCE_QUERY}{extra}"
            )))
            .match_header("x-identity-header", "hdr-secret")
            .with_body(token_body())
            .expect(1)
            .create_async()
            .await;
        let builder = build(&env);
        let builder = match id {
            None => builder,
            Some(("client", v)) => {
                builder.with_user_assigned_id(UserAssignedId::ClientId(v.into()))
            }
            Some(("object", v)) => {
                builder.with_user_assigned_id(UserAssignedId::ObjectId(v.into()))
            }
            Some((_, v)) => builder.with_user_assigned_id(UserAssignedId::ResourceId(v.into())),
        };
        let credential = builder.build().unwrap();
        assert_token_from(&credential, SourceKind::AppService, 3600).await;
        mock.assert_async().await;
        mock.remove_async().await;
    }
}

#[tokio::test]
async fn app_service_errors() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/msi/token", server.url());
    let env = app_service_env(&endpoint, "hdr-secret");
    server
        .mock("GET", "/msi/token")
        .match_query(Matcher::Any)
        .with_status(400)
        .with_body(r#"{"statusCode":400,"message":"Unable to load the proper Managed Identity.","correlationId":"c0ffee"}"#)
        .create_async()
        .await;
    let err = get(&build(&env).build().unwrap()).await.unwrap_err();
    // A detected source's failure stops a chain, even a 400.
    assert_authentication_status(&err, 400);
    let text = err.to_string();
    assert!(
        text.contains("Unable to load") && text.contains("c0ffee"),
        "{text}"
    );
    assert!(!text.contains("hdr-secret"));

    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/msi/token", server.url());
    let env = app_service_env(&endpoint, "h");
    let mock = server
        .mock("GET", "/msi/token")
        .match_query(Matcher::Any)
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let err = get(&build_without_retry(&env)).await.unwrap_err();
    assert!(
        matches!(
            err,
            CredentialError::Transport {
                kind: TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE),
                ..
            }
        ),
        "{err}"
    );
    mock.assert_async().await;

    // Unreachable App Service endpoint: a transport error, not "unavailable".
    let endpoint = format!("{}/msi/token", closed_port_url());
    let env = app_service_env(&endpoint, "h");
    let err = get(&build_without_retry(&env)).await.unwrap_err();
    assert!(!err.is_unavailable() && err.is_transient(), "{err}");
}

// ---- Azure Machine Learning ----

#[tokio::test]
async fn azure_ml_request_variants() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/ml/token", server.url());
    for (env_default, client_id, extra) in [
        (None, None, ""),
        (Some("default-cid"), None, "&clientid=default-cid"),
        (Some("default-cid"), Some("user-cid"), "&clientid=user-cid"),
    ] {
        let mut env = vec![
            ("MSI_ENDPOINT", endpoint.as_str()),
            ("MSI_SECRET", "ml-secret"),
        ];
        if let Some(d) = env_default {
            env.push(("DEFAULT_IDENTITY_CLIENT_ID", d));
        }
        let mock = server
            .mock("GET", "/ml/token")
            .match_query(Matcher::Exact(format!(
                "api-version=2017-09-01&{RESOURCE_QUERY}{extra}"
            )))
            .match_header("secret", "ml-secret")
            .with_body(r#"{"access_token":"t","expires_on":"01/01/2030 02:00:00 AM +00:00"}"#)
            .expect(1)
            .create_async()
            .await;
        let mut builder = build(&env);
        if let Some(id) = client_id {
            builder = builder.with_user_assigned_id(UserAssignedId::ClientId(id.into()));
        }
        let credential = builder.build().unwrap();
        // The US date format, 2 h: refreshed at half-life.
        let token = assert_token_from(&credential, SourceKind::AzureMl, 7200).await;
        assert_eq!(token.refresh_on.unwrap().unix_timestamp(), EPOCH + 3600);
        mock.assert_async().await;
        mock.remove_async().await;
    }
}

#[tokio::test]
async fn azure_ml_rejects_object_and_resource_ids() {
    let env = [
        ("MSI_ENDPOINT", "http://127.0.0.1:1/ml"),
        ("MSI_SECRET", "s"),
    ];
    for builder in [
        build(&env).with_user_assigned_id(UserAssignedId::ObjectId("o".into())),
        build(&env).with_user_assigned_id(UserAssignedId::ResourceId("/r".into())),
    ] {
        let err = builder.build().unwrap_err();
        assert_invalid_configuration(&err, "only a client id");
    }
}

// ---- Cloud Shell ----

#[tokio::test]
async fn cloud_shell_posts_a_form() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/oauth2/token", server.url());
    let mock = server
        .mock("POST", "/oauth2/token")
        .match_query(Matcher::Missing)
        .match_header("metadata", "true")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body("resource=https%3A%2F%2Fvault.azure.net")
        .with_body(
            r#"{"access_token":"t","expires_in":"3600","expires_on":"2030-01-01T01:00:00Z"}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let credential = build(&[("MSI_ENDPOINT", endpoint.as_str())])
        .build()
        .unwrap();
    assert_token_from(&credential, SourceKind::CloudShell, 3600).await;
    mock.assert_async().await;
}

#[tokio::test]
async fn cloud_shell_rejects_user_assigned() {
    let env = [("MSI_ENDPOINT", "http://127.0.0.1:1/t")];
    for builder in [
        build(&env).with_user_assigned_id(UserAssignedId::ClientId("c".into())),
        build(&env).with_user_assigned_id(UserAssignedId::ObjectId("o".into())),
        build(&env).with_user_assigned_id(UserAssignedId::ResourceId("/r".into())),
    ] {
        let err = builder.build().unwrap_err();
        assert_invalid_configuration(&err, "Cloud Shell");
    }
}

// ---- Service Fabric ----

const THUMBPRINT: &str = "A9993E364706816ABA3E25717850C26C9CD0D89D";

#[tokio::test]
async fn service_fabric_request_with_injected_client() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/metadata/identity/oauth2/token", server.url());
    let env = service_fabric_env(&endpoint, "sf-secret", THUMBPRINT);
    let mock = server
        .mock("GET", "/metadata/identity/oauth2/token")
        .match_query(Matcher::Exact(format!(
            "api-version=2019-07-01-preview&{RESOURCE_QUERY}"
        )))
        .match_header("secret", "sf-secret")
        .with_body(format!(
            r#"{{"access_token":"t","expires_on":{},"token_type":"Bearer"}}"#,
            EPOCH + 3600
        ))
        .expect(1)
        .create_async()
        .await;
    let credential = service_fabric_with_plain_http(&env);
    assert_eq!(credential.source_kind().unwrap(), SourceKind::ServiceFabric);
    get(&credential).await.unwrap();
    mock.assert_async().await;
    assert!(!format!("{credential:?}").contains("sf-secret"));
}

#[tokio::test]
async fn service_fabric_error_body() {
    let mut server = mockito::Server::new_async().await;
    let endpoint = format!("{}/t", server.url());
    let env = service_fabric_env(&endpoint, "sf-secret", THUMBPRINT);
    server
        .mock("GET", "/t")
        .match_query(Matcher::Any)
        .with_status(401)
        .with_body(r#"{"error":{"correlationId":"abc","code":"SecretHeaderNotFound","message":"Secret is not found in the request headers."}}"#)
        .create_async()
        .await;
    let credential = service_fabric_with_plain_http(&env);
    let err = get(&credential).await.unwrap_err();
    assert_authentication_status(&err, 401);
    assert!(err.to_string().contains("SecretHeaderNotFound"), "{err}");
}

#[tokio::test]
async fn service_fabric_rejects_user_assigned_and_bad_thumbprints() {
    let env = service_fabric_env("https://127.0.0.1:2377/t", "h", THUMBPRINT);
    let err = build(&env)
        .with_user_assigned_id(UserAssignedId::ClientId("c".into()))
        .build()
        .unwrap_err();
    assert_invalid_configuration(&err, "Service Fabric");
    let env = service_fabric_env("https://127.0.0.1:2377/t", "h", "not-hex");
    let err = build(&env).build().unwrap_err();
    assert!(
        err.to_string().contains("IDENTITY_SERVER_THUMBPRINT"),
        "{err}"
    );
}

#[tokio::test]
async fn service_fabric_default_client_speaks_only_tls() {
    // The default client speaks TLS with the pinning verifier: a plain-HTTP
    // mock cannot complete a handshake, and nothing is accepted.
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let endpoint = format!("{}/t", server.url()).replace("http://", "https://");
    let env = service_fabric_env(&endpoint, "h", THUMBPRINT);
    let credential = build_without_retry(&env);
    assert!(get(&credential).await.is_err());
    mock.assert_async().await;
}

// ---- Token exchange ----

#[tokio::test]
async fn token_exchange_comes_first_and_sends_the_assertion() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/my-tenant/oauth2/v2.0/token")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("client_id".into(), "wi-client".into()),
            Matcher::UrlEncoded("scope".into(), SCOPE.into()),
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded(
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ),
            Matcher::UrlEncoded("client_assertion".into(), "federated-jwt".into()),
        ]))
        .with_body(r#"{"token_type":"Bearer","access_token":"t","expires_in":3600}"#)
        .expect(1)
        .create_async()
        .await;
    let url = server.url();
    // App Service variables are set too: token exchange still wins.
    let env = [
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/azure-identity-token",
        ),
        ("AZURE_TENANT_ID", "my-tenant"),
        ("AZURE_CLIENT_ID", "wi-client"),
        ("AZURE_AUTHORITY_HOST", url.as_str()),
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/x"),
        ("IDENTITY_HEADER", "h"),
    ];
    let files = vec![(
        "/var/run/secrets/azure/tokens/azure-identity-token",
        b"  federated-jwt\n".to_vec(),
    )];
    let credential = ManagedIdentityCredential::builder()
        .with_context(ctx(&env, files))
        .build()
        .unwrap();
    assert_token_from(&credential, SourceKind::TokenExchange, 3600).await;
    mock.assert_async().await;
}

#[tokio::test]
async fn token_exchange_client_id_option_and_missing_file() {
    let env = [
        ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ("AZURE_TENANT_ID", "t"),
    ];
    // No client id anywhere: not token exchange.
    assert_eq!(
        build(&env).build().unwrap().source_kind().unwrap(),
        SourceKind::Imds
    );
    // The option supplies it.
    let credential = build(&env)
        .with_user_assigned_id(UserAssignedId::ClientId("c".into()))
        .build()
        .unwrap();
    assert_eq!(credential.source_kind().unwrap(), SourceKind::TokenExchange);
    let err = get(&credential).await.unwrap_err();
    assert_invalid_configuration(&err, "AZURE_FEDERATED_TOKEN_FILE");
    // An object id cannot be used for token exchange.
    let env = [
        ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ("AZURE_TENANT_ID", "t"),
        ("AZURE_CLIENT_ID", "c"),
    ];
    let credential = build(&env)
        .with_user_assigned_id(UserAssignedId::ObjectId("o".into()))
        .build()
        .unwrap();
    assert_eq!(credential.source_kind().unwrap(), SourceKind::Imds);
}

#[tokio::test]
async fn token_exchange_refuses_other_tenants() {
    let env = [
        ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ("AZURE_TENANT_ID", "home"),
        ("AZURE_CLIENT_ID", "c"),
    ];
    let credential = build(&env).build().unwrap();
    let err = credential
        .get_token(
            &[SCOPE],
            &TokenRequestOptions::default().with_tenant_id("other"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("other"), "{err}");
}

// ---- Detection and the builder ----

#[test]
fn detection_order() {
    let all = [
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/a"),
        ("IDENTITY_HEADER", "h"),
        ("IDENTITY_SERVER_THUMBPRINT", THUMBPRINT),
        ("MSI_ENDPOINT", "http://127.0.0.1:1/m"),
        ("MSI_SECRET", "s"),
        ("IMDS_ENDPOINT", "http://127.0.0.1:1"),
    ];
    let kind = |env: &[(&str, &str)]| build(env).build().unwrap().source_kind().unwrap();
    assert_eq!(kind(&all), SourceKind::ServiceFabric);
    assert_eq!(kind(&all[1..]), SourceKind::AzureMl, "no IDENTITY_ENDPOINT");
    assert_eq!(kind(&[all[0], all[1], all[3]]), SourceKind::AppService);
    assert_eq!(kind(&[all[3], all[4]]), SourceKind::AzureMl);
    assert_eq!(kind(&[all[3]]), SourceKind::CloudShell);
    assert_eq!(kind(&[all[0], all[5]]), SourceKind::AzureArc);
    assert_eq!(kind(&[all[5]]), SourceKind::Imds);
    assert_eq!(kind(&[]), SourceKind::Imds);
    // Blank variables count as unset.
    assert_eq!(kind(&[("MSI_ENDPOINT", "  ")]), SourceKind::Imds);
}

#[tokio::test]
async fn malformed_endpoints_are_configuration_errors() {
    for env in [
        vec![("IDENTITY_ENDPOINT", "not a url"), ("IDENTITY_HEADER", "h")],
        vec![("MSI_ENDPOINT", "ftp://127.0.0.1/x")],
        vec![
            ("IDENTITY_ENDPOINT", "http://127.0.0.1/x"),
            ("IMDS_ENDPOINT", "::"),
        ],
        vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://[broken")],
    ] {
        let err = build(&env).build().unwrap_err();
        assert!(
            matches!(err, CredentialError::InvalidConfiguration { .. }),
            "{err}"
        );
    }
}

#[test]
fn ids_are_not_blank_and_the_last_one_given_wins() {
    for (id, why) in [
        (UserAssignedId::ObjectId(" ".into()), "object id is empty"),
        (UserAssignedId::ClientId("a b".into()), "white space"),
        (
            UserAssignedId::ResourceId("/r\n/x".into()),
            "control character",
        ),
    ] {
        let err = build(&[]).with_user_assigned_id(id).build().unwrap_err();
        assert!(matches!(err, CredentialError::InvalidConfiguration { .. }));
        assert!(err.to_string().contains(why), "{err}");
    }
    // Cloud Shell takes no user-assigned id: the second one replaced the first.
    let err = build(&[("MSI_ENDPOINT", "http://127.0.0.1:1/t")])
        .with_user_assigned_id(UserAssignedId::ClientId(" ".into()))
        .with_user_assigned_id(UserAssignedId::ResourceId("/r".into()))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("resource id"), "{err}");
}

#[tokio::test]
async fn exactly_one_scope() {
    let credential = build(&[]).build().unwrap();
    for scopes in [&[][..], &["a/.default", "b/.default"][..]] {
        let err = credential
            .get_token(scopes, &TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("exactly one scope"), "{err}");
    }
}

#[test]
fn debug_hides_secrets() {
    for env in [
        vec![
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/a"),
            ("IDENTITY_HEADER", "hdr-secret"),
        ],
        vec![
            ("MSI_ENDPOINT", "http://127.0.0.1:1/m"),
            ("MSI_SECRET", "hdr-secret"),
        ],
    ] {
        let credential = build(&env).build().unwrap();
        let debug = format!("{credential:?}");
        assert!(!debug.contains("hdr-secret"), "{debug}");
    }
}

#[test]
fn no_secret_is_logged() {
    let logs = credential_core::test_util::LogCapture::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut server = mockito::Server::new_async().await;
        let endpoint = format!("{}/msi/token", server.url());
        let env = app_service_env(&endpoint, "hdr-secret");
        server
            .mock("GET", "/msi/token")
            .match_query(Matcher::Any)
            .with_body(token_body())
            .create_async()
            .await;
        get(&build(&env).build().unwrap()).await.unwrap();
    });
    logs.assert_absent(&["hdr-secret", TOKEN]);
}
