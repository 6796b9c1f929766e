//! Device code requests on the wire and the polling schedule, with time
//! paused: `slow_down` adds 5 s, the server's interval is honoured.

use std::sync::Arc;
use std::time::Duration;

use credential_core::ProviderContext;
use credential_interactive::DeviceCodeCredential;

use crate::common::*;

const DEVICE: &str = r#"{"device_code":"dc","user_code":"ABC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"Go and enter ABC"}"#;
const TOKEN: &str = r#"{"access_token":"at","expires_in":3600,"refresh_token":"rt"}"#;

fn credential(http: Arc<Scripted>) -> DeviceCodeCredential {
    DeviceCodeCredential::builder()
        .with_context(ProviderContext::isolated().with_http(http))
        .with_prompt_callback(|_| {})
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn slow_down_adds_five_seconds_and_the_requests_are_as_the_references() {
    let http = Scripted::new(&[
        (200, DEVICE),
        (400, &oauth_body("authorization_pending")),
        (400, &oauth_body("slow_down")),
        (400, &oauth_body("authorization_pending")),
        (200, TOKEN),
    ]);
    let cred = credential(http.clone());
    let start = tokio::time::Instant::now();
    let token = token(&cred, VAULT).await.unwrap();
    assert_eq!(token.token.expose_secret(), "at");
    // 5 (pending) + 5 (slow_down) + 10 (pending) + 10 (success).
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    let forms = http.forms();
    assert_eq!(forms.len(), 5);
    assert_eq!(forms[0].0, "/organizations/oauth2/v2.0/devicecode");
    assert_eq!(
        forms[0].1.get("scope").map(String::as_str),
        Some("https://vault.azure.net/.default offline_access openid profile")
    );
    assert_eq!(
        forms[0].1.get("client_id").map(String::as_str),
        Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
    );
    assert_eq!(forms[1].0, "/organizations/oauth2/v2.0/token");
    let poll: Vec<(&str, &str)> = forms[1]
        .1
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        poll,
        [
            ("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
            ("client_info", "1"),
            ("device_code", "dc"),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_code_that_outlives_its_lifetime_stops_polling() {
    let device = DEVICE.replace("\"expires_in\":900", "\"expires_in\":10");
    let http = Scripted::new(&[
        (200, &device),
        (400, &oauth_body("authorization_pending")),
        (400, &oauth_body("authorization_pending")),
    ]);
    let err = token(&credential(http.clone()), VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("expired_token"), "{err:?}");
    assert_eq!(
        http.forms().len(),
        3,
        "two polls in ten seconds, then no more"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_oauth_error_stops_with_the_endpoints_error() {
    let http = Scripted::new(&[(200, DEVICE), (400, &oauth_body("invalid_client"))]);
    let err = token(&credential(http), VAULT).await.unwrap_err();
    assert_eq!(oauth_error(&err), Some("invalid_client"), "{err:?}");
}

#[tokio::test]
async fn a_device_code_answer_without_a_code_is_unexpected() {
    let http = Scripted::new(&[(200, r#"{"user_code":"A","verification_uri":"u"}"#)]);
    let err = token(&credential(http), VAULT).await.unwrap_err();
    assert!(err.to_string().contains("no device_code"), "{err}");
}

#[tokio::test]
async fn a_tenant_that_is_not_allowed_is_refused_before_any_request() {
    let http = Scripted::new(&[]);
    let cred = credential(http.clone());
    let options = credential_core::TokenRequestOptions::default().with_tenant_id("fabrikam");
    let err = credential_core::TokenCredential::get_token(&cred, &[VAULT], &options)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("fabrikam"), "{err}");
    assert!(http.forms().is_empty());
}

#[tokio::test(start_paused = true)]
async fn tokens_and_codes_stay_out_of_logs_debug_and_errors() {
    let logs = credential_core::test_util::LogCapture::start();
    let body = r#"{"access_token":"at-SECRET-1","expires_in":3600,"refresh_token":"rt-SECRET-2"}"#;
    let device = DEVICE.replace("\"dc\"", "\"dc-SECRET-3\"");
    let http = Scripted::new(&[
        (200, &device),
        (200, body),
        (
            400,
            r#"{"error":"invalid_grant","error_description":"AADSTS50173: revoked"}"#,
        ),
    ]);
    let cred = DeviceCodeCredential::builder()
        .with_context(ProviderContext::isolated().with_http(http.clone()))
        .with_prompt_callback(|_| {})
        .with_automatic_authentication(false)
        .build()
        .unwrap();
    cred.authenticate(&[VAULT]).await.unwrap();
    assert_eq!(
        token(&cred, VAULT).await.unwrap().token.expose_secret(),
        "at-SECRET-1"
    );
    // Another scope: the refresh token is refused and prompting is off.
    let err = token(&cred, STORAGE).await.unwrap_err();
    assert!(err.to_string().contains("sign in again"), "{err}");
    let forms = http.forms();
    assert_eq!(forms.len(), 3);
    let refresh = &forms[2].1;
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["refresh_token"], "rt-SECRET-2");
    assert_eq!(
        refresh["scope"],
        "https://storage.azure.com/.default offline_access openid profile"
    );
    let shown = format!("{err} {err:?} {cred:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    logs.assert_absent(&["SECRET"]);
}
