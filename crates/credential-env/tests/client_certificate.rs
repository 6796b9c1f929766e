//! ClientCertificateCredential: certificate formats, the assertion JWT, the
//! request, and every bad-input error.

#![allow(clippy::unwrap_used)]

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use credential_core::{
    CredentialError, Env, Fs, ProviderContext, TokenCredential, TokenRequestOptions,
};
use credential_env::{ClientCertificate, ClientCertificateCredential};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use time::Duration;

const PASSWORD: &str = "test-password";

macro_rules! data {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $name)).as_slice()
    };
}

const CERT_KEY_FIRST: &[u8] = data!("cert-key-first.pem");
const CERT_CERT_FIRST: &[u8] = data!("cert-cert-first.pem");
const CERT_PKCS1: &[u8] = data!("cert-pkcs1.pem");
const P12_PASSWORD: &[u8] = data!("cert-password.p12");
const P12_NO_PASSWORD: &[u8] = data!("cert-no-password.p12");
const LEAF_CERT: &[u8] = data!("leaf-cert.pem");
const LEAF_KEY: &[u8] = data!("leaf-key-pkcs8.pem");
const LEAF_PUBLIC: &[u8] = data!("leaf-public.pem");
const CHAIN_PEM: &[u8] = data!("chain.pem");
const CHAIN_P12: &[u8] = data!("chain.p12");
const CHAIN_LEAF_CERT: &[u8] = data!("chain-leaf-cert.pem");
const CHAIN_LEAF_KEY: &[u8] = data!("chain-leaf-key.pem");
const CHAIN_PUBLIC: &[u8] = data!("chain-leaf-public.pem");
const CA_CERT: &[u8] = data!("ca-cert.pem");
const EC: &[u8] = data!("ec.pem");

fn der(pem: &[u8]) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem)
        .unwrap()
        .as_ref()
        .to_vec()
}

fn thumbprint(pem: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &der(pem)))
}

fn credential(
    server: &mockito::ServerGuard,
    file: &'static [u8],
    password: Option<&str>,
    send_chain: bool,
) -> (ClientCertificateCredential, credential_core::ManualClock) {
    let (ctx, clock) = context(Env::empty());
    let ctx = ctx.with_fs(Fs::from_files([("/certs/cert", file)]));
    let mut builder = ClientCertificateCredential::builder(TENANT, CLIENT_ID, "/certs/cert")
        .with_authority_host(server.url())
        .with_send_certificate_chain(send_chain)
        .with_context(ctx);
    if let Some(password) = password {
        builder = builder.with_password(password);
    }
    (builder.build().unwrap(), clock)
}

/// Verifies the signature with `public_pem` and returns header and claims.
fn decode(
    assertion: &str,
    public_pem: &[u8],
    audience: &str,
) -> (jsonwebtoken::Header, serde_json::Value) {
    let mut validation = Validation::new(Algorithm::PS256);
    validation.validate_exp = false;
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["aud", "iss", "sub", "exp", "nbf"]);
    let key = DecodingKey::from_rsa_pem(public_pem).unwrap();
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation).unwrap();
    (data.header, data.claims)
}

#[tokio::test]
async fn sends_a_signed_ps256_assertion() {
    let mut server = mockito::Server::new_async().await;
    let (mock, recorder) = token_mock(&mut server, TOKEN_PATH, "tok").await;
    let (cred, _clock) = credential(&server, CERT_KEY_FIRST, None, false);
    let token = fetch_token(&cred).await;
    assert_eq!(token.token.expose_secret(), "tok");
    mock.assert_async().await;
    let request = recorder.last();
    // The assertion is checked by decoding it below; every other field exactly.
    let assertion = request.form["client_assertion"].clone();
    assert_assertion_post(&request, &assertion);

    let audience = format!("{}{TOKEN_PATH}", server.url());
    let (header, claims) = decode(&assertion, LEAF_PUBLIC, &audience);
    assert_eq!(header.alg, Algorithm::PS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.x5t_s256, Some(thumbprint(LEAF_CERT)));
    assert_eq!(header.x5c, None, "no chain unless asked");
    assert_eq!(header.x5t, None);
    let now = NOW.unix_timestamp();
    assert_eq!(claims["aud"], audience.as_str());
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["exp"], now + 600);
    let jti = uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 4);
    assert_eq!(claims.as_object().unwrap().len(), 7, "{claims}");
}

