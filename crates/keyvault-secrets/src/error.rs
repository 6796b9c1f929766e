//! [`Error`]: why a Key Vault operation failed.

use std::fmt;

use credential_core::{CredentialError, ErrorSource, StatusCode, TransportErrorKind};
use serde::Deserialize;

/// An error answer from the service: its HTTP status, the `error` object of
/// the body, and the `x-ms-request-id` to quote to support.
///
/// `Display` shows the status, the codes, the service's message and the
/// request id, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    status: StatusCode,
    code: Option<String>,
    message: Option<String>,
    inner_code: Option<String>,
    request_id: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key Vault returned HTTP {}", self.status.as_u16())?;
        match (&self.code, &self.inner_code) {
            (Some(code), Some(inner)) => write!(f, " ({code}, inner {inner})")?,
            (Some(code), None) => write!(f, " ({code})")?,
            (None, Some(inner)) => write!(f, " (inner {inner})")?,
            (None, None) => {}
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [x-ms-request-id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: Option<String>,
    message: Option<String>,
    innererror: Option<Box<ErrorObject>>,
}

impl ServiceError {
    /// Builds the error from a response's status, body and request id, as
    /// the client does (a custom transport or a test can do the same). A
    /// body that is not the `KeyVaultError` JSON leaves the codes empty and
    /// the message says what the body was (never the body itself).
    ///
    /// ```
    /// use keyvault_secrets::{ServiceError, StatusCode};
    /// let body = br#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) db was not found in this key vault."}}"#;
    /// let error = ServiceError::from_response(StatusCode::NOT_FOUND, body, Some("rid-1".into()));
    /// assert_eq!(error.status(), StatusCode::NOT_FOUND);
    /// assert_eq!(error.code(), Some("SecretNotFound"));
    /// assert_eq!(error.request_id(), Some("rid-1"));
    /// ```
    pub fn from_response(status: StatusCode, body: &[u8], request_id: Option<String>) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|b| b.error);
        match parsed {
            Some(error) => Self {
                status,
                code: error.code,
                message: error.message,
                inner_code: error.innererror.and_then(|i| i.code),
                request_id,
            },
            None => Self {
                status,
                code: None,
                message: (!body.is_empty()).then(|| {
                    format!(
                        "the response body was not a Key Vault error ({} bytes)",
                        body.len()
                    )
                }),
                inner_code: None,
                request_id,
            },
        }
    }

    /// The HTTP status, e.g. `404 Not Found`.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The service's error code (`error.code`), e.g. `SecretNotFound`.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The service's message (`error.message`).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The inner error code (`error.innererror.code`), e.g. `SecretDisabled`.
    pub fn inner_code(&self) -> Option<&str> {
        self.inner_code.as_deref()
    }

    /// The `x-ms-request-id` response header, to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// This error with `note` added to its message (in parentheses after the
    /// service's own).
    pub(crate) fn with_note(mut self, note: &str) -> Self {
        self.message = Some(match self.message {
            Some(m) => format!("{m} ({note})"),
            None => note.to_owned(),
        });
        self
    }
}

/// Why an operation failed.
///
/// `Display` says what failed at this level; the cause (the credential's
/// error, the transport's) is [`source()`](std::error::Error::source) and is
/// not repeated, so an error reporter such as `anyhow`'s `{:#}` prints each
/// message once. The service's answer is in fields: [`status`](Self::status),
/// [`error_code`](Self::error_code), [`request_id`](Self::request_id), and
/// the questions most callers ask have helpers:
/// [`is_not_found`](Self::is_not_found), [`is_conflict`](Self::is_conflict),
/// [`is_forbidden`](Self::is_forbidden), [`is_throttled`](Self::is_throttled).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status.
    #[error(transparent)]
    Service(ServiceError),

    /// The credential could not produce a token; the credential's error is
    /// the source.
    #[error("could not get a token for Key Vault")]
    Credential(#[source] CredentialError),

    /// The request did not complete (connection failure, reset, timeout),
    /// after the retries ran out.
    #[error("could not reach Key Vault ({kind}): {message}")]
    #[non_exhaustive]
    Transport {
        /// What kind of failure it was.
        kind: TransportErrorKind,
        /// What failed, without the text of `source`.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<ErrorSource>,
    },

    /// The authentication challenge was refused (it names a foreign
    /// resource, or it cannot be parsed); no token was sent.
    #[error("Key Vault authentication challenge refused: {message}")]
    #[non_exhaustive]
    Challenge {
        /// What was wrong and how to fix it.
        message: String,
    },

    /// The caller's input was rejected before anything was sent: a bad
    /// secret name, an oversized value, a bad vault URL or id.
    #[error("invalid input: {message}")]
    #[non_exhaustive]
    InvalidInput {
        /// What was wrong and how to fix it.
        message: String,
    },

    /// The service answered with a success status but a body we could not read.
    #[error("Key Vault sent a response that could not be read (HTTP {}): {message}{}", status.as_u16(), request_id.as_deref().map(|id| format!(" [x-ms-request-id {id}]")).unwrap_or_default())]
    #[non_exhaustive]
    MalformedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// What was wrong with it.
        message: String,
        /// The `x-ms-request-id` response header.
        request_id: Option<String>,
    },
}

