//! Interactive browser: success through the emulator, the authorize URL,
//! state mismatch, an error redirect, a port in use, a failing launcher,
//! the timeout, and PKCE verification at the emulator.

use std::sync::Arc;
use std::time::Duration;

use credential_core::CredentialError;
use credential_interactive::{AuthenticationRecord, InteractiveBrowserCredential};
use keyvault_emulator::{InteractiveOptions, RunningEmulator};

use crate::common::*;

fn credential(emulator: &RunningEmulator, browser: Arc<Browser>) -> InteractiveBrowserCredential {
    let (ctx, _clock) = context(browser);
    InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_through_the_emulator_opens_one_browser_with_pkce() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let browser = Browser::new(BrowserMode::Simulated);
    let cred = credential(&emulator, browser.clone());
    let token = token(&cred, VAULT).await.unwrap();
    assert_eq!(
        claims(token.token.expose_secret())["preferred_username"],
        emulator.test_user().username
    );
    assert_eq!(browser.count(), 1);
    let request = browser.opened.lock().unwrap()[0].clone();
    let expected_opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "rundll32"
    } else {
        "xdg-open"
    };
    assert_eq!(request.program.to_str(), Some(expected_opener));
    let q = browser.last_query();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["prompt"], "select_account");
    assert_eq!(
        q["scope"],
        "https://vault.azure.net/.default offline_access openid profile"
    );
    assert!(q["redirect_uri"].starts_with("http://localhost:"), "{q:?}");
    assert!(q["state"].len() >= 16);
}

#[tokio::test]
async fn hints_and_prompt_reach_the_authorize_url() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let browser = Browser::new(BrowserMode::Simulated);
    let (ctx, _clock) = context(browser.clone());
    let cred = InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx)
        .with_login_hint("alice@contoso.com")
        .with_domain_hint("contoso.com")
        .with_prompt("login")
        .with_browser_command("/opt/my-browser")
        .build()
        .unwrap();
    token(&cred, VAULT).await.unwrap();
    let q = browser.last_query();
    assert_eq!(q["login_hint"], "alice@contoso.com");
    assert_eq!(q["domain_hint"], "contoso.com");
    assert_eq!(q["prompt"], "login");
    let request = browser.opened.lock().unwrap()[0].clone();
    assert_eq!(request.program.to_str(), Some("/opt/my-browser"));
    assert_eq!(request.args.len(), 1, "the URL is one argument");
}

#[tokio::test]
async fn a_state_mismatch_is_refused_and_nothing_is_redeemed() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let browser = Browser::new(BrowserMode::Redirect {
        query: "code=forged&state=attacker".to_owned(),
        keep_state: false,
    });
    let err = token(&credential(&emulator, browser), VAULT)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialError::Authentication { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("state did not match"), "{err}");
}

#[tokio::test]
async fn an_error_redirect_is_reported_with_its_code() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let browser = Browser::new(BrowserMode::Redirect {
        query: "error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent"
            .to_owned(),
        keep_state: true,
    });
    let err = token(&credential(&emulator, browser), VAULT)
        .await
        .unwrap_err();
    assert_eq!(oauth_error(&err), Some("access_denied"), "{err:?}");
    assert!(
        err.to_string().contains("User declined to consent"),
        "{err}"
    );
}

#[tokio::test]
async fn a_port_in_use_is_a_configuration_error() {
    let taken = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = taken.local_addr().unwrap().port();
    let browser = Browser::new(BrowserMode::Simulated);
    let (ctx, _clock) = context(browser.clone());
    let cred = InteractiveBrowserCredential::builder()
        .with_authority_host("http://127.0.0.1:1")
        .with_context(ctx)
        .with_redirect_port(port)
        .build()
        .unwrap();
    let err = token(&cred, VAULT).await.unwrap_err();
    assert!(
        matches!(err, CredentialError::InvalidConfiguration { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("port {port}")), "{err}");
    assert_eq!(browser.count(), 0, "no browser is opened");
}

#[tokio::test]
async fn a_launcher_that_is_missing_or_fails_makes_the_credential_unavailable() {
    let emulator = emulator(InteractiveOptions::default()).await;
    for mode in [BrowserMode::Missing, BrowserMode::Fails] {
        let err = token(&credential(&emulator, Browser::new(mode)), VAULT)
            .await
            .unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
        assert!(
            err.to_string().contains("could not open a browser"),
            "{err}"
        );
        assert!(err.to_string().contains("DeviceCodeCredential"), "{err}");
    }
}

#[tokio::test]
async fn no_sign_in_within_the_timeout_is_an_error() {
    let browser = Browser::new(BrowserMode::Idle);
    let (ctx, _clock) = context(browser);
    let cred = InteractiveBrowserCredential::builder()
        .with_authority_host("http://127.0.0.1:1")
        .with_context(ctx)
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = token(&cred, VAULT).await.unwrap_err();
    assert!(err.to_string().contains("no sign-in completed"), "{err}");
}

#[tokio::test]
async fn the_emulator_refuses_a_wrong_pkce_verifier() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let authority = format!(
        "{}/{}/oauth2/v2.0",
        emulator.vault_url(),
        emulator.tenant_id()
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The S256 challenge of the RFC 7636 example verifier.
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let redirect = "http://localhost:9/";
    let response = http
        .get(format!("{authority}/authorize"))
        .query(&[
            ("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "openid offline_access"),
            ("state", "s"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let redeem = |verifier: &'static str, code: String| {
        http.post(format!("{authority}/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let wrong = redeem("not-the-verifier-not-the-verifier-not-the-v", code.clone())
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&wrong.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"][0], 501481);
}

#[tokio::test]
async fn a_record_gives_the_login_hint_and_must_name_the_same_client() {
    let emulator = emulator(InteractiveOptions::default()).await;
    // A record as an application stores it (its JSON form).
    let record = AuthenticationRecord::from_json(&format!(
        r#"{{"authority":"login.microsoftonline.com","homeAccountId":"o.t",
            "clientId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","tenantId":"{}",
            "username":"carol@contoso.com","version":"1.0"}}"#,
        emulator.tenant_id()
    ))
    .unwrap();
    let browser = Browser::new(BrowserMode::Simulated);
    let (ctx, _clock) = context(browser.clone());
    let cred = InteractiveBrowserCredential::builder()
        .with_authority_host(emulator.authority_host())
        .with_context(ctx.clone())
        .with_authentication_record(record.clone())
        .build()
        .unwrap();
    token(&cred, VAULT).await.unwrap();
    assert_eq!(browser.last_query()["login_hint"], "carol@contoso.com");
    let path = browser.opened.lock().unwrap()[0]
        .args
        .last()
        .unwrap()
        .clone();
    assert!(
        path.contains(&format!("/{}/oauth2/v2.0/authorize", emulator.tenant_id())),
        "{path}"
    );

    let err = InteractiveBrowserCredential::builder()
        .with_client_id("another-client")
        .with_authentication_record(record)
        .with_context(ctx)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("another-client"), "{err}");
}

#[tokio::test]
async fn debug_shows_no_token() {
    let emulator = emulator(InteractiveOptions::default()).await;
    let cred = credential(&emulator, Browser::new(BrowserMode::Simulated));
    let token = token(&cred, VAULT).await.unwrap();
    let debug = format!("{cred:?}");
    assert!(!debug.contains(token.token.expose_secret()));
}