#[tokio::test]
async fn each_request_gets_a_fresh_assertion_and_cache_is_used() {
    let mut server = mockito::Server::new_async().await;
    let (_m, own) = token_mock(&mut server, TOKEN_PATH, "a").await;
    let (_m2, other) = token_mock(&mut server, "/fabrikam/oauth2/v2.0/token", "b").await;
    let (ctx, clock) = context(Env::empty());
    let cred = ClientCertificateCredential::builder(TENANT, CLIENT_ID, "/c.pem")
        .with_authority_host(server.url())
        .with_additionally_allowed_tenants(["*"])
        .with_context(ctx.with_fs(Fs::from_files([("/c.pem", CERT_CERT_FIRST)])))
        .build()
        .unwrap();
    let none = TokenRequestOptions::default();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    cred.get_token(&[SCOPE], &none).await.unwrap();
    assert_eq!(own.count(), 1, "cached");
    clock.advance(Duration::seconds(5));
    cred.get_token(&["other/.default"], &none).await.unwrap();
    let fabrikam = for_tenant("fabrikam");
    cred.get_token(&[SCOPE], &fabrikam).await.unwrap();
    let first = own.all()[0].form["client_assertion"].clone();
    let second = own.all()[1].form["client_assertion"].clone();
    let third = other.last().form["client_assertion"].clone();
    let aud_own = format!("{}{TOKEN_PATH}", server.url());
    let aud_other = format!("{}/fabrikam/oauth2/v2.0/token", server.url());
    let (_, c1) = decode(&first, LEAF_PUBLIC, &aud_own);
    let (_, c2) = decode(&second, LEAF_PUBLIC, &aud_own);
    let (_, c3) = decode(&third, LEAF_PUBLIC, &aud_other);
    assert_ne!(c1["jti"], c2["jti"]);
    assert_ne!(c2["jti"], c3["jti"]);
    assert_eq!(
        c2["iat"],
        NOW.unix_timestamp() + 5,
        "times come from the injected clock"
    );
    assert_eq!(
        c3["aud"],
        aud_other.as_str(),
        "aud is the tenant's token endpoint"
    );
}

#[tokio::test]
async fn chain_is_sent_leaf_first_only_when_asked() {
    for (file, password) in [(CHAIN_PEM, None), (CHAIN_P12, Some(PASSWORD))] {
        let mut server = mockito::Server::new_async().await;
        let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "t").await;
        let audience = format!("{}{TOKEN_PATH}", server.url());
        let last_header = || {
            let assertion = recorder.last().form["client_assertion"].clone();
            decode(&assertion, CHAIN_PUBLIC, &audience).0
        };
        let (cred, _clock) = credential(&server, file, password, true);
        fetch_token(&cred).await;
        let header = last_header();
        assert_eq!(
            header.x5t_s256,
            Some(thumbprint(CHAIN_LEAF_CERT)),
            "password {password:?}"
        );
        assert_eq!(
            header.x5c,
            Some(vec![
                STANDARD.encode(der(CHAIN_LEAF_CERT)),
                STANDARD.encode(der(CA_CERT))
            ]),
            "password {password:?}"
        );

        let (cred, _clock) = credential(&server, file, password, false);
        fetch_token(&cred).await;
        assert_eq!(last_header().x5c, None, "password {password:?}");
    }
}

#[test]
fn every_supported_format_yields_the_same_leaf() {
    let expected = thumbprint(LEAF_CERT);
    let cases: [(&[u8], Option<&str>); 6] = [
        (CERT_KEY_FIRST, None),
        (CERT_CERT_FIRST, None),
        (CERT_PKCS1, None),
        (P12_PASSWORD, Some(PASSWORD)),
        (P12_NO_PASSWORD, None),
        (P12_NO_PASSWORD, Some("")),
    ];
    for (case, (bytes, password)) in cases.into_iter().enumerate() {
        let cert = ClientCertificate::from_bytes(bytes, password)
            .unwrap_or_else(|err| panic!("case {case}: {err:?}"));
        assert_eq!(cert.thumbprint_sha256(), expected, "case {case}");
        assert_eq!(cert.chain_der().len(), 1, "case {case}");
        assert_eq!(cert.leaf_der(), der(LEAF_CERT).as_slice(), "case {case}");
    }
    // The leaf is the key's certificate even when the CA comes first.
    let mut ca_first = CA_CERT.to_vec();
    ca_first.extend_from_slice(CHAIN_LEAF_KEY);
    ca_first.extend_from_slice(CHAIN_LEAF_CERT);
    let cert = ClientCertificate::from_bytes(&ca_first, None).unwrap();
    assert_eq!(cert.thumbprint_sha256(), thumbprint(CHAIN_LEAF_CERT));
    assert_eq!(cert.chain_der()[1], der(CA_CERT));
}

#[tokio::test]
async fn parsed_certificate_can_be_passed_directly() {
    let mut server = mockito::Server::new_async().await;
    let (_m, recorder) = token_mock(&mut server, TOKEN_PATH, "t").await;
    let (ctx, _clock) = context(Env::empty());
    let certificate = ClientCertificate::from_bytes(P12_PASSWORD, Some(PASSWORD)).unwrap();
    let cred =
        ClientCertificateCredential::builder_with_certificate(TENANT, CLIENT_ID, certificate)
            .with_authority_host(server.url())
            .with_context(ctx)
            .build()
            .unwrap();
    fetch_token(&cred).await;
    let audience = format!("{}{TOKEN_PATH}", server.url());
    decode(
        &recorder.last().form["client_assertion"],
        LEAF_PUBLIC,
        &audience,
    );
}

