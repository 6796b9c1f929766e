//! The expiry formats the tools print.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Seconds since the Unix epoch, as a JSON integer or a string of digits.
pub(crate) fn from_epoch(value: &Value) -> Option<OffsetDateTime> {
    let seconds = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, a wall-clock time at `offset`.
pub(crate) fn from_local(text: &str, offset: UtcOffset) -> Option<OffsetDateTime> {
    let format = format_description!(
        version = 2,
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        // Checked: a time at the edge of the range may not exist in UTC.
        .and_then(|naive| {
            naive
                .assume_offset(offset)
                .checked_to_offset(UtcOffset::UTC)
        })
}

/// RFC 3339, converted to UTC.
pub(crate) fn from_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(UtcOffset::UTC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{datetime, offset};

    #[test]
    fn epochs() {
        let at = datetime!(2030-01-01 0:00 UTC);
        assert_eq!(from_epoch(&json!(1893456000)), Some(at));
        assert_eq!(from_epoch(&json!("1893456000")), Some(at));
        assert_eq!(from_epoch(&json!("soon")), None);
        assert_eq!(from_epoch(&json!(1.5)), None);
        assert_eq!(from_epoch(&json!(i64::MAX)), None);
    }

    #[test]
    fn times_at_the_edge_of_the_range_are_refused_not_a_panic() {
        assert_eq!(from_local("9999-12-31 23:59:59", offset!(-2)), None);
        assert_eq!(from_local("-9999-01-01 00:00:00", offset!(+2)), None);
        assert_eq!(from_rfc3339("9999-12-31T23:59:59-05:00"), None);
        assert_eq!(
            from_rfc3339("9999-12-31T23:59:59Z"),
            Some(
                time::PrimitiveDateTime::MAX
                    .assume_utc()
                    .replace_nanosecond(0)
                    .unwrap()
            )
        );
        for value in [
            json!(i64::MIN),
            json!(-377705116801_i64),
            json!("1e308"),
            json!(1e308),
        ] {
            assert_eq!(from_epoch(&value), None, "{value}");
        }
    }

    #[test]
    fn local_times() {
        assert_eq!(
            from_local("2030-01-01 02:00:00.123456", offset!(+2)),
            Some(datetime!(2030-01-01 0:00:00.123456 UTC))
        );
        assert_eq!(
            from_local("2030-01-01 00:00:00", UtcOffset::UTC),
            Some(datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(from_local("2030-01-01T00:00:00Z", UtcOffset::UTC), None);
    }

    #[test]
    fn rfc3339() {
        assert_eq!(
            from_rfc3339("2030-01-01T00:00:00Z"),
            Some(datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(
            from_rfc3339("2030-01-01T01:00:00+01:00"),
            Some(datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(from_rfc3339("2030-01-01 00:00:00"), None);
    }
}
