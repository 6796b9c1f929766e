//! The admin endpoints, for tests in any language (no token needed; the
//! emulator is not a security boundary):
//! - `GET /admin/clock` answers `{"now": <unix seconds>, "offsetSeconds": N}`;
//!   `POST /admin/clock` with `{"advanceSeconds": N}` moves the emulator's
//!   clock forward by N seconds (never back) and answers the same shape.
//!   `created`/`updated`, deletion and purge dates follow that clock (a
//!   deleted secret disappears once its scheduled purge date has passed);
//!   tokens keep the real clock, so the clients' cached tokens stay valid.
//! - `PUT /admin/faults` with `{"throttle": N, "retryAfterSeconds": S,
//!   "unavailable": N, "drop": N, "delayMs": MS}` (every field optional)
//!   replaces the faults injected into Key Vault requests; `GET
//!   /admin/faults` answers how many were injected so far.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::faults::Faults;
use crate::state::AppState;
use crate::wire::{bad_parameter, json_response};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Advance {
    advance_seconds: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultsBody {
    #[serde(default)]
    throttle: u32,
    #[serde(default)]
    retry_after_seconds: Option<u64>,
    #[serde(default)]
    unavailable: u32,
    #[serde(default)]
    drop: u32,
    #[serde(default)]
    delay_ms: u64,
}

fn clock_body(state: &AppState) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({ "now": state.vault_now(), "offsetSeconds": state.offset_clock.offset_seconds() }),
    )
}

/// `GET /admin/clock`.
pub(crate) async fn get_clock(State(state): State<Arc<AppState>>) -> Response<Body> {
    clock_body(&state)
}

/// `POST /admin/clock` with `{"advanceSeconds": N}`.
pub(crate) async fn advance_clock(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Response<Body> {
    match serde_json::from_slice::<Advance>(&body) {
        Ok(a) if a.advance_seconds >= 0 => {
            state.offset_clock.advance(a.advance_seconds);
            clock_body(&state)
        }
        Ok(_) => {
            bad_parameter("advanceSeconds must not be negative: the clock only moves forward.")
        }
        Err(e) => bad_parameter(&format!(
            "The body must be {{\"advanceSeconds\": N}} ({e})."
        )),
    }
}

/// `PUT /admin/faults`.
pub(crate) async fn set_faults(State(state): State<Arc<AppState>>, body: Bytes) -> Response<Body> {
    let body: FaultsBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return bad_parameter(&format!(
                "The body must be a JSON object with throttle, retryAfterSeconds, unavailable, drop and delayMs, each optional ({e})."
            ));
        }
    };
    state.faults.set(
        Faults::none()
            .throttle(
                body.throttle,
                body.retry_after_seconds.map(Duration::from_secs),
            )
            .unavailable(body.unavailable)
            .drop_connections(body.drop)
            .delay(Duration::from_millis(body.delay_ms)),
    );
    get_faults(State(state)).await
}

/// `GET /admin/faults`: the faults injected so far.
pub(crate) async fn get_faults(State(state): State<Arc<AppState>>) -> Response<Body> {
    let c = state.faults.counts();
    json_response(
        StatusCode::OK,
        &json!({
            "throttled": c.throttled,
            "unavailable": c.unavailable,
            "dropped": c.dropped,
            "delayed": c.delayed,
        }),
    )
}
