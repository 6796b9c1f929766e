//! The `api-version`s the emulator accepts and what each changes in the
//! answers. [`API_VERSIONS`] is the one table: adding a GA version is one
//! line there.

/// What one GA version of the secrets API looks like on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApiVersion {
    /// The `api-version` string.
    pub name: &'static str,
    /// `attributes.recoverableDays` is sent (7.1 and later).
    pub recoverable_days: bool,
    /// `GET /secrets/{name}/{version}` honours `outContentType` (2025-07-01
    /// and later; older versions ignore the parameter).
    pub out_content_type: bool,
}

const fn v(name: &'static str, recoverable_days: bool, out_content_type: bool) -> ApiVersion {
    ApiVersion {
        name,
        recoverable_days,
        out_content_type,
    }
}

/// Every GA secrets API version, oldest first. The last one is the newest,
/// named in the 400 for an unknown version.
pub(crate) const API_VERSIONS: &[ApiVersion] = &[
    v("7.0", false, false),
    v("7.1", true, false),
    v("7.2", true, false),
    v("7.3", true, false),
    v("7.4", true, false),
    v("7.5", true, false),
    v("7.6", true, false),
    v("2025-07-01", true, true),
    v("2026-04-01", true, true),
];

/// The newest GA version (the last row of [`API_VERSIONS`]).
pub(crate) fn latest() -> ApiVersion {
    API_VERSIONS[API_VERSIONS.len() - 1]
}

/// The shape of the answers for `requested`: a GA version from the table,
/// or a preview the SDKs send, answered like the GA version it precedes or
/// extends:
/// - `7.N-preview` and `7.N-preview.M` (N from 0 to 6) answer like `7.N`;
/// - `YYYY-MM-DD-preview` answers like the newest GA version dated on or
///   before it (7.6 for dates before 2025-07-01's previews; the 2025-07-01
///   shape from 2025-06-01 on, whose preview introduced it).
pub(crate) fn lookup(requested: &str) -> Option<ApiVersion> {
    if let Some(found) = API_VERSIONS.iter().find(|v| v.name == requested) {
        return Some(*found);
    }
    if let Some((base, rest)) = requested.split_once("-preview") {
        let numbered = rest.is_empty()
            || rest
                .strip_prefix('.')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered && base.starts_with("7.") {
            return API_VERSIONS.iter().find(|v| v.name == base).copied();
        }
        if rest.is_empty() && is_date(base) {
            let dated = API_VERSIONS
                .iter()
                .rev()
                .find(|v| is_date(v.name) && v.name <= base);
            return match dated {
                Some(v) => Some(*v),
                // The 2025-07-01 shape was previewed from 2025-06-01.
                None if base >= "2025-06-01" => lookup("2025-07-01"),
                None => lookup("7.6"),
            };
        }
    }
    None
}

/// `YYYY-MM-DD` (digits and dashes in that layout).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// The service's message for an unknown version, followed by the list of
/// the versions the emulator accepts.
pub(crate) fn unsupported_message(requested: &str) -> String {
    let list: Vec<&str> = API_VERSIONS.iter().map(|v| v.name).collect();
    format!(
        "The specified version ({requested}) is not recognized. Consider using the latest supported version ({}). Supported versions: {}, and previews of the forms 7.N-preview.M and YYYY-MM-DD-preview.",
        latest().name,
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga_versions_and_preview_forms_map_to_a_shape() {
        assert_eq!(lookup("2026-04-01").map(|v| v.name), Some("2026-04-01"));
        assert!(!lookup("7.0").unwrap().recoverable_days);
        assert!(lookup("7.1").unwrap().recoverable_days);
        assert_eq!(lookup("7.6-preview.2").map(|v| v.name), Some("7.6"));
        assert_eq!(lookup("7.2-preview").map(|v| v.name), Some("7.2"));
        assert_eq!(
            lookup("2025-06-01-preview").map(|v| v.name),
            Some("2025-07-01")
        );
        assert_eq!(
            lookup("2026-03-01-preview").map(|v| v.name),
            Some("2025-07-01")
        );
        assert_eq!(
            lookup("2026-05-01-preview").map(|v| v.name),
            Some("2026-04-01")
        );
        assert_eq!(lookup("2024-12-01-preview").map(|v| v.name), Some("7.6"));
        for bad in [
            "2016-10-01",
            "7.7",
            "7.9-preview",
            "7.6-preview.x",
            "2026-4-1-preview",
            "",
        ] {
            assert_eq!(lookup(bad), None, "{bad}");
        }
        assert_eq!(latest().name, "2026-04-01");
        let message = unsupported_message("1.0");
        assert!(message.contains("(1.0) is not recognized"), "{message}");
        assert!(message.contains("7.0, 7.1"), "{message}");
    }
}
