//! The 401 challenge, the token endpoint, the IMDS endpoint and token checks.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use keyvault_emulator::{Emulator, RunningEmulator};

/// Status, headers and JSON body of a response, as `common::send` returns.
type Response = (u16, reqwest::header::HeaderMap, serde_json::Value);

/// A `client_credentials` form body with a client secret.
fn client_secret_form(client_id: &str, client_secret: &str, scope: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret)
        .append_pair("scope", scope)
        .finish()
}

/// Posts the form `body` to `token_url`.
async fn post_form(http: &reqwest::Client, token_url: &str, body: String) -> Response {
    common::send(
        http.post(token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

/// Lists the secrets of `emulator`, presenting `token`.
async fn list_secrets(http: &reqwest::Client, emulator: &RunningEmulator, token: &str) -> Response {
    common::send(
        http.get(common::url(emulator, "/secrets"))
            .bearer_auth(token),
    )
    .await
}

/// Asserts `response` carries `status` and the Key Vault error `code`;
/// `case` names the request in the failure message.
fn assert_error_code(case: &str, response: &Response, status: u16, code: &str) {
    let (actual, _, body) = response;
    assert_eq!(
        (*actual, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{case}: {body}"
    );
}

#[tokio::test]
async fn request_without_token_gets_the_key_vault_challenge() {
    let emulator = Emulator::builder()
        .tenant_id("tenant-a")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let (status, headers, body) =
        common::send(http.put(common::url(&emulator, "/secrets/x"))).await;
    assert_eq!(status, 401);
    assert_eq!(
        headers["www-authenticate"].to_str().unwrap(),
        format!(
            "Bearer authorization=\"{}/tenant-a\", resource=\"{}\"",
            emulator.authority_host(),
            emulator.vault_url()
        )
    );
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        body,
        serde_json::json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token."}})
    );
    // A garbage token is refused with the same challenge.
    let (status, headers, body) = list_secrets(&http, &emulator, "not-a-jwt").await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(body["error"]["code"], "Unauthorized");
    emulator.shutdown().await;
}

#[tokio::test]
async fn challenge_resource_can_be_overridden_and_vault_azure_net_is_accepted() {
    let emulator = Emulator::builder()
        .challenge_resource("https://vault.azure.net")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let (_, headers, _) = common::send(http.get(common::url(&emulator, "/secrets"))).await;
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .ends_with("resource=\"https://vault.azure.net\"")
    );
    let body = client_secret_form(
        emulator.client_id(),
        emulator.client_secret(),
        "https://vault.azure.net/.default",
    );
    let (status, _, json) = post_form(&http, &emulator.token_endpoint(), body).await;
    assert_eq!(status, 200);
    assert_eq!(json["token_type"], "Bearer");
    assert!(json["expires_in"].as_i64().unwrap() > 3000);
    let token = json["access_token"].as_str().unwrap();
    let (status, _, json) = list_secrets(&http, &emulator, token).await;
    assert_eq!(status, 200);
    assert_eq!(json, serde_json::json!({"value": [], "nextLink": null}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn token_for_another_audience_is_refused() {
    let emulator = Emulator::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let body = client_secret_form(
        emulator.client_id(),
        emulator.client_secret(),
        "https://storage.azure.com/.default",
    );
    let (_, _, json) = post_form(&http, &emulator.token_endpoint(), body).await;
    let (status, _, body) =
        list_secrets(&http, &emulator, json["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid audience")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn bad_client_secret_gets_the_entra_error() {
    let emulator = Emulator::builder()
        .client("app-1", "right")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let form = |secret: &str, client: &str| {
        client_secret_form(client, secret, "https://vault.azure.net/.default")
    };
    let token_url = emulator.token_endpoint();
    let (status, headers, json) = post_form(&http, &token_url, form("wrong", "app-1")).await;
    assert_eq!(status, 401);
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(json["error"], "invalid_client");
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );
    assert_eq!(json["error_codes"], serde_json::json!([7000215]));
    assert!(json["trace_id"].is_string() && json["correlation_id"].is_string());
    assert!(
        !json.to_string().contains("right"),
        "the real secret is never echoed"
    );

    let (status, _, json) = post_form(&http, &token_url, form("right", "unknown-app")).await;
    assert_eq!(status, 400);
    assert_eq!(json["error"], "unauthorized_client");
    assert_eq!(json["error_codes"], serde_json::json!([700016]));

    // Wrong tenant in the path.
    let other_tenant = format!(
        "{}/other-tenant/oauth2/v2.0/token",
        emulator.authority_host()
    );
    let (status, _, json) = post_form(&http, &other_tenant, form("right", "app-1")).await;
    assert_eq!(status, 400);
    assert_eq!(json["error_codes"], serde_json::json!([90002]));

    // A scope without /.default.
    let body = client_secret_form("app-1", "right", "https://vault.azure.net");
    let (status, _, json) = post_form(&http, &token_url, body).await;
    assert_eq!(status, 400);
    assert_eq!(json["error"], "invalid_scope");
    emulator.shutdown().await;
}

#[tokio::test]
async fn client_assertion_is_accepted_for_a_configured_client() {
    use base64::Engine;
    let emulator = Emulator::builder()
        .assertion_client("cert-app")
        .start()
        .await
        .unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let assertion = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"PS256","typ":"JWT"}"#),
        b64(r#"{"iss":"cert-app","sub":"cert-app","exp":99999999999}"#),
        b64("signature")
    );
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", "cert-app")
        .append_pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .append_pair("client_assertion", &assertion)
        .append_pair("scope", &format!("{}/.default", emulator.vault_url()))
        .finish();
    let http = reqwest::Client::new();
    let (status, _, json) = post_form(&http, &emulator.token_endpoint(), body).await;
    assert_eq!(status, 200, "{json}");
    let (status, _, _) =
        list_secrets(&http, &emulator, json["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn imds_endpoint_needs_the_metadata_header() {
    let emulator = Emulator::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let imds = format!(
        "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}",
        emulator.imds_endpoint(),
        emulator.vault_url()
    );
    let (status, _, json) = common::send(http.get(&imds)).await;
    assert_eq!(status, 400);
    assert_eq!(
        json,
        serde_json::json!({"error": "invalid_request", "error_description": "Required metadata header not specified"})
    );
    // The JS-style probe (no query, no header) also gets an HTTP answer.
    let (status, _, _) = common::send(http.get(format!(
        "{}/metadata/identity/oauth2/token",
        emulator.imds_endpoint()
    )))
    .await;
    assert_eq!(status, 400);

    let (status, _, json) = common::send(http.get(&imds).header("Metadata", "true")).await;
    assert_eq!(status, 200);
    for field in [
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
    ] {
        assert!(json[field].is_string(), "{field} is a string: {json}");
    }
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["resource"], emulator.vault_url());
    assert_eq!(json["client_id"], emulator.managed_identity_client_id());
    let (status, _, _) =
        list_secrets(&http, &emulator, json["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // An unknown user-assigned identity.
    let (status, _, json) = common::send(
        http.get(format!("{imds}&client_id=someone-else"))
            .header("Metadata", "true"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(json["error_description"], "Identity not found");
    emulator.shutdown().await;
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let emulator = Emulator::builder()
        .token_lifetime(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token = common::token(&emulator).await;
    let (status, headers, body) = list_secrets(&http, &emulator, &token).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    // Longer-lived tokens issued later work.
    emulator.set_token_lifetime(Duration::from_secs(600));
    let token = common::token(&emulator).await;
    let (status, _, _) = list_secrets(&http, &emulator, &token).await;
    assert_eq!(status, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn openid_configuration_points_at_the_token_endpoint() {
    let emulator = Emulator::builder().start().await.unwrap();
    let (status, _, json) = common::send(reqwest::Client::new().get(format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        emulator.authority_host(),
        emulator.tenant_id()
    )))
    .await;
    assert_eq!(status, 200);
    assert_eq!(json["token_endpoint"], emulator.token_endpoint());
    assert_eq!(
        json["issuer"],
        format!(
            "{}/{}/v2.0",
            emulator.authority_host(),
            emulator.tenant_id()
        )
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn service_errors_match_the_recordings() {
    let emulator = Emulator::builder().start().await.unwrap();
    let token = common::token(&emulator).await;
    let http = reqwest::Client::new();
    let (status, _, body) = common::send(
        http.get(common::url(&emulator, "/secrets/missing/"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "SecretNotFound");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A secret with (name/id) missing was not found in this key vault.")
    );
    let rejected = [
        (
            "PUT without a name",
            http.put(common::url(&emulator, "/secrets/"))
                .header("content-type", "application/json")
                .body(r#"{"value":"v"}"#),
            405,
            "MethodNotAllowed",
        ),
        (
            "PUT with an invalid name",
            http.put(common::url(&emulator, "/secrets/bad_name"))
                .body(r#"{"value":"v"}"#),
            400,
            "BadParameter",
        ),
        (
            "PUT without a value",
            http.put(common::url(&emulator, "/secrets/ok"))
                .body(r#"{"contentType":"x"}"#),
            400,
            "BadParameter",
        ),
        (
            "GET without api-version",
            http.get(format!("{}/secrets", emulator.vault_url())),
            400,
            "BadParameter",
        ),
        (
            "GET with an unsupported api-version",
            http.get(format!(
                "{}/secrets?api-version=2016-10-01",
                emulator.vault_url()
            )),
            400,
            "BadParameter",
        ),
    ];
    for (case, request, status, code) in rejected {
        let response = common::send(request.bearer_auth(&token)).await;
        assert_error_code(case, &response, status, code);
    }
    // Versions of a name that does not exist: 200 with an empty page.
    let (status, _, body) = common::send(
        http.get(common::url(
            &emulator,
            "/secrets/nothing/versions?maxresults=1",
        ))
        .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"value": [], "nextLink": null}));
    // outContentType on a plain secret, as recorded.
    common::send(
        http.put(common::url(&emulator, "/secrets/plain"))
            .bearer_auth(&token)
            .body(r#"{"value":"v","attributes":{}}"#),
    )
    .await;
    let (status, _, body) = common::send(
        http.get(format!(
            "{}/secrets/plain/?api-version=2025-07-01&outContentType=application%2Fx-pem-file",
            emulator.vault_url()
        ))
        .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "The 'Unsupported' to 'PEM' transformation is not supported. Only PFX to PEM transformation is supported."
    );
    // Paging: nextLink is absolute, carries api-version and $skiptoken.
    common::send(
        http.put(common::url(&emulator, "/secrets/second"))
            .bearer_auth(&token)
            .body(r#"{"value":"v"}"#),
    )
    .await;
    let (status, _, body) = common::send(
        http.get(common::url(&emulator, "/secrets?maxresults=1"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        body["value"][0]["id"],
        format!("{}/secrets/plain", emulator.vault_url())
    );
    let next = body["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}/secrets?api-version=2025-07-01&$skiptoken=",
            emulator.vault_url()
        )),
        "{next}"
    );
    let (_, _, body) = common::send(http.get(next).bearer_auth(&token)).await;
    assert_eq!(
        body["value"][0]["id"],
        format!("{}/secrets/second", emulator.vault_url())
    );
    assert!(body["nextLink"].is_null());
    emulator.shutdown().await;
}
