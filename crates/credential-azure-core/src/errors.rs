//! Error mapping both ways: [`CredentialError`] to `azure_core::Error` and
//! back.

use azure_core::error::{Error as AzureError, ErrorKind};
use credential_core::{CredentialError, TransportErrorKind};

/// The prefix that marks an "unavailable" error in an `azure_core::Error`'s
/// text (which has no field for it): a chain should try its next credential.
pub const UNAVAILABLE_PREFIX: &str = "unavailable: ";

/// Our error as `azure_core`'s: kind [`ErrorKind::Credential`], text our
/// message followed by its causes' (prefixed with [`UNAVAILABLE_PREFIX`] when
/// [`CredentialError::is_unavailable`]), and our error itself as the inner
/// error, so a caller can get it back with
/// `error.downcast_ref::<CredentialError>()`.
///
/// The causes are in the text because an `azure_core::Error` shows only its
/// message and the `azure_core` clients report that; an error reporter that
/// also walks `source()` therefore sees our text twice, which is
/// `azure_core`'s convention (its `Error::new` displays the inner error too).
pub fn to_azure_error(error: CredentialError) -> AzureError {
    let text = describe(&error);
    let message = if error.is_unavailable() {
        format!("{UNAVAILABLE_PREFIX}{text}")
    } else {
        text
    };
    AzureError::with_error(ErrorKind::Credential, error, message)
}

/// `azure_core`'s error as ours, for the credential named `credential`.
///
/// - An error that wraps one of ours (it went through [`to_azure_error`])
///   gives that error back, unchanged.
/// - Text starting with [`UNAVAILABLE_PREFIX`]: [`CredentialError::Unavailable`].
/// - `Connection`: [`CredentialError::Transport`] (connection failed);
///   `Io`: `Transport` (request failed).
/// - `HttpResponse` with 408, 429 or 5xx: `Transport` with that status; any
///   other status: [`CredentialError::Authentication`] with the status and the
///   service's error code.
/// - `DataConversion`: [`CredentialError::UnexpectedResponse`].
/// - `Credential` and `Other`: `Authentication`.
///
/// The text is the error's message followed by its sources'. The
/// `azure_core::Error` itself is not kept (its `Debug` can show a raw HTTP
/// response).
pub fn from_azure_error(credential: &'static str, error: &AzureError) -> CredentialError {
    if let Some(ours) = find_ours(error) {
        return ours.clone();
    }
    let mut message = describe(error);
    if message.trim().is_empty() {
        message = format!("azure_core error of kind {}", error.kind());
    }
    if let Some(rest) = message.strip_prefix(UNAVAILABLE_PREFIX) {
        return CredentialError::unavailable(credential, rest);
    }
    let transport = |kind| CredentialError::transport(credential, kind, message.clone());
    match error.kind() {
        ErrorKind::Connection => transport(TransportErrorKind::Connect),
        ErrorKind::Io => transport(TransportErrorKind::Request),
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = credential_core::StatusCode::from_u16(u16::from(*status)).ok();
            match code {
                Some(code) if matches!(code.as_u16(), 408 | 429 | 500..=599) => {
                    transport(TransportErrorKind::Status(code))
                }
                _ => CredentialError::refused(credential, code, message)
                    .with_codes(None, error_code.clone()),
            }
        }
        ErrorKind::DataConversion => {
            CredentialError::unexpected_response(credential, None, message)
        }
        ErrorKind::Credential | ErrorKind::Other => {
            CredentialError::authentication(credential, message)
        }
    }
}

/// Our error inside `error` or one of its sources, if there is one.
fn find_ours(error: &AzureError) -> Option<&CredentialError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<CredentialError>() {
            return Some(ours);
        }
        current = e.source();
    }
    None
}

