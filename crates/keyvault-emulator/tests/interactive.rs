//! User sign-in on the token issuer, on the wire: device code states,
//! `/authorize` and its redirect, refresh token rotation and revocation,
//! and user tokens the vault accepts.

use crate::common;

use keyvault_emulator::{Approval, Emulator, InteractiveOptions, RunningEmulator};

const DEV_CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
type Response = (u16, reqwest::header::HeaderMap, serde_json::Value);

async fn start(options: InteractiveOptions) -> RunningEmulator {
    Emulator::builder()
        .interactive(options)
        .start()
        .await
        .unwrap()
}

async fn post(emulator: &RunningEmulator, path: &str, form: &[(&str, &str)]) -> Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    common::send(
        reqwest::Client::new()
            .post(format!("{}{path}", emulator.vault_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

async fn device_code(emulator: &RunningEmulator) -> serde_json::Value {
    let (status, _, body) = post(
        emulator,
        "/organizations/oauth2/v2.0/devicecode",
        &[
            ("client_id", DEV_CLIENT),
            (
                "scope",
                "https://vault.azure.net/.default offline_access openid profile",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn poll(emulator: &RunningEmulator, device_code: &str) -> Response {
    post(
        emulator,
        "/organizations/oauth2/v2.0/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", DEV_CLIENT),
            ("device_code", device_code),
        ],
    )
    .await
}

#[tokio::test]
async fn device_code_is_pending_until_approved_after_n_polls() {
    let emulator = start(
        InteractiveOptions::default()
            .approval(Approval::AfterPolls(2))
            .device_code_interval(0),
    )
    .await;
    let code = device_code(&emulator).await;
    assert_eq!(code["interval"], 0);
    assert_eq!(code["expires_in"], 900);
    let device = code["device_code"].as_str().unwrap();
    for _ in 0..2 {
        let (status, _, body) = poll(&emulator, device).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("authorization_pending"))
        );
    }
    let (status, _, body) = poll(&emulator, device).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string() && body["id_token"].is_string());
    // The user's token opens the vault.
    let token = body["access_token"].as_str().unwrap();
    let (status, _, _) = common::send(
        reqwest::Client::new()
            .get(common::url(&emulator, "/secrets"))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, 200);
    // A redeemed code is gone.
    let (_, _, body) = poll(&emulator, device).await;
    assert_eq!(body["error"], "bad_verification_code");
}

#[tokio::test]
async fn polling_faster_than_the_interval_gets_slow_down() {
    let emulator = start(InteractiveOptions::default().device_code_interval(5)).await;
    let code = device_code(&emulator).await;
    let (_, _, body) = poll(&emulator, code["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "slow_down");
}

#[tokio::test]
async fn manual_approval_decline_and_expiry() {
    let emulator = start(
        InteractiveOptions::default()
            .approval(Approval::Manual)
            .device_code_interval(0),
    )
    .await;
    let code = device_code(&emulator).await;
    let device = code["device_code"].as_str().unwrap();
    let (_, _, body) = poll(&emulator, device).await;
    assert_eq!(body["error"], "authorization_pending");
    let (status, _, _) = post(
        &emulator,
        "/admin/devicecode/decline",
        &[("user_code", code["user_code"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, body) = poll(&emulator, device).await;
    assert_eq!(body["error"], "authorization_declined");
    let (status, _, _) = post(
        &emulator,
        "/admin/devicecode/approve",
        &[("user_code", "NOPE")],
    )
    .await;
    assert_eq!(status, 404);

    let expiring = start(
        InteractiveOptions::default()
            .device_code_lifetime(0)
            .device_code_interval(0),
    )
    .await;
    let code = device_code(&expiring).await;
    let (_, _, body) = poll(&expiring, code["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "expired_token");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_can_be_revoked() {
    let emulator = start(
        InteractiveOptions::default()
            .approval(Approval::AfterPolls(0))
            .device_code_interval(0),
    )
    .await;
    let code = device_code(&emulator).await;
    let (_, _, body) = poll(&emulator, code["device_code"].as_str().unwrap()).await;
    let first = body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let emulator = &emulator;
        async move {
            post(
                emulator,
                "/organizations/oauth2/v2.0/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", DEV_CLIENT),
                    ("refresh_token", &token),
                    ("scope", "https://storage.azure.com/.default offline_access"),
                ],
            )
            .await
        }
    };
    let (status, _, body) = refresh(first.clone()).await;
    assert_eq!(status, 200, "{body}");
    let second = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (_, _, body) = refresh(first).await;
    assert_eq!(
        body["error"], "invalid_grant",
        "a used refresh token is refused"
    );
    let (status, _, body) = post(&emulator, "/admin/refresh-tokens/revoke", &[]).await;
    assert_eq!((status, body["revoked"].as_u64()), (200, Some(1)));
    let (_, _, body) = refresh(second).await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"][0], 50173);
}

#[tokio::test]
async fn authorize_redirects_with_code_and_state_or_an_error() {
    let emulator = start(InteractiveOptions::default()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!(
        "{}/{}/oauth2/v2.0/authorize",
        emulator.vault_url(),
        emulator.tenant_id()
    );
    let location = |query: &[(&str, &str)]| {
        let request = http.get(&authorize).query(query);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 302);
            url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
        }
    };
    let base = [
        ("client_id", DEV_CLIENT),
        ("response_type", "code"),
        ("redirect_uri", "http://localhost:1234"),
        ("state", "xyz"),
    ];
    let mut with_pkce = base.to_vec();
    with_pkce.extend([("code_challenge", "abc"), ("code_challenge_method", "S256")]);
    let ok = location(&with_pkce).await;
    let q: std::collections::HashMap<_, _> = ok.query_pairs().into_owned().collect();
    assert_eq!(ok.port(), Some(1234));
    assert_eq!(q["state"], "xyz");
    assert!(!q["code"].is_empty());
    // A public client without PKCE is refused, by redirect.
    let refused = location(&base).await;
    let q: std::collections::HashMap<_, _> = refused.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "xyz");
}
