//! Parsing managed identity token responses and error bodies, shared by
//! every source except token exchange (which speaks Entra ID's OAuth format).
//!
//! Everything here is pure: bytes and a time in, a token or an error out.

use credential_core::__private::entra::{half_life, quote_untrusted};
use credential_core::{
    AccessToken, CredentialError, EntraDiagnostics, StatusCode, TransportErrorKind,
};
use serde_json::Value;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::NAME;
use crate::source::SourceKind;

/// Turns a managed identity endpoint's answer into a token or an error.
///
/// - Non-2xx: see [`error_from_response`].
/// - 2xx: `access_token` is required; the expiry comes from `expires_on`
///   (see [`parse_timestamp`]), else from `expires_in` seconds after
///   `requested_at`. `refresh_in` (seconds) sets `refresh_on`; without it a
///   token living 2 h or more is refreshed at half-life.
///
/// ```
/// use credential_msi::__private::response::parse_token_response;
/// use credential_msi::SourceKind;
/// use time::macros::datetime;
/// let now = datetime!(2030-01-01 0:00 UTC);
/// let body = br#"{"access_token":"t","expires_on":"1893459600","token_type":"Bearer"}"#;
/// let token = parse_token_response(SourceKind::Imds, 200, body, now).unwrap();
/// assert_eq!(token.expires_on, datetime!(2030-01-01 1:00 UTC));
/// assert_eq!(token.refresh_on, None);
/// ```
///
/// # Errors
/// For a non-2xx answer, the error [`error_from_response`] gives; for a 2xx
/// without a token or a valid expiry, [`CredentialError::UnexpectedResponse`].
pub fn parse_token_response(
    source: SourceKind,
    status: u16,
    body: &[u8],
    requested_at: OffsetDateTime,
) -> Result<AccessToken, CredentialError> {
    if !(200..300).contains(&status) {
        return Err(error_from_response(source, status, body));
    }
    let code = StatusCode::from_u16(status).ok();
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        CredentialError::unexpected_response(
            NAME,
            code,
            format!("the {source} token response is not JSON ({e})"),
        )
    })?;
    let token = value
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CredentialError::unexpected_response(
                NAME,
                code,
                format!("the {source} token response has no access_token"),
            )
        })?;
    let expires_on = value
        .get("expires_on")
        .and_then(parse_timestamp)
        .or_else(|| {
            value
                .get("expires_in")
                .and_then(parse_seconds)
                .and_then(|s| requested_at.checked_add(Duration::seconds(s)))
        })
        .ok_or_else(|| {
            CredentialError::unexpected_response(
                NAME,
                code,
                format!(
                    "could not read the token's expiry from the {source} response \
                     (expires_on={}, expires_in={}); expected epoch seconds or a date",
                    shown(value.get("expires_on")),
                    shown(value.get("expires_in")),
                ),
            )
        })?;
    let refresh_on = match value.get("refresh_in").and_then(parse_seconds) {
        Some(refresh_in) if refresh_in > 0 => {
            requested_at.checked_add(Duration::seconds(refresh_in))
        }
        _ => half_life(requested_at, expires_on),
    };
    Ok(AccessToken::new(token, expires_on).with_refresh_on(refresh_on))
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(Value::String(s)) => quote_untrusted(s),
        Some(other) => quote_untrusted(&other.to_string()),
    }
}

/// Reads an absolute time in any of the forms managed identity endpoints
/// send: epoch seconds as a JSON number or a numeric string, an RFC 3339 /
/// ISO 8601 date, or the US formats `%m/%d/%Y %H:%M:%S +00:00` and
/// `%m/%d/%Y %I:%M:%S %p +00:00` (App Service 2017, Azure ML).
///
/// ```
/// use credential_msi::__private::response::parse_timestamp;
/// use serde_json::json;
/// use time::macros::datetime;
/// let at = datetime!(2017-09-14 13:00:00 UTC);
/// assert_eq!(parse_timestamp(&json!(1505394000)), Some(at));
/// assert_eq!(parse_timestamp(&json!("1505394000")), Some(at));
/// assert_eq!(parse_timestamp(&json!("2017-09-14T13:00:00Z")), Some(at));
/// assert_eq!(parse_timestamp(&json!("09/14/2017 13:00:00 +00:00")), Some(at));
/// assert_eq!(parse_timestamp(&json!("09/14/2017 01:00:00 PM +00:00")), Some(at));
/// assert_eq!(parse_timestamp(&json!("tomorrow")), None);
/// ```
pub fn parse_timestamp(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::Number(_) => {
            parse_seconds(value).and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        }
        Value::String(text) => {
            let text = text.trim();
            if let Some(seconds) = parse_seconds(value) {
                return OffsetDateTime::from_unix_timestamp(seconds).ok();
            }
            parse_date(text)
        }
        _ => None,
    }
}