impl Error {
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }

    /// The operation did not finish within the caller's timeout.
    pub(crate) fn timed_out(limit: std::time::Duration) -> Self {
        Self::Transport {
            kind: TransportErrorKind::Timeout,
            message: format!(
                "the operation did not complete within its timeout of {limit:?} (retries included)"
            ),
            source: None,
        }
    }

    pub(crate) fn challenge(message: impl Into<String>) -> Self {
        Self::Challenge {
            message: message.into(),
        }
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Service(e) => Some(e.status()),
            Self::MalformedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's error code (`error.code`), if any.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Service(e) => e.code(),
            _ => None,
        }
    }

    /// Whether the service answered `404 Not Found`: no such secret (or
    /// version, or deleted secret).
    pub fn is_not_found(&self) -> bool {
        self.service_status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the service answered `409 Conflict`: e.g. the name belongs to
    /// a deleted secret not yet purged, or a deletion is still in progress.
    pub fn is_conflict(&self) -> bool {
        self.service_status() == Some(StatusCode::CONFLICT)
    }

    /// Whether the service answered `403 Forbidden`: the identity lacks the
    /// permission (a role or access policy), the network rules refuse the
    /// caller, or the secret is disabled (see
    /// [`ServiceError::inner_code`]).
    pub fn is_forbidden(&self) -> bool {
        self.service_status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether the service answered `429 Too Many Requests` and the retries
    /// ran out.
    pub fn is_throttled(&self) -> bool {
        self.service_status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether trying again later may succeed: Key Vault could not be
    /// reached or answered too slowly, or answered 408, 429 or a 5xx after
    /// the client's retries ran out, or the credential's failure is
    /// transient ([`CredentialError::is_transient`]). Configuration errors,
    /// refusals and missing secrets are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => kind.is_transient(),
            Self::Service(e) => matches!(e.status().as_u16(), 408 | 429 | 500..=599),
            Self::Credential(e) => e.is_transient(),
            _ => false,
        }
    }

    fn service_status(&self) -> Option<StatusCode> {
        self.as_service().map(ServiceError::status)
    }

    /// The `x-ms-request-id`, if the service answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Service(e) => e.request_id(),
            Self::MalformedResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Self::Service(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CredentialError> for Error {
    fn from(error: CredentialError) -> Self {
        Self::Credential(error)
    }
}

/// A custom transport's configuration error (from
/// `ReqwestHttpClient::builder().build()?`) is invalid input.
impl From<credential_core::HttpClientConfigError> for Error {
    fn from(error: credential_core::HttpClientConfigError) -> Self {
        Self::invalid_input(error.message)
    }
}

impl From<credential_core::TransportError> for Error {
    fn from(error: credential_core::TransportError) -> Self {
        Self::Transport {
            kind: error.kind,
            message: error.message,
            source: error.source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_error_carries_codes() {
        let body = br#"{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}"#;
        let err = Error::Service(ServiceError::from_response(
            StatusCode::FORBIDDEN,
            body,
            Some("rid".into()),
        ));
        assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
        assert_eq!(err.error_code(), Some("Forbidden"));
        assert_eq!(
            err.as_service().unwrap().inner_code(),
            Some("SecretDisabled")
        );
        assert!(err.is_forbidden());
        assert!(!err.is_not_found() && !err.is_conflict() && !err.is_throttled());
        assert!(!err.is_transient());
        assert_eq!(
            err.to_string(),
            "Key Vault returned HTTP 403 (Forbidden, inner SecretDisabled): Operation get is not allowed on a disabled secret. [x-ms-request-id rid]"
        );
    }

    #[test]
    fn transient_errors_are_the_ones_worth_trying_later() {
        let service = |status| Error::Service(ServiceError::from_response(status, b"", None));
        assert!(service(StatusCode::TOO_MANY_REQUESTS).is_transient());
        assert!(service(StatusCode::SERVICE_UNAVAILABLE).is_transient());
        assert!(service(StatusCode::REQUEST_TIMEOUT).is_transient());
        assert!(!service(StatusCode::NOT_FOUND).is_transient());
        assert!(!service(StatusCode::UNAUTHORIZED).is_transient());
        let transport = |kind| Error::from(credential_core::TransportError::new(kind, "x"));
        assert!(transport(TransportErrorKind::Connect).is_transient());
        assert!(transport(TransportErrorKind::Timeout).is_transient());
        assert!(!Error::invalid_input("bad name").is_transient());
        let unavailable = CredentialError::unavailable("C", "not here");
        assert!(!Error::Credential(unavailable).is_transient());
        let down = CredentialError::transport("C", TransportErrorKind::Connect, "down");
        assert!(Error::Credential(down).is_transient());
    }

    #[test]
    fn non_json_error_body() {
        let err =
            ServiceError::from_response(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>", None);
        assert_eq!(err.code(), None);
        assert!(err.message().unwrap().contains("not a Key Vault error"));
    }
}
