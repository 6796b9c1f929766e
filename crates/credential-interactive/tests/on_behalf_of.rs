//! On-behalf-of: the emulator exchanges a user's token (client secret or
//! certificate); tokens are cached per user assertion.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use credential_core::ProviderContext;
use credential_interactive::ClientCertificate;
use credential_interactive::{DeviceCodeCredential, OnBehalfOfCredential};
use keyvault_emulator::{Approval, Emulator, InteractiveOptions, RunningEmulator};

use crate::common::*;

const CERT_PEM: &[u8] = include_bytes!("../../credential-env/tests/data/cert-key-first.pem");

/// A token for the API `client_id`, signed in as the test user.
async fn user_token(emulator: &RunningEmulator, client_id: &str) -> String {
    let (ctx, _clock, _) = browser_context();
    let cred = DeviceCodeCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_client_id(client_id)
        .with_context(ctx)
        .with_prompt_callback(|_| {})
        .build()
        .unwrap();
    let scope = format!("api://{client_id}/.default");
    token(&cred, &scope)
        .await
        .unwrap()
        .token
        .expose_secret()
        .to_owned()
}

fn builder(
    emulator: &RunningEmulator,
    client_id: &str,
    assertion: &str,
    certificate: Option<ClientCertificate>,
) -> credential_interactive::OnBehalfOfCredentialBuilder {
    let (ctx, _clock, _) = browser_context();
    let tenant = emulator.tenant_id();
    match certificate {
        Some(certificate) => OnBehalfOfCredential::builder_with_certificate(
            tenant,
            client_id,
            certificate,
            assertion,
        ),
        None => OnBehalfOfCredential::builder_with_secret(
            tenant,
            client_id,
            emulator.client_secret(),
            assertion,
        ),
    }
    .with_authority_host(emulator.authority_host())
    .with_context(ctx)
}

#[tokio::test]
async fn a_client_secret_exchanges_the_users_token() {
    let emulator = emulator(InteractiveOptions::default().approval(Approval::AfterPolls(0))).await;
    let assertion = user_token(&emulator, emulator.client_id()).await;
    let cred = builder(&emulator, emulator.client_id(), &assertion, None)
        .build()
        .unwrap();
    let token = token(&cred, VAULT).await.unwrap();
    let c = claims(token.token.expose_secret());
    assert_eq!(c["preferred_username"], emulator.test_user().username);
    assert_eq!(c["appid"], emulator.client_id());
    assert_eq!(c["aud"], "https://vault.azure.net");
}

#[tokio::test]
async fn a_certificate_exchanges_the_users_token() {
    let emulator = Emulator::builder()
        .assertion_client("obo-api")
        .interactive(
            InteractiveOptions::default()
                .approval(Approval::AfterPolls(0))
                .device_code_interval(0),
        )
        .start()
        .await
        .unwrap();
    let assertion = user_token(&emulator, "obo-api").await;
    let certificate = ClientCertificate::from_bytes(CERT_PEM, None).unwrap();
    let cred = builder(&emulator, "obo-api", &assertion, Some(certificate))
        .build()
        .unwrap();
    let token = token(&cred, VAULT).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["oid"],
        emulator.test_user().object_id
    );
}

#[tokio::test]
async fn a_token_the_emulator_did_not_issue_is_refused() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let cred = builder(&emulator, emulator.client_id(), "e30.e30.forged", None)
        .build()
        .unwrap();
    let err = token(&cred, VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("invalid_grant"), "{err:?}");
}

#[tokio::test]
async fn tokens_are_cached_per_user_assertion() {
    let mut server = mockito::Server::new_async().await;
    let forms: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let sink = forms.clone();
    let _mock = server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .with_status(200)
        .with_body_from_request(move |request| {
            let form: BTreeMap<String, String> =
                url::form_urlencoded::parse(request.body().unwrap())
                    .into_owned()
                    .collect();
            let n = {
                let mut forms = sink.lock().unwrap();
                forms.push(form);
                forms.len()
            };
            format!(r#"{{"access_token":"token-{n}","expires_in":3600}}"#).into_bytes()
        })
        .create_async()
        .await;
    let ctx = ProviderContext::isolated()
        .with_http(Arc::new(credential_core::LoopbackOnlyHttpClient::real()));
    let alice =
        OnBehalfOfCredential::builder_with_secret("contoso", "api", "api-secret", "alice-token")
            .with_authority_host(server.url())
            .with_context(ctx)
            .build()
            .unwrap();
    let bob = alice.for_user("bob-token");
    assert_eq!(
        token(&alice, VAULT).await.unwrap().token.expose_secret(),
        "token-1"
    );
    assert_eq!(
        token(&alice, VAULT).await.unwrap().token.expose_secret(),
        "token-1"
    );
    assert_eq!(
        token(&bob, VAULT).await.unwrap().token.expose_secret(),
        "token-2"
    );
    assert_eq!(
        token(&alice, VAULT).await.unwrap().token.expose_secret(),
        "token-1"
    );
    let forms = forms.lock().unwrap();
    assert_eq!(forms.len(), 2, "one request per user");
    let first: Vec<(&str, &str)> = forms[0]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        first,
        [
            ("assertion", "alice-token"),
            ("client_id", "api"),
            ("client_secret", "api-secret"),
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("requested_token_use", "on_behalf_of"),
            ("scope", VAULT),
        ]
    );
    assert_eq!(forms[1]["assertion"], "bob-token");
}

#[test]
fn a_blank_secret_or_assertion_is_refused_at_build() {
    let err = OnBehalfOfCredential::builder_with_secret("t", "c", " ", "a")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("client secret is blank"), "{err}");
    let err = OnBehalfOfCredential::builder_with_secret("t", "c", "s", " ")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("user assertion is blank"), "{err}");
}
