//! The service API version.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The service API version the client speaks.
///
/// Its text form is the `api-version` query value: [`Display`](fmt::Display)
/// writes it and [`FromStr`] reads it back (a known version becomes its
/// named variant; any other value of letters, digits, `.` and `-` becomes
/// [`ApiVersion::Custom`]).
///
/// ```
/// use keyvault_secrets::ApiVersion;
/// let v: ApiVersion = "7.6".parse().unwrap();
/// assert_eq!(v, ApiVersion::V7_6);
/// assert_eq!(v.to_string(), "7.6");
/// assert!("7.6; drop".parse::<ApiVersion>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `7.5`.
    V7_5,
    /// `7.6`.
    V7_6,
    /// `2025-07-01`.
    V2025_07_01,
    /// `2026-04-01`, the default (GA; the JavaScript and Python clients'
    /// default too).
    #[default]
    V2026_04_01,
    /// Any other version string (previews), sent as given; unsupported.
    Custom(String),
}

impl ApiVersion {
    /// The `api-version` query value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::V7_5 => "7.5",
            Self::V7_6 => "7.6",
            Self::V2025_07_01 => "2025-07-01",
            Self::V2026_04_01 => "2026-04-01",
            Self::Custom(v) => v,
        }
    }
}

/// The named versions, oldest first.
const KNOWN: [ApiVersion; 4] = [
    ApiVersion::V7_5,
    ApiVersion::V7_6,
    ApiVersion::V2025_07_01,
    ApiVersion::V2026_04_01,
];

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    /// The named version for a known string, else [`ApiVersion::Custom`];
    /// white space around the value is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the value is empty or holds anything
    /// but ASCII letters, digits, `.` and `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let version = s.trim();
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            let known: Vec<&str> = KNOWN.iter().map(ApiVersion::as_str).collect();
            return Err(Error::invalid_input(format!(
                "'{}' is not an api-version: expected one of {} or another version made of \
                 letters, digits, '.' and '-' (such as 2026-10-01-preview)",
                s.escape_debug(),
                known.join(", ")
            )));
        }
        Ok(Self::from(version))
    }
}

impl From<&str> for ApiVersion {
    /// The named version for a known string, else [`ApiVersion::Custom`].
    fn from(version: &str) -> Self {
        match version {
            "7.5" => Self::V7_5,
            "7.6" => Self::V7_6,
            "2025-07-01" => Self::V2025_07_01,
            "2026-04-01" => Self::V2026_04_01,
            other => Self::Custom(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_strings_name_their_version() {
        assert_eq!(ApiVersion::default().as_str(), "2026-04-01");
        assert_eq!(ApiVersion::from("7.6"), ApiVersion::V7_6);
        assert_eq!(ApiVersion::from("2025-07-01"), ApiVersion::V2025_07_01);
        let preview = ApiVersion::from("2026-10-01-preview");
        assert_eq!(preview, ApiVersion::Custom("2026-10-01-preview".into()));
        assert_eq!(preview.as_str(), "2026-10-01-preview");
    }

    #[test]
    fn text_form_edge_cases() {
        for (text, expected) in [
            ("7.5", Some(ApiVersion::V7_5)),
            (" 2026-04-01 ", Some(ApiVersion::V2026_04_01)),
            ("2025-07-01", Some(ApiVersion::V2025_07_01)),
            (
                "7.6-preview.1",
                Some(ApiVersion::Custom("7.6-preview.1".into())),
            ),
            ("", None),
            ("  ", None),
            ("7.6&x=1", None),
            ("7 6", None),
            ("2026-04-01\n", Some(ApiVersion::V2026_04_01)),
            ("é", None),
        ] {
            match (text.parse::<ApiVersion>(), expected) {
                (Ok(v), Some(expected)) => assert_eq!(v, expected, "{text:?}"),
                (Err(e), None) => {
                    let message = e.to_string();
                    assert!(
                        message.contains("7.5, 7.6, 2025-07-01, 2026-04-01"),
                        "{message}"
                    );
                }
                (got, expected) => panic!("{text:?}: got {got:?}, expected {expected:?}"),
            }
        }
        for v in KNOWN {
            assert_eq!(v.to_string().parse::<ApiVersion>().unwrap(), v);
        }
    }

    proptest::proptest! {
        #[test]
        fn display_and_parse_round_trip(text in "[a-zA-Z0-9.-]{1,24}") {
            let version: ApiVersion = text.parse().unwrap();
            proptest::prop_assert_eq!(version.to_string(), text.clone());
            proptest::prop_assert_eq!(version.to_string().parse::<ApiVersion>().unwrap(), version);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,24}") {
            let _ = text.parse::<ApiVersion>();
        }
    }
}
