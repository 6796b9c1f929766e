//! Azure Arc: detection, the challenge flow, and the key file checks.
#![allow(clippy::unwrap_used)]
// The key directory is per platform; these flows use the Linux one.
#![cfg(target_os = "linux")]

use crate::common;
use credential_core::StatusCode;

use common::*;
use credential_core::CredentialError;
use credential_msi::{ManagedIdentityCredential, SourceKind, UserAssignedId};
use mockito::{Matcher, Mock, ServerGuard};

const PATH: &str = "/metadata/identity/oauth2/token";
const KEY_PATH: &str = "/var/opt/azcmagent/tokens/a1b2c3.key";
const KEY: &str = "arc-key-secret";

fn query(extra: &str) -> Matcher {
    Matcher::Exact(format!("api-version=2020-06-01&{RESOURCE_QUERY}{extra}"))
}

fn arc_env(server: &ServerGuard) -> Vec<(&'static str, String)> {
    vec![
        ("IDENTITY_ENDPOINT", format!("{}{PATH}", server.url())),
        ("IMDS_ENDPOINT", server.url()),
    ]
}

fn credential(
    server: &ServerGuard,
    files: Vec<(&str, Vec<u8>)>,
    client_id: Option<&str>,
) -> ManagedIdentityCredential {
    let env = arc_env(server);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut builder = ManagedIdentityCredential::builder().with_context(ctx(&pairs, files));
    if let Some(id) = client_id {
        builder = builder.with_user_assigned_id(UserAssignedId::ClientId(id.into()));
    }
    builder.build().unwrap()
}

async fn challenge(server: &mut ServerGuard, realm: &str, extra: &str) -> Mock {
    server
        .mock("GET", PATH)
        .match_query(query(extra))
        .match_header("metadata", "true")
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", &format!("Basic realm={realm}"))
        .expect(1)
        .create_async()
        .await
}

async fn authorized(server: &mut ServerGuard, extra: &str, body: &str, hits: usize) -> Mock {
    server
        .mock("GET", PATH)
        .match_query(query(extra))
        .match_header("metadata", "true")
        .match_header("authorization", format!("Basic {KEY}").as_str())
        .with_body(body)
        .expect(hits)
        .create_async()
        .await
}

#[tokio::test]
async fn challenge_flow() {
    let mut server = mockito::Server::new_async().await;
    let first = challenge(&mut server, KEY_PATH, "").await;
    let second = authorized(&mut server, "", &token_body(), 1).await;
    let credential = credential(&server, vec![(KEY_PATH, format!("{KEY}\n").into())], None);
    assert_eq!(credential.source_kind().unwrap(), SourceKind::AzureArc);
    let token = get(&credential).await.unwrap();
    assert_eq!(token.token.expose_secret(), TOKEN);
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn user_assigned_must_be_echoed() {
    let mut server = mockito::Server::new_async().await;
    let echoed = r#"{"access_token":"t","expires_in":3600,"client_id":"CID-1"}"#.to_owned();
    challenge(&mut server, KEY_PATH, "&client_id=cid-1").await;
    authorized(&mut server, "&client_id=cid-1", &echoed, 1).await;
    let files = vec![(KEY_PATH, KEY.into())];
    get(&credential(&server, files.clone(), Some("cid-1")))
        .await
        .unwrap();

    // An agent that ignores the id returns the system identity's token.
    let mut server = mockito::Server::new_async().await;
    challenge(&mut server, KEY_PATH, "&client_id=cid-1").await;
    authorized(&mut server, "&client_id=cid-1", &token_body(), 1).await;
    let err = get(&credential(&server, files, Some("cid-1")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("did not confirm"), "{err}");
    assert!(!err.is_unavailable());
}

/// Each rejected key file: the error names the problem and the file's
/// content is never sent (the authorized request never happens).
#[tokio::test]
async fn rejected_key_files() {
    type Files = Vec<(&'static str, Vec<u8>)>;
    let cases: Vec<(&str, Files, &str)> = vec![
        (
            "/tmp/a1b2c3.key",
            vec![("/tmp/a1b2c3.key", KEY.into())],
            "not directly inside",
        ),
        (
            "/var/opt/azcmagent/tokens/../../../etc/a.key",
            vec![("/var/opt/azcmagent/tokens/../../../etc/a.key", KEY.into())],
            "not directly inside",
        ),
        (
            "/var/opt/azcmagent/tokens/a1b2c3.txt",
            vec![("/var/opt/azcmagent/tokens/a1b2c3.txt", KEY.into())],
            ".key extension",
        ),
        (
            KEY_PATH,
            vec![(KEY_PATH, vec![b'k'; 4097])],
            "more than the 4096 bytes",
        ),
        (KEY_PATH, vec![], "could not read the Azure Arc key file"),
    ];
    for (realm, files, expected) in cases {
        let mut server = mockito::Server::new_async().await;
        let first = challenge(&mut server, realm, "").await;
        let never = server
            .mock("GET", PATH)
            .match_query(Matcher::Any)
            .match_header("authorization", Matcher::Any)
            .expect(0)
            .create_async()
            .await;
        let err = get(&credential(&server, files, None)).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{realm}: {err}");
        assert!(!err.is_unavailable(), "{err}");
        assert!(!err.to_string().contains(KEY), "{err}");
        first.assert_async().await;
        never.assert_async().await;
    }
}

#[tokio::test]
async fn key_file_at_the_size_limit_is_accepted() {
    let mut server = mockito::Server::new_async().await;
    let big_key = "k".repeat(4096);
    challenge(&mut server, KEY_PATH, "").await;
    let second = server
        .mock("GET", PATH)
        .match_query(query(""))
        .match_header("authorization", format!("Basic {big_key}").as_str())
        .with_body(token_body())
        .create_async()
        .await;
    get(&credential(
        &server,
        vec![(KEY_PATH, big_key.clone().into())],
        None,
    ))
    .await
    .unwrap();
    second.assert_async().await;
}

#[tokio::test]
async fn malformed_challenges() {
    for header in [
        None,
        Some("Bearer realm=/var/opt/azcmagent/tokens/a.key"),
        Some("Basic realm="),
    ] {
        let mut server = mockito::Server::new_async().await;
        let mut mock = server
            .mock("GET", PATH)
            .match_query(query(""))
            .with_status(401);
        if let Some(header) = header {
            mock = mock.with_header("www-authenticate", header);
        }
        mock.create_async().await;
        let err = get(&credential(&server, vec![(KEY_PATH, KEY.into())], None))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CredentialError::UnexpectedResponse {
                    status: Some(StatusCode::UNAUTHORIZED),
                    ..
                }
            ),
            "{header:?}: {err}"
        );
    }
}

#[tokio::test]
async fn a_non_401_first_answer_is_used_as_is() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", PATH)
        .match_query(query(""))
        .with_body(token_body())
        .create_async()
        .await;
    get(&credential(&server, vec![], None)).await.unwrap();
}

#[test]
fn detected_from_the_himds_file() {
    let credential = ManagedIdentityCredential::builder()
        .with_context(ctx(&[], vec![("/opt/azcmagent/bin/himds", vec![])]))
        .build()
        .unwrap();
    assert_eq!(credential.source_kind().unwrap(), SourceKind::AzureArc);
    // Without the file (and the variables): IMDS.
    let credential = ManagedIdentityCredential::builder()
        .with_context(ctx(
            &[("IDENTITY_ENDPOINT", "http://127.0.0.1:1/x")],
            vec![],
        ))
        .build()
        .unwrap();
    assert_eq!(credential.source_kind().unwrap(), SourceKind::Imds);
}
