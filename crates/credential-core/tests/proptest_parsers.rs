//! Property tests of the parsers that read the outside world: token
//! endpoint responses and `Retry-After`. No input panics; numbers and dates
//! round-trip.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use credential_core::__private::entra::parse_token_response;
use credential_core::__private::retry::parse_retry_after;
use proptest::prelude::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,20}".prop_map(serde_json::Value::from),
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(serde_json::Value::from)
    })
}

fn token_body() -> impl Strategy<Value = Vec<u8>> {
    let keys = prop::sample::select(vec![
        "access_token",
        "expires_in",
        "expires_on",
        "refresh_in",
        "ext_expires_in",
        "token_type",
        "error",
        "error_description",
        "error_codes",
    ]);
    prop::collection::vec((keys, json_value()), 0..6).prop_map(|pairs| {
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        serde_json::to_vec(&map).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn token_responses_never_panic(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_token_response("Test", status, &body, NOW);
    }

    #[test]
    fn token_shaped_json_never_panics(status in prop::sample::select(vec![200u16, 400, 401, 429, 500, 503]), body in token_body()) {
        if let Ok(token) = parse_token_response("Test", status, &body, NOW) {
            prop_assert!((200..300).contains(&status));
            prop_assert!(!token.token.expose_secret().trim().is_empty());
        }
    }

    #[test]
    fn valid_token_responses_round_trip(token in "[A-Za-z0-9._-]{1,64}", expires_in in 0i64..10_000_000, as_string in any::<bool>()) {
        let expires = if as_string { serde_json::json!(expires_in.to_string()) } else { serde_json::json!(expires_in) };
        let body = serde_json::json!({"access_token": token, "expires_in": expires, "token_type": "Bearer"});
        let parsed = parse_token_response("Test", 200, &serde_json::to_vec(&body).unwrap(), NOW).unwrap();
        prop_assert_eq!(parsed.token.expose_secret(), token.as_str());
        prop_assert_eq!(parsed.expires_on, NOW + time::Duration::seconds(expires_in));
    }

    #[test]
    fn retry_after_never_panics(value in ".{0,40}") {
        let _ = parse_retry_after(&value, NOW);
    }

    #[test]
    fn retry_after_numbers_never_panic(value in "[ +-]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,4})?") {
        if let Some(d) = parse_retry_after(&value, NOW) {
            prop_assert!(d <= Duration::from_secs(1_000_000_000));
        }
    }

    #[test]
    fn retry_after_seconds_round_trip(seconds in 0u64..1_000_000) {
        prop_assert_eq!(parse_retry_after(&seconds.to_string(), NOW), Some(Duration::from_secs(seconds)));
    }

    #[test]
    fn retry_after_dates_round_trip(offset in -1_000_000i64..1_000_000) {
        let at = NOW + time::Duration::seconds(offset);
        let text = at.format(&Rfc2822).unwrap();
        let expected = Duration::from_secs(offset.max(0) as u64);
        prop_assert_eq!(parse_retry_after(&text, NOW), Some(expected));
    }
}
