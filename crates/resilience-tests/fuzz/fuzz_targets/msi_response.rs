//! credential-msi's response parsers: token bodies (every `expires_on`
//! variant), error bodies, and timestamps on any JSON value.
#![no_main]
use credential_msi::SourceKind;
use credential_msi::__private::response::{
    error_from_response, parse_error_body, parse_seconds, parse_timestamp, parse_token_response,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (
            [200u16, 400, 403, 404, 410, 429, 500, 201][(*s % 8) as usize],
            rest,
        ),
        None => (200, data),
    };
    let _ = parse_token_response(SourceKind::Imds, status, body, now);
    let _ = parse_token_response(SourceKind::AppService, status, body, now);
    let _ = parse_error_body(body);
    let _ = error_from_response(SourceKind::ServiceFabric, status, body);
    if let Ok(text) = std::str::from_utf8(body) {
        let value = serde_json::Value::String(text.to_owned());
        let _ = parse_timestamp(&value);
        let _ = parse_seconds(&value);
        let wrapped = serde_json::json!({"access_token": "t", "expires_on": text, "expires_in": text, "refresh_in": text});
        let _ = parse_token_response(SourceKind::Imds, 200, wrapped.to_string().as_bytes(), now);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = parse_timestamp(&value);
        let _ = parse_seconds(&value);
    }
});
