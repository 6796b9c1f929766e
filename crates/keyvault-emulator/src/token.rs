//! The token issuer: an Entra-style `POST /{tenant}/oauth2/v2.0/token`
//! (client credentials with a secret or an assertion), an IMDS-style
//! `GET /metadata/identity/oauth2/token`, and the discovery documents
//! MSAL-based SDKs fetch.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Response, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::state::AppState;
use crate::wire::{entra_error, imds_error, json_response};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) fn timestamp(state: &AppState) -> String {
    state
        .clock
        .now()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
        .replace('T', " ")
}

/// Checks a client assertion: three base64url parts, a JSON payload whose
/// `iss`/`sub` (when present) are the client id and whose `exp` (when
/// present) is in the future. Signatures are not checked (the emulator
/// has no registered certificates).
pub(crate) fn check_assertion(
    assertion: &str,
    client_id: &str,
    now: i64,
) -> Result<(), (u32, String)> {
    let parts: Vec<&str> = assertion.trim().split('.').collect();
    let payload = (parts.len() == 3)
        .then(|| URL_SAFE_NO_PAD.decode(parts[1].trim_end_matches('=')).ok())
        .flatten()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(Value::is_object)
        .ok_or_else(|| (50027, "JWT token is invalid or malformed.".to_owned()))?;
    for claim in ["iss", "sub"] {
        if let Some(v) = payload.get(claim).and_then(Value::as_str)
            && v != client_id
        {
            return Err((
                700021,
                format!(
                    "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials ('{claim}' is '{v}')."
                ),
            ));
        }
    }
    if let Some(exp) = payload.get("exp").and_then(Value::as_i64)
        && exp <= now
    {
        return Err((
            700024,
            "Client assertion is not within its valid time range.".to_owned(),
        ));
    }
    Ok(())
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn entra_token(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response<Body> {
    if let Some(response) = crate::interactive_grants::token_grant(&state, &tenant, &body) {
        return response;
    }
    let ts = timestamp(&state);
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if !tenant.eq_ignore_ascii_case(&state.tenant_id) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. This emulator serves tenant '{}'.",
                state.tenant_id
            ),
            &ts,
        );
    }
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!(
                    "The app requested an unsupported grant type '{other}'. The emulator supports client_credentials only."
                ),
                &ts,
            );
        }
        None => {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
                &ts,
            );
        }
    }
    let Some(client_id) = field("client_id") else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
            &ts,
        );
    };
    let Some(scope) = field("scope") else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
            &ts,
        );
    };
    let resource = scope.split_whitespace().next().unwrap_or_default();
    let Some(resource) = resource.strip_suffix("/.default") else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
            &ts,
        );
    };
    let secret_client = state.clients.iter().find(|(id, _)| id == client_id);
    let assertion_ok =
        secret_client.is_some() || state.assertion_clients.iter().any(|id| id == client_id);
    if !assertion_ok {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                state.tenant_id
            ),
            &ts,
        );
    }
    match (field("client_secret"), field("client_assertion")) {
        (Some(secret), _) => {
            let matches = secret_client.is_some_and(|(_, s)| s.expose_secret() == secret);
            if !matches {
                return entra_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    &format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                    &ts,
                );
            }
        }
        (None, Some(assertion)) => {
            if field("client_assertion_type") != Some(JWT_BEARER) {
                return entra_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    50026,
                    &format!("The 'client_assertion_type' must be '{JWT_BEARER}'."),
                    &ts,
                );
            }
            if let Err((code, message)) = check_assertion(assertion, client_id, state.now()) {
                return entra_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    code,
                    &message,
                    &ts,
                );
            }
        }
        (None, None) => {
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                &ts,
            );
        }
    }
    let (token, exp) = state.tokens.issue(resource, client_id, state.now());
    let expires_in = (exp - state.now()).max(0);
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }),
    )
}

/// `GET /metadata/identity/oauth2/token` (IMDS).
pub(crate) async fn imds_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let metadata = headers
        .get("metadata")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !metadata {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    let q: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if get("api-version").is_none() {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    let Some(resource) = get("resource") else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    if let Some(id) = get("client_id")
        && !id.eq_ignore_ascii_case(&state.managed_identity_client_id)
    {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    }
    let resource = resource.strip_suffix("/.default").unwrap_or(resource);
    let now = state.now();
    let (token, exp) = state
        .tokens
        .issue(resource, &state.managed_identity_client_id, now);
    let expires_in = (exp - now).max(0);
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "client_id": state.managed_identity_client_id,
            "expires_in": expires_in.to_string(),
            "expires_on": exp.to_string(),
            "ext_expires_in": expires_in.to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    )
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration` (and the v1 path).
pub(crate) async fn openid_configuration(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
) -> Response<Body> {
    let base = format!("{}/{tenant}", state.origin);
    json_response(
        StatusCode::OK,
        &json!({
            "token_endpoint": format!("{base}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{base}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("{}/{}/v2.0", state.origin, state.tenant_id),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": format!("{base}/openid/userinfo"),
            "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver", "appid", "oid"],
            "tenant_region_scope": "emulator",
            "cloud_instance_name": "emulator.local",
            "cloud_graph_host_name": "graph.emulator.local",
            "msgraph_host": "graph.emulator.local",
        }),
    )
}

/// `GET /{tenant}/discovery/v2.0/keys`: empty (tokens are HMAC-signed).
pub(crate) async fn jwks() -> Response<Body> {
    json_response(StatusCode::OK, &json!({ "keys": [] }))
}

/// `GET /common/discovery/instance` (MSAL instance discovery).
pub(crate) async fn instance_discovery(State(state): State<Arc<AppState>>) -> Response<Body> {
    let host = state
        .origin
        .split_once("://")
        .map(|(_, h)| h.to_owned())
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        &json!({
            "tenant_discovery_endpoint": format!("{}/{}/v2.0/.well-known/openid-configuration", state.origin, state.tenant_id),
            "api-version": "1.1",
            "metadata": [{ "preferred_network": host, "preferred_cache": host, "aliases": [host] }],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn assertions_are_checked_for_shape_subject_and_expiry() {
        assert!(check_assertion(&jwt(r#"{"iss":"c","sub":"c","exp":100}"#), "c", 10).is_ok());
        assert_eq!(check_assertion("nope", "c", 10).unwrap_err().0, 50027);
        assert_eq!(
            check_assertion(&jwt(r#"{"iss":"x"}"#), "c", 10)
                .unwrap_err()
                .0,
            700021
        );
        assert_eq!(
            check_assertion(&jwt(r#"{"exp":5}"#), "c", 10)
                .unwrap_err()
                .0,
            700024
        );
    }
}
