//! Entra ID plumbing: authority hosts, tenants, scopes, token requests and
//! token responses (every shape in `docs/design-rules.md`, "Token responses").

#![allow(clippy::unwrap_used)]

use credential_core::__private::entra::{
    AllowedTenants, ClientAuthentication, ClientCredentialsRequest, merge_claims,
    parse_token_response, resolve_authority_host, resolve_tenant, scope_to_resource,
    token_endpoint, validate_scope, validate_tenant_id,
};
use credential_core::StatusCode;
use credential_core::{CredentialError, Env, Secret, TransportErrorKind};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use url::Url;

const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);
const C: &str = "TestCredential";

fn parse(status: u16, body: &str) -> Result<credential_core::AccessToken, CredentialError> {
    parse_token_response(C, status, body.as_bytes(), NOW)
}

#[test]
fn token_with_numeric_expires_in() {
    let token = parse(
        200,
        r#"{"token_type":"Bearer","access_token":"tok","expires_in":3599,"ext_expires_in":3599}"#,
    )
    .unwrap();
    assert_eq!(token.token.expose_secret(), "tok");
    assert_eq!(token.expires_on, NOW + Duration::seconds(3599));
    assert_eq!(token.refresh_on, None);
}

#[test]
fn token_with_string_expires_in_and_refresh_in() {
    let token = parse(
        200,
        r#"{"access_token":"tok","expires_in":"86399","refresh_in":"43199"}"#,
    )
    .unwrap();
    assert_eq!(token.expires_on, NOW + Duration::seconds(86399));
    assert_eq!(token.refresh_on, Some(NOW + Duration::seconds(43199)));
}

