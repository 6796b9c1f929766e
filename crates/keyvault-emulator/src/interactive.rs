//! User sign-in on the token issuer: a test user, the device code endpoint
//! and its approval, `/authorize` with PKCE and its redirect, refresh tokens
//! (rotating, revocable), and the admin endpoints a test drives. The token
//! grants themselves are in `interactive_grants`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::routing::{get, post};
use serde_json::json;

use crate::running::RunningEmulator;
use crate::state::AppState;
use crate::token::timestamp;
use crate::wire::{entra_error, json_response};

/// The Azure developer sign-on client id, accepted for user sign-in.
pub(crate) const DEVELOPER_SIGN_ON_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// How long an authorization code can be redeemed.
const CODE_LIFETIME_SECONDS: i64 = 600;

/// The user every sign-in signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// `preferred_username`, e.g. `user@emulator.local`.
    pub username: String,
    /// The display name (`name` claim).
    pub name: String,
    /// The object id (`oid`, `sub`).
    pub object_id: String,
}

impl Default for TestUser {
    fn default() -> Self {
        Self {
            username: "user@emulator.local".to_owned(),
            name: "Emulator User".to_owned(),
            object_id: "00000000-0000-0000-0000-0000000005e7".to_owned(),
        }
    }
}

/// How the test user answers a device code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Approved after this many polls answered `authorization_pending`.
    AfterPolls(u32),
    /// Pending until a test approves or declines it
    /// ([`RunningEmulator::approve_device_code`], `POST /admin/devicecode/approve`
    /// or `/decline` with the form field `user_code`).
    Manual,
}

/// User sign-in options of an emulator (see `EmulatorBuilder::interactive`).
///
/// ```
/// use keyvault_emulator::{Approval, InteractiveOptions};
/// let options = InteractiveOptions::default()
///     .approval(Approval::Manual)
///     .device_code_interval(0);
/// ```
#[derive(Debug, Clone)]
pub struct InteractiveOptions {
    pub(crate) user: TestUser,
    pub(crate) approval: Approval,
    pub(crate) device_code_interval: u64,
    pub(crate) device_code_lifetime: u64,
}

impl Default for InteractiveOptions {
    /// The default test user, approval after one pending poll, a 1 s poll
    /// interval, codes valid for 15 minutes.
    fn default() -> Self {
        Self {
            user: TestUser::default(),
            approval: Approval::AfterPolls(1),
            device_code_interval: 1,
            device_code_lifetime: 900,
        }
    }
}

impl InteractiveOptions {
    /// The user who signs in.
    pub fn user(mut self, user: TestUser) -> Self {
        self.user = user;
        self
    }
    /// How device codes are approved.
    pub fn approval(mut self, approval: Approval) -> Self {
        self.approval = approval;
        self
    }
    /// The poll `interval` handed out with device codes, in seconds
    /// (default 1; polling faster gets `slow_down`; 0 for fast tests).
    pub fn device_code_interval(mut self, seconds: u64) -> Self {
        self.device_code_interval = seconds;
        self
    }
    /// How long device codes live, in seconds (default 900; 0 issues codes
    /// that are already expired, for tests).
    pub fn device_code_lifetime(mut self, seconds: u64) -> Self {
        self.device_code_lifetime = seconds;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved,
    Declined,
}

#[derive(Debug)]
pub(crate) struct DeviceEntry {
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) polls: u32,
    pub(crate) status: DeviceStatus,
    pub(crate) expires_at: i64,
    /// Unix milliseconds of the last poll (or the issue), for `slow_down`.
    pub(crate) last_poll_ms: i128,
}

#[derive(Debug)]
pub(crate) struct AuthCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<String>,
    pub(crate) scope: String,
    pub(crate) expires_at: i64,
}

#[derive(Debug)]
pub(crate) struct RefreshEntry {
    pub(crate) client_id: String,
    pub(crate) user: TestUser,
}

/// The sign-in state of a running emulator.
#[derive(Debug)]
pub(crate) struct InteractiveState {
    pub(crate) options: InteractiveOptions,
    pub(crate) device_codes: Mutex<HashMap<String, DeviceEntry>>,
    pub(crate) codes: Mutex<HashMap<String, AuthCode>>,
    pub(crate) refresh_tokens: Mutex<HashMap<String, RefreshEntry>>,
}

