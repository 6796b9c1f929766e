//! EnvironmentCredential: selection from every combination of variables,
//! and the selected credential's requests.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use credential_core::{
    CredentialError, Env, Fs, ProviderContext, TokenCredential, TokenRequestOptions,
};
use credential_env::EnvironmentCredential;

const SECRET: &str = "env-secret-value";
const CHAIN_PEM: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/chain.pem"));
const P12: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/cert-password.p12"
));

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Missing,
    Blank,
    Set,
}

const VARS: [(&str, &str); 4] = [
    ("AZURE_TENANT_ID", TENANT),
    ("AZURE_CLIENT_ID", CLIENT_ID),
    ("AZURE_CLIENT_SECRET", SECRET),
    ("AZURE_CLIENT_CERTIFICATE_PATH", "/certs/cert.pem"),
];

/// The `missing: ...;` part of an unavailable message.
fn missing_part(message: &str) -> &str {
    let start = message.find("missing: ").expect(message) + "missing: ".len();
    let rest = &message[start..];
    &rest[..rest.find(';').expect(message)]
}

#[test]
fn selection_for_every_combination_of_set_blank_and_missing() {
    let states = [State::Missing, State::Blank, State::Set];
    let mut checked = 0;
    for t in states {
        for c in states {
            for s in states {
                for p in states {
                    let combo = [t, c, s, p];
                    let pairs: Vec<(&str, &str)> = VARS
                        .iter()
                        .zip(combo)
                        .filter_map(|(&(name, value), state)| match state {
                            State::Missing => None,
                            State::Blank => Some((name, "  ")),
                            State::Set => Some((name, value)),
                        })
                        .collect();
                    let ctx = ProviderContext::isolated().with_env(Env::from_pairs(pairs));
                    let cred = EnvironmentCredential::from_context(ctx).unwrap();
                    let [t, c, s, p] = combo.map(|x| x == State::Set);
                    let expected = if t && c && s {
                        Some("ClientSecretCredential")
                    } else if t && c && p {
                        Some("ClientCertificateCredential")
                    } else {
                        None
                    };
                    assert_eq!(cred.selected(), expected, "{combo:?}");
                    if expected.is_none() {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap();
                        let err = rt
                            .block_on(cred.get_token(&[SCOPE], &TokenRequestOptions::default()))
                            .unwrap_err();
                        assert!(
                            matches!(
                                err,
                                CredentialError::Unavailable {
                                    credential: "EnvironmentCredential",
                                    ..
                                }
                            ),
                            "{err:?}"
                        );
                        let text = err.to_string();
                        let mut want = Vec::new();
                        if !t {
                            want.push("AZURE_TENANT_ID".to_owned());
                        }
                        if !c {
                            want.push("AZURE_CLIENT_ID".to_owned());
                        }
                        if !s && !p {
                            want.push(
                                "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH".to_owned(),
                            );
                        }
                        assert_eq!(missing_part(&text), want.join(", "), "{combo:?}: {text}");
                        assert!(!text.contains(SECRET));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 81);
}

#[test]
fn username_password_is_ignored_and_explained() {
    let ctx = ProviderContext::isolated().with_env(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_USERNAME", "user@contoso.com"),
        ("AZURE_PASSWORD", "hunter2"),
    ]));
    let cred = EnvironmentCredential::from_context(ctx).unwrap();
    assert_eq!(cred.selected(), None);
    let debug = format!("{cred:?}");
    assert!(debug.contains("deprecated"), "{debug}");
    assert!(!debug.contains("hunter2"));
}

#[tokio::test]
async fn secret_row_sends_client_secret_to_environment_authority() {
    let mut server = mockito::Server::new_async().await;
    let (mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_CLIENT_CERTIFICATE_PATH", "/also/set.pem"),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
    ]));
    let cred = EnvironmentCredential::from_context(ctx).unwrap();
    assert_eq!(cred.selected(), Some("ClientSecretCredential"));
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok");
    fetch_token(&cred).await;
    mock.assert_async().await;
    assert_secret_post(&recorder.last(), SECRET, SCOPE);
    assert!(!format!("{cred:?}").contains(SECRET));
}