/// The error's text followed by each source's, skipping repeats (an
/// `azure_core::Error` without a message of its own displays its source's).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::http::StatusCode;

    const NAME: &str = "AzureCoreCredential";

    #[test]
    fn unavailable_gets_prefix_kind_and_inner_error() {
        let ours =
            CredentialError::unavailable("EnvironmentCredential", "AZURE_TENANT_ID is not set");
        let theirs = to_azure_error(ours.clone());
        assert_eq!(theirs.kind(), &ErrorKind::Credential);
        assert_eq!(
            theirs.to_string(),
            "unavailable: EnvironmentCredential is unavailable: AZURE_TENANT_ID is not set"
        );
        let inner = theirs
            .downcast_ref::<CredentialError>()
            .expect("inner error");
        assert!(inner.is_unavailable());
        assert_eq!(inner.to_string(), ours.to_string());
    }

    #[test]
    fn failure_keeps_text_without_prefix() {
        let ours = CredentialError::refused(
            "ClientSecretCredential",
            Some(credential_core::StatusCode::UNAUTHORIZED),
            "Invalid client secret provided.",
        )
        .with_codes(Some("invalid_client".into()), Some("AADSTS7000215".into()));
        let theirs = to_azure_error(ours);
        assert_eq!(theirs.kind(), &ErrorKind::Credential);
        assert_eq!(
            theirs.to_string(),
            "ClientSecretCredential authentication failed (HTTP 401, invalid_client, AADSTS7000215): Invalid client secret provided."
        );
    }

    #[test]
    fn exhausted_chain_is_unavailable_and_stopped_chain_is_not() {
        let exhausted = CredentialError::chain_failed(
            "DefaultAzureCredential",
            vec![CredentialError::unavailable("A", "x")],
            None,
        );
        assert!(
            to_azure_error(exhausted)
                .to_string()
                .starts_with(UNAVAILABLE_PREFIX)
        );

        let stopped = CredentialError::chain_failed(
            "DefaultAzureCredential",
            vec![CredentialError::authentication("A", "refused")],
            None,
        );
        let text = to_azure_error(stopped).to_string();
        assert!(!text.starts_with(UNAVAILABLE_PREFIX), "{text}");
        // azure_core shows only the message: the stopping error is in it.
        assert!(
            text.ends_with("(its error follows as the cause): A authentication failed: refused"),
            "{text}"
        );
    }

    #[test]
    fn round_trip_gives_our_error_back() {
        let ours = CredentialError::transport(
            "ManagedIdentityCredential",
            TransportErrorKind::Timeout,
            "no answer within 1s",
        );
        let back = from_azure_error(NAME, &to_azure_error(ours.clone()));
        assert_eq!(back.credential(), "ManagedIdentityCredential");
        assert!(back.is_transient());
        assert_eq!(back.to_string(), ours.to_string());

        // Also when azure_core code wrapped it in more context.
        let wrapped =
            to_azure_error(CredentialError::unavailable("X", "y")).with_context("while signing");
        assert!(from_azure_error(NAME, &wrapped).is_unavailable());
    }

    #[test]
    fn prefixed_text_is_unavailable() {
        let theirs =
            AzureError::with_message(ErrorKind::Credential, "unavailable: no az CLI installed");
        let ours = from_azure_error(NAME, &theirs);
        assert!(ours.is_unavailable());
        assert_eq!(ours.credential(), NAME);
        assert_eq!(
            ours.to_string(),
            "AzureCoreCredential is unavailable: no az CLI installed"
        );
    }

    #[test]
    fn credential_and_other_kinds_are_authentication_failures() {
        for kind in [ErrorKind::Credential, ErrorKind::Other] {
            let theirs = AzureError::with_message(kind, "AADSTS700016: application not found");
            let ours = from_azure_error(NAME, &theirs);
            assert!(
                matches!(&ours, CredentialError::Authentication { description, status: None, .. }
                    if description == "AADSTS700016: application not found"),
                "{ours:?}"
            );
            assert!(!ours.is_unavailable());
        }
    }

    #[test]
    fn connection_and_io_are_transport() {
        let connect = from_azure_error(
            NAME,
            &AzureError::with_error(
                ErrorKind::Connection,
                std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
                "failed to execute `reqwest` request",
            ),
        );
        assert!(
            matches!(&connect, CredentialError::Transport { kind: TransportErrorKind::Connect, message, .. }
                if message == "failed to execute `reqwest` request: connection refused"),
            "{connect:?}"
        );
        assert!(connect.is_transient());

        let io = from_azure_error(NAME, &AzureError::with_message(ErrorKind::Io, "reset"));
        assert!(matches!(
            io,
            CredentialError::Transport {
                kind: TransportErrorKind::Request,
                ..
            }
        ));
    }

    #[test]
    fn http_status_splits_retryable_from_refusal() {
        let refused = AzureError::with_message(
            ErrorKind::HttpResponse {
                status: StatusCode::BadRequest,
                error_code: Some("invalid_grant".into()),
                raw_response: None,
            },
            "token request refused",
        );
        let ours = from_azure_error(NAME, &refused);
        assert!(
            matches!(&ours, CredentialError::Authentication { status: Some(credential_core::StatusCode::BAD_REQUEST), error_code: Some(code), description, .. }
                if code == "invalid_grant" && description == "token request refused"),
            "{ours:?}"
        );

        for status in [
            StatusCode::TooManyRequests,
            StatusCode::ServiceUnavailable,
            StatusCode::RequestTimeout,
        ] {
            let theirs = AzureError::with_message(
                ErrorKind::HttpResponse {
                    status,
                    error_code: None,
                    raw_response: None,
                },
                "busy",
            );
            let ours = from_azure_error(NAME, &theirs);
            assert!(
                matches!(ours, CredentialError::Transport { kind: TransportErrorKind::Status(s), .. } if s == u16::from(status)),
                "{ours:?}"
            );
            assert!(ours.is_transient());
        }
    }

    #[test]
    fn data_conversion_is_unexpected_response() {
        let ours = from_azure_error(
            NAME,
            &AzureError::with_message(ErrorKind::DataConversion, "expires_on is not a number"),
        );
        assert_eq!(
            ours.to_string(),
            "AzureCoreCredential received an unexpected response: expires_on is not a number"
        );
    }

    #[test]
    fn empty_text_names_the_kind() {
        let ours = from_azure_error(NAME, &AzureError::from(ErrorKind::Other));
        // azure_core displays a bare kind as its name.
        assert_eq!(
            ours.to_string(),
            "AzureCoreCredential authentication failed: Other"
        );
    }
}
