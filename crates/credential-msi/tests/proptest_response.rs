//! Property tests of the managed identity response parsers: token bodies,
//! every `expires_on` variant, seconds, and error bodies never panic; valid
//! epoch and RFC 3339 values round-trip.
#![allow(clippy::unwrap_used)]

use credential_msi::__private::response::{
    error_from_response, parse_error_body, parse_seconds, parse_timestamp, parse_token_response,
};
use credential_msi::SourceKind;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn sources() -> impl Strategy<Value = SourceKind> {
    prop::sample::select(vec![
        SourceKind::Imds,
        SourceKind::AppService,
        SourceKind::AzureArc,
        SourceKind::CloudShell,
        SourceKind::ServiceFabric,
        SourceKind::AzureMl,
    ])
}

fn expires_on_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[ ]?-?[0-9]{0,22}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?[ ]?",
        "[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,5} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}( [AaPp][Mm])? [+-][0-9]{1,2}:[0-9]{1,2}",
        "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_body_never_panics(source in sources(), status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_token_response(source, status, &body, NOW);
        let _ = parse_error_body(&body);
        let _ = error_from_response(source, status, &body);
    }

    #[test]
    fn expires_on_variants_never_panic(source in sources(), text in expires_on_text(), number in any::<f64>(), int in any::<i64>(), expires_in in expires_on_text()) {
        for value in [json!(text), json!(number), json!(int), Value::Null, json!([text])] {
            let _ = parse_timestamp(&value);
            let _ = parse_seconds(&value);
            let body = json!({"access_token": "t", "expires_on": value, "expires_in": expires_in, "refresh_in": value});
            let _ = parse_token_response(source, 200, &serde_json::to_vec(&body).unwrap(), NOW);
        }
    }

    #[test]
    fn epoch_and_rfc3339_round_trip(seconds in 0i64..253_402_300_799) {
        let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
        prop_assert_eq!(parse_timestamp(&json!(seconds)), Some(at));
        prop_assert_eq!(parse_timestamp(&json!(seconds.to_string())), Some(at));
        prop_assert_eq!(parse_timestamp(&json!(at.format(&Rfc3339).unwrap())), Some(at));
        let body = json!({"access_token": "tok", "expires_on": seconds.to_string()});
        let token = parse_token_response(SourceKind::Imds, 200, &serde_json::to_vec(&body).unwrap(), NOW).unwrap();
        prop_assert_eq!(token.expires_on, at);
    }
}