fn load_error(bytes: &[u8], password: Option<&str>) -> String {
    let err = ClientCertificate::from_bytes(bytes, password).unwrap_err();
    assert_invalid_configuration(&err, "ClientCertificateCredential");
    err.to_string()
}

#[test]
fn bad_certificates_are_clear_errors() {
    let mut mismatched = LEAF_CERT.to_vec();
    mismatched.extend_from_slice(CHAIN_LEAF_KEY);
    let encrypted =
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let truncated = &P12_PASSWORD[..P12_PASSWORD.len() / 2];
    let cases: Vec<(&[u8], Option<&str>, &str)> = vec![
        (b"", None, "is empty"),
        (b" \n\t", None, "is empty"),
        (
            b"garbage that is not a certificate",
            None,
            "neither PEM nor PKCS#12",
        ),
        (truncated, Some(PASSWORD), "PKCS#12"),
        (P12_PASSWORD, Some("wrong"), "password is wrong"),
        (P12_PASSWORD, None, "password is wrong"),
        (LEAF_CERT, None, "no private key"),
        (LEAF_KEY, None, "no certificate"),
        (EC, None, "not RSA"),
        (&mismatched, None, "matches the private key"),
        (encrypted, None, "encrypted"),
        (
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            None,
            "malformed",
        ),
    ];
    for (bytes, password, expected) in cases {
        let message = load_error(bytes, password);
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
        assert!(!message.contains(PASSWORD));
    }
}

#[tokio::test]
async fn unreadable_file_and_wrong_password_fail_get_token() {
    let (ctx, _clock) = context(Env::empty());
    let cred = ClientCertificateCredential::builder(TENANT, CLIENT_ID, "/missing.pem")
        .with_context(ctx.clone())
        .build()
        .unwrap();
    let err = fetch_error(&cred).await;
    assert_invalid_configuration(&err, "ClientCertificateCredential");
    assert!(err.to_string().contains("/missing.pem"), "{err}");

    let cred = ClientCertificateCredential::builder(TENANT, CLIENT_ID, "/c.p12")
        .with_password("not-the-password")
        .with_context(ctx.with_fs(Fs::from_files([("/c.p12", P12_PASSWORD)])))
        .build()
        .unwrap();
    let text = fetch_error(&cred).await.to_string();
    assert!(
        text.contains("password is wrong") && text.contains("/c.p12"),
        "{text}"
    );
    assert!(!text.contains("not-the-password"));
}

#[tokio::test]
async fn entra_error_keeps_aadsts_code() {
    let (server, _m) = entra_error_server(
        401,
        r#"{"error":"invalid_client","error_description":"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.","error_codes":[700027]}"#,
    )
    .await;
    let (cred, _clock) = credential(&server, CERT_KEY_FIRST, None, false);
    let err = fetch_error(&cred).await;
    let CredentialError::Authentication {
        error_code,
        description,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(error_code.as_deref(), Some("AADSTS700027"));
    assert!(description.contains("not registered"));
    assert!(
        !format!("{err:?}").contains("eyJ"),
        "no assertion in the error"
    );
}

#[test]
fn bad_configuration_is_refused_at_build() {
    let build = |tenant: &str, client: &str, path: &str, authority: Option<&str>| {
        let mut b = ClientCertificateCredential::builder(tenant, client, path)
            .with_context(ProviderContext::isolated());
        if let Some(a) = authority {
            b = b.with_authority_host(a);
        }
        b.build().unwrap_err().to_string()
    };
    assert!(build("", CLIENT_ID, "/c", None).contains("tenant id is blank"));
    assert!(build("a_b!", CLIENT_ID, "/c", None).contains("invalid tenant id"));
    assert!(build(TENANT, "", "/c", None).contains("client id is blank"));
    assert!(build(TENANT, CLIENT_ID, "", None).contains("certificate path is empty"));
    assert!(build(TENANT, CLIENT_ID, "/c", Some("http://login.example.com")).contains("https"));
}

#[test]
fn debug_never_shows_key_or_password() {
    let builder = ClientCertificateCredential::builder(TENANT, CLIENT_ID, "/c.p12")
        .with_password(PASSWORD)
        .with_context(ProviderContext::isolated());
    let builder_debug = format!("{builder:?}");
    let cred = builder.build().unwrap();
    let debug = format!("{cred:?} {builder_debug}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains("/c.p12"));
    let cert = ClientCertificate::from_bytes(CERT_PKCS1, None).unwrap();
    let debug = format!("{cert:?}");
    assert!(debug.contains(&thumbprint(LEAF_CERT)), "{debug}");
    let key_b64 = std::str::from_utf8(CERT_PKCS1)
        .unwrap()
        .lines()
        .skip_while(|l| !l.contains("RSA PRIVATE KEY"))
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(!debug.contains(&key_b64));
    let cred = ClientCertificateCredential::builder_with_certificate(TENANT, CLIENT_ID, cert)
        .with_context(ProviderContext::isolated())
        .build()
        .unwrap();
    assert!(!format!("{cred:?}").contains(&key_b64));
}