fn parse_date(text: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(at);
    }
    let formats = [
        format_description!(
            "[month padding:none]/[day padding:none]/[year] [hour padding:none]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
        ),
        format_description!(
            "[month padding:none]/[day padding:none]/[year] [hour repr:12 padding:none]:[minute]:[second] [period case_sensitive:false] [offset_hour sign:mandatory]:[offset_minute]"
        ),
    ];
    formats
        .iter()
        .find_map(|format| OffsetDateTime::parse(text, format).ok())
        .or_else(|| {
            // A date without an offset is taken as UTC.
            let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
            PrimitiveDateTime::parse(text, format)
                .ok()
                .map(|at| at.assume_offset(UtcOffset::UTC))
        })
}

/// A non-negative whole number of seconds, sent as a JSON number or a
/// numeric string.
pub fn parse_seconds(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f < 1e12)
                .map(|f| f as i64)
        })?,
        Value::String(text) => {
            let text = text.trim();
            text.parse::<i64>().ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f < 1e12)
                    .map(|f| f as i64)
            })?
        }
        _ => return None,
    };
    (0..1_000_000_000_000).contains(&seconds).then_some(seconds)
}

/// What an error body says, in the shapes managed identity endpoints use:
/// OAuth (`error`, `error_description`), or an `error` object with `code`,
/// `message` and `correlationId` (App Service, Service Fabric).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The error code.
    pub error: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The correlation id, for support requests.
    pub correlation_id: Option<String>,
}

/// Reads an error body; anything unreadable gives empty details.
///
/// ```
/// use credential_msi::__private::response::parse_error_body;
/// let d = parse_error_body(br#"{"error":{"code":"SecretHeaderNotFound","message":"Secret is not found","correlationId":"c-1"}}"#);
/// assert_eq!(d.error.as_deref(), Some("SecretHeaderNotFound"));
/// assert_eq!(d.description.as_deref(), Some("Secret is not found"));
/// assert_eq!(d.correlation_id.as_deref(), Some("c-1"));
/// ```
pub fn parse_error_body(body: &[u8]) -> ErrorDetails {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return ErrorDetails::default();
    };
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let nested = value.get("error").filter(|e| e.is_object());
    ErrorDetails {
        error: text(value.get("error")).or_else(|| text(nested.and_then(|e| e.get("code")))),
        description: text(value.get("error_description"))
            .or_else(|| text(value.get("message")))
            .or_else(|| text(value.get("Message")))
            .or_else(|| text(nested.and_then(|e| e.get("message")))),
        correlation_id: text(value.get("correlation_id"))
            .or_else(|| text(value.get("correlationId")))
            .or_else(|| text(nested.and_then(|e| e.get("correlationId")))),
    }
}

