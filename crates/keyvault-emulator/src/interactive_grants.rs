//! The user sign-in grants of `POST /{tenant}/oauth2/v2.0/token`: device
//! code, authorization code (PKCE checked), refresh token (rotating) and
//! on-behalf-of. Tokens name the test user (`oid`, `sub`,
//! `preferred_username`, `name`).

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::interactive::{
    DeviceStatus, RefreshEntry, TestUser, client_error, client_ok, lock, random_token,
    tenant_error, tenant_ok, too_fast,
};
use crate::state::AppState;
use crate::token::{check_assertion, timestamp};
use crate::wire::{entra_error, json_response};

const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const OIDC_SCOPES: [&str; 3] = ["offline_access", "openid", "profile"];
/// The resource of a sign-in that asked only for OpenID scopes.
const GRAPH: &str = "https://graph.microsoft.com";

/// The claims of a token issued to the test user: the service-principal
/// token's claims plus the user's.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct UserClaims {
    aud: String,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    sub: String,
    appid: String,
    oid: String,
    tid: String,
    ver: String,
    preferred_username: String,
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    scp: String,
    /// A unique token id, as Entra's `uti`: no two tokens are the same.
    #[serde(default)]
    uti: String,
}

type Form = HashMap<String, String>;

/// Answers the grants of user sign-in; `None` for any other grant type.
pub(crate) fn token_grant(state: &AppState, tenant: &str, body: &[u8]) -> Option<Response<Body>> {
    let form: Form = url::form_urlencoded::parse(body).into_owned().collect();
    let grant = form.get("grant_type").map(|g| g.trim())?;
    if ![
        DEVICE_CODE,
        "authorization_code",
        "refresh_token",
        JWT_BEARER_GRANT,
    ]
    .contains(&grant)
    {
        return None;
    }
    if !tenant_ok(state, tenant) {
        return Some(tenant_error(state, tenant));
    }
    let client_id = field(&form, "client_id").unwrap_or_default();
    if !client_ok(state, client_id) {
        return Some(client_error(state, client_id));
    }
    if let Some(response) = check_client_secret(state, &form, client_id) {
        return Some(response);
    }
    Some(match grant {
        DEVICE_CODE => device_code(state, &form, client_id),
        "authorization_code" => authorization_code(state, &form, client_id),
        "refresh_token" => refresh_token(state, &form, client_id),
        _ => on_behalf_of(state, &form, client_id),
    })
}

fn field<'a>(form: &'a Form, key: &str) -> Option<&'a str> {
    form.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn error(
    state: &AppState,
    status: StatusCode,
    error: &str,
    code: u32,
    message: &str,
) -> Response<Body> {
    entra_error(status, error, code, message, &timestamp(state))
}

fn invalid_grant(state: &AppState, code: u32, message: &str) -> Response<Body> {
    error(
        state,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        code,
        message,
    )
}