fn jwt_header(assertion: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(assertion).unwrap()
}

#[tokio::test]
async fn certificate_row_honours_password_and_send_chain_values() {
    let cases = [
        ("TRUE", true),
        ("1", true),
        ("true", true),
        ("false", false),
        ("0", false),
        ("", false),
    ];
    for (value, sends_chain) in cases {
        let mut server = mockito::Server::new_async().await;
        let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "t").await;
        let (ctx, _clock) = context(Env::from_pairs([
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_CLIENT_SECRET", " "),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/certs/chain.pem"),
            ("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", value),
            ("AZURE_AUTHORITY_HOST", server.url().as_str()),
        ]));
        let ctx = ctx.with_fs(Fs::from_files([("/certs/chain.pem", CHAIN_PEM)]));
        let cred = EnvironmentCredential::from_context(ctx).unwrap();
        assert_eq!(
            cred.selected(),
            Some("ClientCertificateCredential"),
            "{value:?}"
        );
        fetch_token(&cred).await;
        let form = recorder.last().form;
        assert_eq!(form["client_assertion_type"], JWT_BEARER, "{value:?}");
        let header = jwt_header(&form["client_assertion"]);
        assert_eq!(
            header.x5c.map(|c| c.len()),
            sends_chain.then_some(2),
            "{value:?}"
        );
    }

    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "t").await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_CERTIFICATE_PATH", "/c.p12"),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "test-password"),
    ]));
    let cred = EnvironmentCredential::builder()
        .with_authority_host(server.url())
        .with_context(ctx.with_fs(Fs::from_files([("/c.p12", P12)])))
        .build()
        .unwrap();
    fetch_token(&cred).await;
    assert_eq!(recorder.count(), 1);
    assert!(!format!("{cred:?}").contains("test-password"));
}

#[tokio::test]
async fn errors_name_environment_credential() {
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_CERTIFICATE_PATH", "/missing.pem"),
    ]));
    let err = fetch_error(&EnvironmentCredential::from_context(ctx).unwrap()).await;
    assert_invalid_configuration(&err, "EnvironmentCredential");

    let bad_tenant = ProviderContext::isolated().with_env(Env::from_pairs([
        ("AZURE_TENANT_ID", "not a tenant"),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
    ]));
    let err = EnvironmentCredential::from_context(bad_tenant).unwrap_err();
    assert_invalid_configuration(&err, "EnvironmentCredential");
    let http = ProviderContext::isolated().with_env(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
    ]));
    let err = EnvironmentCredential::from_context(http).unwrap_err();
    assert!(
        err.to_string().contains("https") && !err.to_string().contains(SECRET),
        "{err}"
    );

    let (server, _m) = entra_error_server(
        401,
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
    )
    .await;
    let (ctx, _clock) = context(Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
    ]));
    let err = fetch_error(&EnvironmentCredential::from_context(ctx).unwrap()).await;
    let CredentialError::Authentication {
        credential,
        error_code,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*credential, error_code.as_deref()),
        ("EnvironmentCredential", Some("AADSTS7000215"))
    );
}

#[tokio::test]
async fn allowed_tenants_from_environment_unless_given() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "t").await;
    let env = Env::from_pairs([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_AUTHORITY_HOST", server.url().as_str()),
        ("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "a; fabrikam"),
    ]);
    let fabrikam = for_tenant("fabrikam");
    let (ctx, _clock) = context(env.clone());
    let cred = EnvironmentCredential::from_context(ctx).unwrap();
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    assert_eq!(recorder.count(), 1);

    let (ctx, _clock) = context(env);
    let cred = EnvironmentCredential::builder()
        .with_additionally_allowed_tenants(["other"])
        .with_context(ctx)
        .build()
        .unwrap();
    let err = cred.get_token(&[SCOPE], &fabrikam).await.unwrap_err();
    assert_authentication(&err, "EnvironmentCredential");
}