impl InteractiveState {
    pub(crate) fn new(options: InteractiveOptions) -> Self {
        Self {
            options,
            device_codes: Mutex::default(),
            codes: Mutex::default(),
            refresh_tokens: Mutex::default(),
        }
    }

    /// Approves (or declines) the pending device code `user_code`.
    fn decide(&self, user_code: &str, approve: bool) -> bool {
        let mut codes = lock(&self.device_codes);
        let entry = codes.values_mut().find(|e| {
            e.user_code.eq_ignore_ascii_case(user_code.trim()) && e.status == DeviceStatus::Pending
        });
        match entry {
            Some(entry) => {
                entry.status = if approve {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Declined
                };
                true
            }
            None => false,
        }
    }

    /// Revokes every refresh token; returns how many there were.
    fn revoke_all(&self) -> usize {
        let mut tokens = lock(&self.refresh_tokens);
        let n = tokens.len();
        tokens.clear();
        n
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A random opaque value.
pub(crate) fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether `tenant` may be used for user sign-in: the emulator's tenant,
/// `organizations` or `common`.
pub(crate) fn tenant_ok(state: &AppState, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&state.tenant_id)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}

/// Whether `client_id` may sign users in: the developer sign-on client or
/// any configured client.
pub(crate) fn client_ok(state: &AppState, client_id: &str) -> bool {
    client_id == DEVELOPER_SIGN_ON_CLIENT_ID
        || state.clients.iter().any(|(id, _)| id == client_id)
        || state.assertion_clients.iter().any(|id| id == client_id)
}

pub(crate) fn tenant_error(state: &AppState, tenant: &str) -> Response<Body> {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. This emulator serves tenant '{}' (and 'organizations', 'common' for user sign-in).",
            state.tenant_id
        ),
        &timestamp(state),
    )
}

pub(crate) fn client_error(state: &AppState, client_id: &str) -> Response<Body> {
    entra_error(
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'.",
            state.tenant_id
        ),
        &timestamp(state),
    )
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The routes this module adds.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device_code))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/devicelogin", get(device_login_page))
        .route("/admin/devicecode/approve", post(admin_approve))
        .route("/admin/devicecode/decline", post(admin_decline))
        .route("/admin/refresh-tokens/revoke", post(admin_revoke))
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
async fn device_code(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response<Body> {
    if !tenant_ok(&state, &tenant) {
        return tenant_error(&state, &tenant);
    }
    let form = form(&body);
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(client_id) = field("client_id") else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
            &timestamp(&state),
        );
    };
    if !client_ok(&state, client_id) {
        return client_error(&state, client_id);
    }
    let options = &state.interactive.options;
    let device_code = random_token();
    let hex = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    let user_code = hex[..9].to_owned();
    let verification_uri = format!("{}/devicelogin", state.origin);
    let now = state.clock.now();
    let lifetime = i64::try_from(options.device_code_lifetime).unwrap_or(900);
    lock(&state.interactive.device_codes).insert(
        device_code.clone(),
        DeviceEntry {
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            scope: field("scope").unwrap_or_default().to_owned(),
            polls: 0,
            status: DeviceStatus::Pending,
            expires_at: now.unix_timestamp().saturating_add(lifetime),
            last_poll_ms: now.unix_timestamp_nanos() / 1_000_000,
        },
    );
    json_response(
        StatusCode::OK,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "expires_in": lifetime,
            "interval": options.device_code_interval,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }),
    )
}

