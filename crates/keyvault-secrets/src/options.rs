//! The service API version.

/// The service API version the client speaks.
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
}
