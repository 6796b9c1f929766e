//! Per-operation options and the API version.

use std::collections::HashMap;

use time::OffsetDateTime;

/// The service API version the client speaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `7.5`.
    V7_5,
    /// `7.6`.
    V7_6,
    /// `2025-07-01`, the default.
    #[default]
    V2025_07_01,
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
            Self::Custom(v) => v,
        }
    }
}

/// The setters shared by the options that carry a secret's attributes
/// (content type, tags, enabled, not-before, expiry).
macro_rules! secret_attribute_setters {
    () => {
        /// Sets the content type.
        pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
            self.content_type = Some(content_type.into());
            self
        }
        /// Sets the tags.
        pub fn with_tags(mut self, tags: HashMap<String, String>) -> Self {
            self.tags = Some(tags);
            self
        }
        /// Sets `enabled`.
        pub fn with_enabled(mut self, enabled: bool) -> Self {
            self.enabled = Some(enabled);
            self
        }
        /// Sets the not-before time.
        pub fn with_not_before(mut self, at: OffsetDateTime) -> Self {
            self.not_before = Some(at);
            self
        }
        /// Sets the expiry time.
        pub fn with_expires_on(mut self, at: OffsetDateTime) -> Self {
            self.expires_on = Some(at);
            self
        }
    };
}

/// Options for [`SecretClient::set_secret`](crate::SecretClient::set_secret).
/// Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetSecretOptions {
    /// The content type (at most 255 characters), e.g. `text/plain`.
    pub content_type: Option<String>,
    /// Tags.
    pub tags: Option<HashMap<String, String>>,
    /// Whether the secret is enabled.
    pub enabled: Option<bool>,
    /// Not valid before this time.
    pub not_before: Option<OffsetDateTime>,
    /// Not valid after this time.
    pub expires_on: Option<OffsetDateTime>,
}

impl SetSecretOptions {
    secret_attribute_setters!();
}

/// Options for [`SecretClient::get_secret`](crate::SecretClient::get_secret).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetSecretOptions {
    /// A version; `None` (or empty) means the latest.
    pub version: Option<String>,
    /// Ask the service to convert a certificate-backed secret
    /// (`application/x-pem-file` or `application/x-pkcs12`; 2025-07-01).
    pub out_content_type: Option<String>,
}

impl GetSecretOptions {
    /// Sets the version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
    /// Sets `outContentType`.
    pub fn with_out_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.out_content_type = Some(content_type.into());
        self
    }
}

/// Options for
/// [`SecretClient::update_secret_properties`](crate::SecretClient::update_secret_properties).
/// Unset fields are left unchanged by the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateSecretPropertiesOptions {
    /// A version; `None` means the latest.
    pub version: Option<String>,
    /// The content type.
    pub content_type: Option<String>,
    /// Tags (replace the existing ones).
    pub tags: Option<HashMap<String, String>>,
    /// Whether the secret is enabled.
    pub enabled: Option<bool>,
    /// Not valid before this time.
    pub not_before: Option<OffsetDateTime>,
    /// Not valid after this time.
    pub expires_on: Option<OffsetDateTime>,
}

impl UpdateSecretPropertiesOptions {
    /// Sets the version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
    secret_attribute_setters!();
}

/// Options for the listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// `maxresults`: items per page (1 to 25).
    pub max_results: Option<u32>,
}

impl ListOptions {
    /// Sets the page size (1 to 25).
    pub fn with_max_results(mut self, max_results: u32) -> Self {
        self.max_results = Some(max_results);
        self
    }
}