/// `GET /devicelogin`: the page a device code points at.
async fn device_login_page() -> Response<Body> {
    let mut response = Response::new(Body::from(
        "<!DOCTYPE html><html><body><h1>Key Vault emulator</h1><p>Device codes are approved \
         automatically, or with POST /admin/devicecode/approve (form field user_code).</p></body></html>",
    ));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: the test user signs in at once;
/// the answer is a redirect to `redirect_uri` with `code` and `state`.
async fn authorize(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    if !tenant_ok(&state, &tenant) {
        return tenant_error(&state, &tenant);
    }
    let q = form(query.unwrap_or_default().as_bytes());
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return bad_authorize(
            &state,
            "The request must contain the parameter 'client_id'.",
        );
    };
    if !client_ok(&state, client_id) {
        return client_error(&state, client_id);
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|r| url::Url::parse(r).is_ok()) else {
        return bad_authorize(
            &state,
            "The request must contain an absolute 'redirect_uri'.",
        );
    };
    let redirect_state = get("state");
    let fail = |error: &str, description: &str| {
        redirect(
            redirect_uri,
            &[("error", error), ("error_description", description)],
            redirect_state,
        )
    };
    if get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "AADSTS700054: response_type must be 'code'.",
        );
    }
    let challenge = get("code_challenge");
    if challenge.is_some() && get("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "AADSTS501491: code_challenge_method must be 'S256'.",
        );
    }
    if challenge.is_none() && client_id == DEVELOPER_SIGN_ON_CLIENT_ID {
        return fail(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    }
    let code = random_token();
    lock(&state.interactive.codes).insert(
        code.clone(),
        AuthCode {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.map(str::to_owned),
            scope: get("scope").unwrap_or_default().to_owned(),
            expires_at: state.now().saturating_add(CODE_LIFETIME_SECONDS),
        },
    );
    redirect(redirect_uri, &[("code", &code)], redirect_state)
}

fn bad_authorize(state: &AppState, message: &str) -> Response<Body> {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        message,
        &timestamp(state),
    )
}

/// A `302` to `uri` with `params` and `state` added to its query.
fn redirect(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response<Body> {
    let mut url = match url::Url::parse(uri) {
        Ok(url) => url,
        Err(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": "invalid_request"}),
            );
        }
    };
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(params.iter().copied());
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn admin_decision(state: &AppState, body: &[u8], approve: bool) -> Response<Body> {
    let form = form(body);
    let user_code = form
        .get("user_code")
        .map(String::as_str)
        .unwrap_or_default();
    if state.interactive.decide(user_code, approve) {
        json_response(
            StatusCode::OK,
            &json!({ "user_code": user_code, "approved": approve }),
        )
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no pending device code has this user_code" }),
        )
    }
}

/// `POST /admin/devicecode/approve` (form `user_code`).
async fn admin_approve(State(state): State<Arc<AppState>>, body: Bytes) -> Response<Body> {
    admin_decision(&state, &body, true).await
}

/// `POST /admin/devicecode/decline` (form `user_code`).
async fn admin_decline(State(state): State<Arc<AppState>>, body: Bytes) -> Response<Body> {
    admin_decision(&state, &body, false).await
}

/// `POST /admin/refresh-tokens/revoke`: every refresh token stops working.
async fn admin_revoke(State(state): State<Arc<AppState>>) -> Response<Body> {
    let revoked = state.interactive.revoke_all();
    json_response(StatusCode::OK, &json!({ "revoked": revoked }))
}

/// User sign-in controls.
impl RunningEmulator {
    /// The user every sign-in signs in as.
    pub fn test_user(&self) -> TestUser {
        self.state().interactive.options.user.clone()
    }
    /// Approves the pending device code shown as `user_code`; `false` if
    /// there is none.
    pub fn approve_device_code(&self, user_code: &str) -> bool {
        self.state().interactive.decide(user_code, true)
    }
    /// Declines the pending device code shown as `user_code`; `false` if
    /// there is none.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        self.state().interactive.decide(user_code, false)
    }
    /// Revokes every refresh token issued so far (their next use gets
    /// `invalid_grant`); returns how many there were.
    pub fn revoke_refresh_tokens(&self) -> usize {
        self.state().interactive.revoke_all()
    }
}

/// Whether a poll came sooner than `interval` seconds after the last one
/// (100 ms of slack).
pub(crate) fn too_fast(entry: &DeviceEntry, interval: u64, now_ms: i128) -> bool {
    let min = i128::from(interval) * 1000 - 100;
    interval > 0 && now_ms - entry.last_poll_ms < min
}