/// A confidential client sent neither a secret nor an assertion.
fn no_client_proof(state: &AppState) -> Response<Body> {
    error(
        state,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
}

/// A client secret, when sent, must be the client's.
fn check_client_secret(state: &AppState, form: &Form, client_id: &str) -> Option<Response<Body>> {
    let secret = field(form, "client_secret")?;
    let matches = state
        .clients
        .iter()
        .any(|(id, s)| id == client_id && s.expose_secret() == secret);
    (!matches).then(|| {
        error(
            state,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        )
    })
}

fn device_code(state: &AppState, form: &Form, client_id: &str) -> Response<Body> {
    let Some(code) = field(form, "device_code") else {
        return error(
            state,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'device_code'.",
        );
    };
    let options = &state.interactive.options;
    let now = state.clock.now();
    let now_ms = now.unix_timestamp_nanos() / 1_000_000;
    let mut codes = lock(&state.interactive.device_codes);
    let Some(entry) = codes.get_mut(code).filter(|e| e.client_id == client_id) else {
        return error(
            state,
            StatusCode::BAD_REQUEST,
            "bad_verification_code",
            70000,
            "The device code is not known to this emulator (or was already redeemed).",
        );
    };
    if now.unix_timestamp() >= entry.expires_at {
        codes.remove(code);
        return error(
            state,
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        );
    }
    if too_fast(entry, options.device_code_interval, now_ms) {
        entry.last_poll_ms = now_ms;
        return error(
            state,
            StatusCode::BAD_REQUEST,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too fast: slow down.",
        );
    }
    entry.last_poll_ms = now_ms;
    if entry.status == DeviceStatus::Pending
        && let crate::interactive::Approval::AfterPolls(n) = options.approval
        && entry.polls >= n
    {
        entry.status = DeviceStatus::Approved;
    }
    match entry.status {
        DeviceStatus::Pending => {
            entry.polls += 1;
            error(
                state,
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        }
        DeviceStatus::Declined => {
            codes.remove(code);
            error(
                state,
                StatusCode::BAD_REQUEST,
                "authorization_declined",
                70000,
                "The user declined the sign-in.",
            )
        }
        DeviceStatus::Approved => {
            let scope = entry.scope.clone();
            codes.remove(code);
            drop(codes);
            issue(state, client_id, &scope, &options.user, true)
        }
    }
}

fn authorization_code(state: &AppState, form: &Form, client_id: &str) -> Response<Body> {
    let Some(code) = field(form, "code") else {
        return invalid_grant(
            state,
            900144,
            "The request body must contain the following parameter: 'code'.",
        );
    };
    let Some(entry) = lock(&state.interactive.codes).remove(code) else {
        return invalid_grant(
            state,
            54005,
            "OAuth2 Authorization code was already redeemed, or is not known to this emulator.",
        );
    };
    if entry.client_id != client_id || state.now() >= entry.expires_at {
        return invalid_grant(
            state,
            70000,
            "The authorization code was issued to another client, or has expired.",
        );
    }
    if field(form, "redirect_uri") != Some(entry.redirect_uri.as_str()) {
        return invalid_grant(
            state,
            500112,
            "The redirect_uri does not match the one the authorization code was requested with.",
        );
    }
    match &entry.challenge {
        Some(challenge) => {
            let verifier = field(form, "code_verifier").unwrap_or_default();
            let computed = URL_SAFE_NO_PAD.encode(ring::digest::digest(
                &ring::digest::SHA256,
                verifier.as_bytes(),
            ));
            if computed != *challenge {
                return invalid_grant(
                    state,
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                );
            }
        }
        None if field(form, "client_secret").is_none() => return no_client_proof(state),
        None => {}
    }
    let scope = field(form, "scope").map_or(entry.scope.clone(), str::to_owned);
    issue(
        state,
        client_id,
        &scope,
        &state.interactive.options.user,
        true,
    )
}

fn refresh_token(state: &AppState, form: &Form, client_id: &str) -> Response<Body> {
    let token = field(form, "refresh_token").unwrap_or_default();
    // Rotation: a refresh token works once; the answer carries the next one.
    let Some(entry) = lock(&state.interactive.refresh_tokens).remove(token) else {
        return invalid_grant(
            state,
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        );
    };
    if entry.client_id != client_id {
        return invalid_grant(
            state,
            70000,
            "The refresh token was issued to another client.",
        );
    }
    let scope = field(form, "scope").unwrap_or("openid profile offline_access");
    issue(state, client_id, scope, &entry.user, true)
}

fn on_behalf_of(state: &AppState, form: &Form, client_id: &str) -> Response<Body> {
    if field(form, "requested_token_use") != Some("on_behalf_of") {
        return error(
            state,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain 'requested_token_use=on_behalf_of'.",
        );
    }
    match (
        field(form, "client_secret"),
        field(form, "client_assertion"),
    ) {
        (Some(_), _) => {} // checked by `check_client_secret`
        (None, Some(assertion)) => {
            let typed = field(form, "client_assertion_type") == Some(JWT_BEARER_ASSERTION);
            if let Err((code, message)) = check_assertion(assertion, client_id, state.now()) {
                return error(
                    state,
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    code,
                    &message,
                );
            }
            if !typed {
                return error(
                    state,
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    50026,
                    "The 'client_assertion_type' must be the jwt-bearer type.",
                );
            }
        }
        (None, None) => return no_client_proof(state),
    }
    let assertion = field(form, "assertion").unwrap_or_default();
    let claims: UserClaims = match state.tokens.decode(assertion, state.now()) {
        Ok(claims) => claims,
        Err(message) => {
            return invalid_grant(
                state,
                50013,
                &format!("Assertion failed signature validation or is expired: {message}"),
            );
        }
    };
    let user = TestUser {
        username: claims.preferred_username,
        name: claims.name,
        object_id: claims.oid,
    };
    let scope = field(form, "scope").unwrap_or_default();
    issue(state, client_id, scope, &user, false)
}

/// The resource of a scope list: the first scope that is not an OpenID
/// scope, without `/.default`.
fn resource(scope: &str) -> String {
    scope
        .split_whitespace()
        .find(|s| !OIDC_SCOPES.contains(s))
        .map(|s| s.strip_suffix("/.default").unwrap_or(s).to_owned())
        .unwrap_or_else(|| GRAPH.to_owned())
}

/// The token answer for `user`: an access token for the scope's resource,
/// and (for sign-in grants) an `id_token`, `client_info` and, when
/// `offline_access` was asked for, a new refresh token.
fn issue(
    state: &AppState,
    client_id: &str,
    scope: &str,
    user: &TestUser,
    sign_in: bool,
) -> Response<Body> {
    let now = state.now();
    let lifetime = i64::try_from(state.tokens.lifetime().as_secs()).unwrap_or(3600);
    let exp = now.saturating_add(lifetime);
    let resource = resource(scope);
    let claims = |aud: &str, scp: &str| UserClaims {
        aud: aud.to_owned(),
        iss: state.tokens.issuer().to_owned(),
        iat: now,
        nbf: now,
        exp,
        sub: user.object_id.clone(),
        appid: client_id.to_owned(),
        oid: user.object_id.clone(),
        tid: state.tenant_id.clone(),
        ver: "2.0".to_owned(),
        preferred_username: user.username.clone(),
        name: user.name.clone(),
        scp: scp.to_owned(),
        uti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let granted: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": state.tokens.sign(&claims(&resource, "user_impersonation")),
    });
    if sign_in {
        let words: Vec<&str> = scope.split_whitespace().collect();
        if words.contains(&"openid") {
            body["id_token"] = json!(state.tokens.sign(&claims(client_id, "")));
        }
        body["client_info"] = json!(
            URL_SAFE_NO_PAD
                .encode(json!({ "uid": user.object_id, "utid": state.tenant_id }).to_string())
        );
        if words.contains(&"offline_access") {
            let refresh = random_token();
            lock(&state.interactive.refresh_tokens).insert(
                refresh.clone(),
                RefreshEntry {
                    client_id: client_id.to_owned(),
                    user: user.clone(),
                },
            );
            body["refresh_token"] = json!(refresh);
        }
    }
    json_response(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_is_the_first_scope_that_is_not_openid() {
        assert_eq!(
            resource("openid https://vault.azure.net/.default profile"),
            "https://vault.azure.net"
        );
        assert_eq!(resource("offline_access openid profile"), GRAPH);
    }
}
