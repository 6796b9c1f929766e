//! Response helpers: the service's JSON content type, its error body
//! `{"error":{"code","message"[,"innererror"]}}`, and Entra-style errors.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

/// The content type Key Vault and Entra ID answer with.
pub(crate) const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A JSON response with the service's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}

/// A Key Vault error body.
pub(crate) fn kv_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({ "error": { "code": code, "message": message } }),
    )
}

/// A Key Vault error body with an `innererror` code.
pub(crate) fn kv_error_inner(
    status: StatusCode,
    code: &str,
    message: &str,
    inner: &str,
) -> Response<Body> {
    json_response(
        status,
        &json!({ "error": { "code": code, "message": message, "innererror": { "code": inner } } }),
    )
}

/// `400 BadParameter`.
pub(crate) fn bad_parameter(message: &str) -> Response<Body> {
    kv_error(StatusCode::BAD_REQUEST, "BadParameter", message)
}

/// `404 SecretNotFound` for a live secret (name, or name/version).
pub(crate) fn secret_not_found(what: &str) -> Response<Body> {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

/// `404 SecretNotFound` for a deleted secret.
pub(crate) fn deleted_secret_not_found(name: &str) -> Response<Body> {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!("Deleted Secret not found: {name}"),
    )
}

/// `405 MethodNotAllowed`.
pub(crate) fn method_not_allowed(method: &str) -> Response<Body> {
    kv_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("HTTP {method} not allowed"),
    )
}

/// An Entra ID (v2 token endpoint) error body: `error`, `error_description`
/// starting with the AADSTS code, `error_codes`, `timestamp`, ids.
pub(crate) fn entra_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
    timestamp: &str,
) -> Response<Body> {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// An IMDS error body: `{"error","error_description"}`.
pub(crate) fn imds_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}