/// The error for a non-2xx answer from a managed identity endpoint:
///
/// - 403 whose body mentions "unreachable" (Docker Desktop's answer for
///   IMDS): [`CredentialError::Unavailable`].
/// - IMDS 400 "Identity not found" (no identity assigned):
///   [`CredentialError::Unavailable`].
/// - 408, 429, 5xx (after retries), and IMDS 404 and 410 (IMDS starting or
///   being updated): a [`CredentialError::Transport`].
/// - Anything else: [`CredentialError::Authentication`] with the status, the
///   error code and description; this stops a credential chain.
pub fn error_from_response(source: SourceKind, status: u16, body: &[u8]) -> CredentialError {
    let details = parse_error_body(body);
    let raw = String::from_utf8_lossy(body).to_ascii_lowercase();
    let description = describe(&details, body);
    if status == 403 && raw.contains("unreachable") {
        return CredentialError::unavailable(
            NAME,
            format!(
                "the {source} endpoint is unreachable (HTTP 403: {description}); \
                 this is what Docker Desktop answers when no managed identity endpoint exists"
            ),
        );
    }
    if source == SourceKind::Imds && status == 400 && raw.contains("identity not found") {
        return CredentialError::unavailable(
            NAME,
            format!(
                "IMDS reports no managed identity assigned to this resource, or not the \
                 user-assigned identity requested (HTTP 400: {description}); assign the \
                 identity to the VM or check the id you configured"
            ),
        );
    }
    // IMDS answers 404 and 410 while it is starting or being updated: still
    // failing after the retries, that is an outage, not a refusal.
    let imds_outage = source == SourceKind::Imds && matches!(status, 404 | 410);
    let code = StatusCode::from_u16(status).ok();
    if let Some(code) = code.filter(|_| imds_outage || matches!(status, 408 | 429 | 500..=599)) {
        return CredentialError::transport(
            NAME,
            TransportErrorKind::Status(code),
            format!("the {source} endpoint kept failing: {description}"),
        );
    }
    CredentialError::refused(
        NAME,
        code,
        format!("the {source} endpoint refused the token request: {description}"),
    )
    .with_codes(details.error.clone(), None)
    .with_diagnostics(EntraDiagnostics::new(
        details.correlation_id.clone(),
        None,
        None,
    ))
}

fn describe(details: &ErrorDetails, body: &[u8]) -> String {
    let mut text = match (&details.description, &details.error) {
        (Some(d), _) => one_line(d),
        (None, Some(e)) => one_line(e),
        (None, None) if body.is_empty() => "no details given".to_owned(),
        (None, None) => "the response was not a JSON error".to_owned(),
    };
    if let Some(id) = &details.correlation_id {
        text.push_str(&format!(" (correlation id {})", one_line(id)));
    }
    text
}

fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() > 500 {
        format!("{}…", joined.chars().take(500).collect::<String>())
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

    fn parse(body: Value) -> Result<AccessToken, CredentialError> {
        parse_token_response(
            SourceKind::AppService,
            200,
            body.to_string().as_bytes(),
            NOW,
        )
    }

    #[test]
    fn expires_on_as_number_and_string() {
        let at = NOW + Duration::hours(1);
        let ts = at.unix_timestamp();
        assert_eq!(
            parse(json!({"access_token":"t","expires_on":ts}))
                .unwrap()
                .expires_on,
            at
        );
        assert_eq!(
            parse(json!({"access_token":"t","expires_on":ts.to_string()}))
                .unwrap()
                .expires_on,
            at
        );
        assert_eq!(
            parse(json!({"access_token":"t","expires_on":format!(" {ts} ")}))
                .unwrap()
                .expires_on,
            at
        );
    }

    #[test]
    fn expires_on_as_dates() {
        let at = datetime!(2030-01-01 13:05:09 UTC);
        for text in [
            "2030-01-01T13:05:09Z",
            "2030-01-01T13:05:09+00:00",
            "2030-01-01T14:05:09+01:00",
            "2030-01-01T13:05:09.000Z",
            "2030-01-01T13:05:09",
            "01/01/2030 13:05:09 +00:00",
            "1/1/2030 13:05:09 +00:00",
            "01/01/2030 01:05:09 PM +00:00",
            "01/01/2030 1:05:09 pm +00:00",
        ] {
            let token = parse(json!({"access_token":"t","expires_on":text})).unwrap();
            assert_eq!(token.expires_on, at, "{text}");
        }
        let am = parse(json!({"access_token":"t","expires_on":"01/01/2030 12:30:00 AM +00:00"}))
            .unwrap();
        assert_eq!(am.expires_on, datetime!(2030-01-01 0:30 UTC));
    }

    #[test]
    fn falls_back_to_expires_in() {
        let token = parse(json!({"access_token":"t","expires_in":"3599"})).unwrap();
        assert_eq!(token.expires_on, NOW + Duration::seconds(3599));
        let token =
            parse(json!({"access_token":"t","expires_on":"garbage","expires_in":60})).unwrap();
        assert_eq!(token.expires_on, NOW + Duration::seconds(60));
    }

    #[test]
    fn missing_expiry_is_unexpected_response() {
        let err = parse(json!({"access_token":"secret-tok","expires_on":"soon"})).unwrap_err();
        assert!(
            matches!(err, CredentialError::UnexpectedResponse { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("\"soon\"") && !text.contains("secret-tok"),
            "{text}"
        );
    }

    #[test]
    fn missing_token_and_bad_json() {
        let err = parse(json!({"expires_in":60})).unwrap_err();
        assert!(err.to_string().contains("no access_token"), "{err}");
        let err = parse_token_response(SourceKind::Imds, 200, b"<html>", NOW).unwrap_err();
        assert!(matches!(err, CredentialError::UnexpectedResponse { .. }));
    }

    #[test]
    fn refresh_on_rules() {
        // Shorter than 2 h: no refresh hint.
        let t = parse(json!({"access_token":"t","expires_in":7199})).unwrap();
        assert_eq!(t.refresh_on, None);
        // Exactly 2 h: half-life.
        let t = parse(json!({"access_token":"t","expires_in":7200})).unwrap();
        assert_eq!(t.refresh_on, Some(NOW + Duration::hours(1)));
        // 24 h via expires_on: half-life.
        let ts = (NOW + Duration::hours(24)).unix_timestamp();
        let t = parse(json!({"access_token":"t","expires_on":ts})).unwrap();
        assert_eq!(t.refresh_on, Some(NOW + Duration::hours(12)));
        // refresh_in wins.
        let t = parse(json!({"access_token":"t","expires_in":86400,"refresh_in":"600"})).unwrap();
        assert_eq!(t.refresh_on, Some(NOW + Duration::minutes(10)));
    }

    #[test]
    fn error_bodies() {
        let d = parse_error_body(
            br#"{"error":"invalid_request","error_description":"Identity not found"}"#,
        );
        assert_eq!(d.error.as_deref(), Some("invalid_request"));
        assert_eq!(d.description.as_deref(), Some("Identity not found"));
        let d =
            parse_error_body(br#"{"statusCode":400,"message":"bad resource","correlationId":"x"}"#);
        assert_eq!(d.description.as_deref(), Some("bad resource"));
        assert_eq!(d.correlation_id.as_deref(), Some("x"));
        assert_eq!(parse_error_body(b"nope"), ErrorDetails::default());
    }

    #[test]
    fn error_mapping() {
        let not_found = br#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        assert!(error_from_response(SourceKind::Imds, 400, not_found).is_unavailable());
        // Elsewhere, a 400 is a real failure.
        let err = error_from_response(SourceKind::AppService, 400, not_found);
        assert!(
            matches!(
                err,
                CredentialError::Authentication {
                    status: Some(StatusCode::BAD_REQUEST),
                    ..
                }
            ),
            "{err}"
        );
        // Other IMDS 400s stop a chain.
        let err = error_from_response(
            SourceKind::Imds,
            400,
            br#"{"error":"invalid_resource","error_description":"AADSTS500011: resource principal not found"}"#,
        );
        assert!(!err.is_unavailable());
        assert!(err.to_string().contains("AADSTS500011"), "{err}");
        // Docker Desktop.
        let err = error_from_response(
            SourceKind::Imds,
            403,
            b"connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.",
        );
        assert!(err.is_unavailable(), "{err}");
        let err = error_from_response(SourceKind::Imds, 403, b"{}");
        assert!(!err.is_unavailable());
        // Throttling and server errors are transient.
        let err = error_from_response(SourceKind::Imds, 503, b"");
        assert!(err.is_transient(), "{err}");
        assert!(matches!(
            err,
            CredentialError::Transport {
                kind: TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE),
                ..
            }
        ));
        // Correlation ids are kept.
        let err = error_from_response(
            SourceKind::ServiceFabric,
            401,
            br#"{"error":{"code":"SecretHeaderNotFound","message":"Secret is not found in the request headers.","correlationId":"7f"}}"#,
        );
        let text = err.to_string();
        assert!(
            text.contains("SecretHeaderNotFound") && text.contains("correlation id 7f"),
            "{text}"
        );
    }
}