#[test]
fn long_lived_token_without_refresh_in_refreshes_at_half_life() {
    let token = parse(200, r#"{"access_token":"tok","expires_in":7200}"#).unwrap();
    assert_eq!(token.refresh_on, Some(NOW + Duration::hours(1)));
    let short = parse(200, r#"{"access_token":"tok","expires_in":7199}"#).unwrap();
    assert_eq!(short.refresh_on, None);
}

#[test]
fn absolute_expires_on_wins() {
    let on = (NOW + Duration::hours(1)).unix_timestamp();
    let token = parse(
        200,
        &format!(r#"{{"access_token":"tok","expires_in":10,"expires_on":"{on}"}}"#),
    )
    .unwrap();
    assert_eq!(token.expires_on, NOW + Duration::hours(1));
}

#[test]
fn malformed_json_is_unexpected_response_without_echo() {
    let err = parse(200, r#"{"access_token":"leaky-token", "#).unwrap_err();
    assert!(
        matches!(
            err,
            CredentialError::UnexpectedResponse {
                status: Some(StatusCode::OK),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("leaky-token"), "{err}");
}

#[test]
fn missing_fields_are_named() {
    let err = parse(200, r#"{"expires_in":3600}"#).unwrap_err();
    assert!(err.to_string().contains("no access_token"), "{err}");
    let err = parse(200, r#"{"access_token":"tok"}"#).unwrap_err();
    assert!(err.to_string().contains("expires_in"), "{err}");
    let err = parse(200, r#"{"access_token":"tok","expires_in":"soon"}"#).unwrap_err();
    assert!(err.to_string().contains("expires_in"), "{err}");
    let err = parse(200, r#"{"access_token":"","expires_in":1}"#).unwrap_err();
    assert!(err.to_string().contains("no access_token"), "{err}");
    let err = parse(200, r#"[1,2]"#).unwrap_err();
    assert!(matches!(err, CredentialError::UnexpectedResponse { .. }));
}

#[test]
fn entra_error_body_keeps_aadsts_code() {
    let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: abc\r\nCorrelation ID: def\r\nTimestamp: 2030-01-01 00:00:00Z","error_codes":[7000215],"timestamp":"2030-01-01 00:00:00Z","trace_id":"abc","correlation_id":"def"}"#;
    let err = parse(401, body).unwrap_err();
    let CredentialError::Authentication {
        status,
        oauth_error,
        error_code,
        description,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, Some(StatusCode::UNAUTHORIZED));
    assert_eq!(oauth_error.as_deref(), Some("invalid_client"));
    assert_eq!(error_code.as_deref(), Some("AADSTS7000215"));
    assert!(description.starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(!description.contains('\r'));
    assert!(!err.is_unavailable() && !err.is_transient());
    // The support ids are fields, also through a chain that stopped on it.
    assert_eq!(err.correlation_id(), Some("def"));
    assert_eq!(err.trace_id(), Some("abc"));
    assert_eq!(err.timestamp(), Some("2030-01-01 00:00:00Z"));
    let chain = CredentialError::chain_failed("Chain", vec![err.clone()], None);
    assert_eq!(chain.correlation_id(), Some("def"));
    // The request id is a field, shown once with the status and codes; the
    // message still ends with the next step.
    let tagged = err.with_request_id("rid-9");
    assert_eq!(tagged.request_id(), Some("rid-9"));
    assert_eq!(tagged.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(tagged.error_code(), Some("AADSTS7000215"));
    let text = tagged.to_string();
    assert!(
        text.starts_with(
            "TestCredential authentication failed (HTTP 401, invalid_client, AADSTS7000215; request id rid-9): "
        ),
        "{text}"
    );
    assert_eq!(text.matches("rid-9").count(), 1, "{text}");
    assert!(
        text.contains(" Next step: check the client secret given to"),
        "{text}"
    );
}

#[test]
fn troubleshooting_hints_name_the_variable_to_check() {
    let tenant = parse(
        400,
        r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.","error_codes":[90002]}"#,
    );
    let err = credential_core::__private::entra::parse_token_response(
        "EnvironmentCredential",
        400,
        br#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.","error_codes":[90002]}"#,
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap_err();
    assert!(
        err.to_string().ends_with("Next step: check AZURE_TENANT_ID: it must be the directory (tenant) id the app is registered in"),
        "{err}"
    );
    assert!(
        tenant
            .unwrap_err()
            .to_string()
            .contains("Next step: check the tenant id given to")
    );
    let federated = credential_core::__private::entra::parse_token_response(
        "WorkloadIdentityCredential",
        400,
        br#"{"error":"invalid_client","error_description":"AADSTS70021: No matching federated identity record found.","error_codes":[70021]}"#,
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap_err();
    assert!(
        federated.to_string().contains(
            "add a federated credential to the application or managed identity AZURE_CLIENT_ID"
        ),
        "{federated}"
    );
    // No hint for a code we know nothing about, and no diagnostics without ids.
    let unknown = parse(400, r#"{"error":"x","error_description":"AADSTS1: ?"}"#).unwrap_err();
    assert!(!unknown.to_string().contains("Next step"), "{unknown}");
    assert_eq!(unknown.correlation_id(), None);
}

#[test]
fn aadsts_code_from_description_when_codes_missing() {
    let err = parse(
        400,
        r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#,
    )
    .unwrap_err();
    let CredentialError::Authentication { error_code, .. } = &err else {
        panic!()
    };
    assert_eq!(error_code.as_deref(), Some("AADSTS90002"));
}

#[test]
fn non_json_error_bodies() {
    let err = parse(400, "<html>bad</html>").unwrap_err();
    assert!(matches!(
        err,
        CredentialError::Authentication {
            status: Some(StatusCode::BAD_REQUEST),
            ..
        }
    ));
    assert!(err.to_string().contains("invalid"), "{err}");
    let err = parse(403, "").unwrap_err();
    assert!(err.to_string().contains("no details"), "{err}");
}

#[test]
fn server_errors_are_transient_transport_errors() {
    for status in [500, 502, 503, 504, 429, 408] {
        let err = parse(status, r#"{"error":"temporarily_unavailable"}"#).unwrap_err();
        let CredentialError::Transport { kind, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            *kind,
            TransportErrorKind::Status(StatusCode::from_u16(status).unwrap())
        );
        assert!(err.is_transient());
    }
}

#[test]
fn authority_host_resolution() {
    let none = Env::empty();
    assert_eq!(
        resolve_authority_host(C, None, &none).unwrap().as_str(),
        "https://login.microsoftonline.com/"
    );
    let china = Env::from_pairs([("AZURE_AUTHORITY_HOST", "https://login.chinacloudapi.cn/")]);
    assert_eq!(
        resolve_authority_host(C, None, &china).unwrap().as_str(),
        "https://login.chinacloudapi.cn/"
    );
    // The explicit option wins over the variable.
    assert_eq!(
        resolve_authority_host(C, Some("https://login.microsoftonline.us"), &china)
            .unwrap()
            .as_str(),
        "https://login.microsoftonline.us/"
    );
    // Loopback may be plain http (emulators).
    assert_eq!(
        resolve_authority_host(C, Some("http://127.0.0.1:8080"), &none)
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8080/"
    );
    let err = resolve_authority_host(C, Some("http://login.example.com"), &none).unwrap_err();
    assert!(matches!(err, CredentialError::InvalidConfiguration { .. }));
    assert!(err.to_string().contains("must use https"), "{err}");
    assert!(resolve_authority_host(C, Some("https://"), &none).is_err());
    assert!(resolve_authority_host(C, Some("ftp://x"), &none).is_err());
}

#[test]
fn tenant_validation() {
    for ok in [
        "contoso.onmicrosoft.com",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "organizations",
        "adfs",
    ] {
        validate_tenant_id(C, ok).unwrap();
    }
    for bad in ["", "a b", "a;b", "a/b", "t\n", "'t'", "ténant", "a_b"] {
        let err = validate_tenant_id(C, bad).unwrap_err();
        assert!(
            matches!(err, CredentialError::InvalidConfiguration { .. }),
            "{bad}"
        );
    }
}

#[test]
fn scope_validation_and_resource() {
    validate_scope(C, "https://vault.azure.net/.default").unwrap();
    validate_scope(C, "api://my_app-1/.default").unwrap();
    for bad in ["", "a b", "x;rm -rf /", "a\"b", "a'b", "a\nb", "$(id)"] {
        assert!(validate_scope(C, bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        scope_to_resource("https://management.azure.com/.default"),
        "https://management.azure.com"
    );
    assert_eq!(
        scope_to_resource("https://management.azure.com/"),
        "https://management.azure.com/"
    );
}

#[test]
fn token_endpoint_paths() {
    let host = Url::parse("https://login.microsoftonline.com/").unwrap();
    assert_eq!(
        token_endpoint(&host, "contoso").as_str(),
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    );
    assert_eq!(
        token_endpoint(&host, "adfs").as_str(),
        "https://login.microsoftonline.com/adfs/oauth2/token"
    );
    let with_tenant = Url::parse("https://login.example.com/contoso/").unwrap();
    assert_eq!(
        token_endpoint(&with_tenant, "contoso").as_str(),
        "https://login.example.com/contoso/oauth2/v2.0/token"
    );
    let local = Url::parse("http://127.0.0.1:9000/").unwrap();
    assert_eq!(
        token_endpoint(&local, "t").as_str(),
        "http://127.0.0.1:9000/t/oauth2/v2.0/token"
    );
}

#[test]
fn multi_tenant_rules() {
    let env = Env::empty();
    let none = AllowedTenants::default();
    assert_eq!(
        resolve_tenant(C, Some("home"), None, &none, &env)
            .unwrap()
            .as_deref(),
        Some("home")
    );
    assert_eq!(
        resolve_tenant(C, Some("home"), Some("home"), &none, &env)
            .unwrap()
            .as_deref(),
        Some("home")
    );
    let err = resolve_tenant(C, Some("home"), Some("other"), &none, &env).unwrap_err();
    assert!(matches!(err, CredentialError::Authentication { .. }));
    assert!(
        err.to_string().contains("'other'") && err.to_string().contains("additionally allowed"),
        "{err}"
    );
    let listed = AllowedTenants::parse("a; other ;b");
    assert_eq!(
        resolve_tenant(C, Some("home"), Some("other"), &listed, &env)
            .unwrap()
            .as_deref(),
        Some("other")
    );
    let any = AllowedTenants::parse("x;*");
    assert_eq!(
        resolve_tenant(C, Some("home"), Some("zzz"), &any, &env)
            .unwrap()
            .as_deref(),
        Some("zzz")
    );
    let disabled = Env::from_pairs([("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "true")]);
    assert_eq!(
        resolve_tenant(C, Some("home"), Some("other"), &none, &disabled)
            .unwrap()
            .as_deref(),
        Some("home")
    );
    assert!(resolve_tenant(C, Some("home"), Some("bad tenant"), &any, &env).is_err());
}

#[test]
fn client_secret_request_form() {
    let endpoint = Url::parse("https://login.microsoftonline.com/t/oauth2/v2.0/token").unwrap();
    let auth = ClientAuthentication::Secret(Secret::new("s3cret&=x"));
    let request = ClientCredentialsRequest {
        endpoint,
        client_id: "cid",
        scopes: &["https://vault.azure.net/.default", "b"],
        claims: None,
        enable_cae: false,
        authentication: &auth,
    }
    .to_http_request();
    assert_eq!(request.method, reqwest::Method::POST);
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let body = std::str::from_utf8(request.body.as_ref().unwrap()).unwrap();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        fields,
        [
            ("client_id".into(), "cid".into()),
            ("scope".into(), "https://vault.azure.net/.default b".into()),
            ("grant_type".into(), "client_credentials".into()),
            ("client_secret".into(), "s3cret&=x".into()),
        ]
    );
    assert!(!format!("{request:?}").contains("s3cret"));
}

#[test]
fn assertion_request_form_with_cae_claims() {
    let endpoint = Url::parse("https://login.microsoftonline.com/t/oauth2/v2.0/token").unwrap();
    let auth = ClientAuthentication::Assertion(Secret::new("eyJhbGciOi"));
    let request = ClientCredentialsRequest {
        endpoint,
        client_id: "cid",
        scopes: &["s"],
        claims: None,
        enable_cae: true,
        authentication: &auth,
    }
    .to_http_request();
    let body = std::str::from_utf8(request.body.as_ref().unwrap()).unwrap();
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(
        fields["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(fields["client_assertion"], "eyJhbGciOi");
    assert_eq!(
        fields["claims"],
        r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#
    );
}

#[test]
fn claims_merge() {
    assert_eq!(merge_claims(None, false), None);
    assert_eq!(merge_claims(Some(" "), false), None);
    let merged = merge_claims(
        Some(r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#),
        true,
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_str(&merged).unwrap();
    assert_eq!(value["access_token"]["nbf"]["value"], "1");
    assert_eq!(value["access_token"]["xms_cc"]["values"][0], "cp1");
}
