//! [`CredentialError`]: why a credential gave no token.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;

/// A shareable error source; `Arc` keeps [`CredentialError`] `Clone`, so every
/// caller waiting on one token request can get the same error.
pub type ErrorSource = Arc<dyn StdError + Send + Sync + 'static>;

/// Why a credential could not produce a token.
///
/// Every variant names the credential. A chain moves on only past
/// [`CredentialError::is_unavailable`] errors and stops on anything else.
/// No variant ever holds a token, secret, assertion, form body or header.
///
/// `Display` says what failed at this level only; the cause, where there is
/// one, is [`source()`](std::error::Error::source) and is not repeated in the
/// text, so an error reporter (`anyhow`'s `{:#}`, for instance) prints each
/// message once. What a support ticket needs is in fields with accessors:
/// [`status`](Self::status), [`error_code`](Self::error_code),
/// [`request_id`](Self::request_id), [`correlation_id`](Self::correlation_id).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// Not configured, or not applicable here (a variable is missing, a tool is
    /// not installed or not signed in, no managed identity endpoint answers).
    #[error("{credential} is unavailable: {message}")]
    #[non_exhaustive]
    Unavailable {
        /// The credential's name, e.g. `EnvironmentCredential`.
        credential: &'static str,
        /// What is missing and how to provide it.
        message: String,
    },

    /// Configured, but the configuration is wrong (a malformed tenant id, an
    /// unreadable certificate, an `http://` authority).
    #[error("{credential} is misconfigured: {message}")]
    #[non_exhaustive]
    InvalidConfiguration {
        /// The credential's name.
        credential: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The identity provider refused to issue a token.
    #[error(
        "{credential} authentication failed{}: {description}",
        details(&[status.map(|s| format!("HTTP {}", s.as_u16())), oauth_error.clone(), error_code.clone()], request_id.as_deref())
    )]
    #[non_exhaustive]
    Authentication {
        /// The credential's name.
        credential: &'static str,
        /// The HTTP status of the refusal, if there was an HTTP exchange.
        status: Option<StatusCode>,
        /// The OAuth `error` field, e.g. `invalid_client`.
        oauth_error: Option<String>,
        /// The Entra ID error code, e.g. `AADSTS7000215`.
        error_code: Option<String>,
        /// The provider's description of the problem, ending with what to do
        /// about it where that is known.
        description: String,
        /// The ids Microsoft Entra ID's error body carried, to quote when
        /// asking for support (also through [`CredentialError::correlation_id`],
        /// [`CredentialError::trace_id`] and [`CredentialError::timestamp`]).
        diagnostics: Option<Box<EntraDiagnostics>>,
        /// The response's request id (`x-ms-request-id`), if it had one
        /// (boxed to keep the error small).
        request_id: Option<Box<str>>,
    },

    /// A developer tool (`az`, `azd`, `pwsh`) ran and exited non-zero for a
    /// reason other than "not installed" or "not signed in" (those are
    /// [`Unavailable`](Self::Unavailable)).
    #[error("{credential} failed: {tool} {}: {message}", exit_text(*exit_code))]
    #[non_exhaustive]
    DeveloperTool {
        /// The credential's name, e.g. `AzureCliCredential`.
        credential: &'static str,
        /// The tool's name as a user knows it, e.g. `Azure CLI`.
        tool: &'static str,
        /// The exit code; `None` when the process was ended by a signal.
        exit_code: Option<i32>,
        /// The tool's error output, with anything that looks like a token
        /// removed.
        message: String,
    },

    /// The request did not complete: connection failure, timeout, or an HTTP
    /// status that is worth retrying (408, 429, 5xx) after the retries ran out.
    #[error(
        "{credential} could not reach its token endpoint{}: {message}",
        details(&[Some(kind.to_string())], request_id.as_deref())
    )]
    #[non_exhaustive]
    Transport {
        /// The credential's name.
        credential: &'static str,
        /// What kind of failure it was.
        kind: TransportErrorKind,
        /// What failed, without secrets and without the text of `source`.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<ErrorSource>,
        /// The response's request id (`x-ms-request-id`), if there was a
        /// response.
        request_id: Option<String>,
    },

    /// The endpoint or tool answered with something we could not use.
    #[error(
        "{credential} received an unexpected response{}: {message}",
        details(&[status.map(|s| format!("HTTP {}", s.as_u16()))], request_id.as_deref())
    )]
    #[non_exhaustive]
    UnexpectedResponse {
        /// The credential's name.
        credential: &'static str,
        /// The HTTP status, if there was one.
        status: Option<StatusCode>,
        /// What was wrong with the response (never the response itself when it
        /// could hold a token).
        message: String,
        /// The response's request id (`x-ms-request-id`), if it had one.
        request_id: Option<String>,
    },

    /// A chain of credentials produced no token. The message lists every
    /// attempt in order. When one attempt stopped the chain (rather than
    /// every link being unavailable), the list names it and `source()` is
    /// that error, so its text is printed once, as the cause.
    #[error("{}", render_chain(credential, attempts, help.as_deref(), stopped_by.is_some()))]
    #[non_exhaustive]
    ChainFailed {
        /// The chain's name, e.g. `DefaultAzureCredential`.
        credential: &'static str,
        /// Every link's error, in chain order.
        attempts: Vec<CredentialError>,
        /// What the user can do about it.
        help: Option<String>,
        /// The error that stopped the chain (also the last attempt).
        #[source]
        stopped_by: Option<Arc<CredentialError>>,
    },
}

impl CredentialError {
    /// A [`CredentialError::Unavailable`].
    pub fn unavailable(credential: &'static str, message: impl Into<String>) -> Self {
        Self::Unavailable {
            credential,
            message: message.into(),
        }
    }

    /// An [`CredentialError::InvalidConfiguration`].
    pub fn invalid_configuration(credential: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidConfiguration {
            credential,
            message: message.into(),
        }
    }

    /// An [`CredentialError::UnexpectedResponse`].
    pub fn unexpected_response(
        credential: &'static str,
        status: Option<StatusCode>,
        message: impl Into<String>,
    ) -> Self {
        Self::UnexpectedResponse {
            credential,
            status,
            message: message.into(),
            request_id: None,
        }
    }

    /// A [`CredentialError::Authentication`] with only a description.
    pub fn authentication(credential: &'static str, description: impl Into<String>) -> Self {
        Self::Authentication {
            credential,
            status: None,
            oauth_error: None,
            error_code: None,
            description: description.into(),
            diagnostics: None,
            request_id: None,
        }
    }

    /// A [`CredentialError::Transport`] of `kind` with no underlying error.
    pub fn transport(
        credential: &'static str,
        kind: TransportErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self::Transport {
            credential,
            kind,
            message: message.into(),
            source: None,
            request_id: None,
        }
    }

    /// A [`CredentialError::DeveloperTool`]: `tool` exited with `exit_code`
    /// (`None`: ended by a signal) and printed `message` (already cleaned of
    /// anything that looks like a token).
    pub fn developer_tool(
        credential: &'static str,
        tool: &'static str,
        exit_code: Option<i32>,
        message: impl Into<String>,
    ) -> Self {
        Self::DeveloperTool {
            credential,
            tool,
            exit_code,
            message: message.into(),
        }
    }

    /// A [`CredentialError::Authentication`]: the identity provider
    /// answered `status` and refused, saying `description` (which ends with
    /// what to do about it, where that is known). Add the OAuth and service
    /// codes with [`with_codes`](Self::with_codes).
    ///
    /// ```
    /// use credential_core::{CredentialError, StatusCode};
    /// let err = CredentialError::refused("MyCredential", Some(StatusCode::UNAUTHORIZED), "bad key")
    ///     .with_codes(Some("invalid_client".into()), Some("AADSTS7000215".into()));
    /// assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    /// assert_eq!(err.error_code(), Some("AADSTS7000215"));
    /// ```
    pub fn refused(
        credential: &'static str,
        status: Option<StatusCode>,
        description: impl Into<String>,
    ) -> Self {
        Self::Authentication {
            credential,
            status,
            oauth_error: None,
            error_code: None,
            description: description.into(),
            diagnostics: None,
            request_id: None,
        }
    }

    /// This [`Authentication`](Self::Authentication) error with the OAuth
    /// `error` field (e.g. `invalid_client`) and the service's error code
    /// (e.g. `AADSTS7000215`); other variants are returned as they are.
    pub fn with_codes(mut self, oauth_error: Option<String>, error_code: Option<String>) -> Self {
        if let Self::Authentication {
            oauth_error: oauth,
            error_code: code,
            ..
        } = &mut self
        {
            *oauth = oauth_error;
            *code = error_code;
        }
        self
    }

    /// This [`Authentication`](Self::Authentication) error with the ids
    /// Microsoft Entra ID's error body carried; other variants are returned
    /// as they are.
    pub fn with_diagnostics(mut self, diagnostics: Option<Box<EntraDiagnostics>>) -> Self {
        if let Self::Authentication {
            diagnostics: slot, ..
        } = &mut self
        {
            *slot = diagnostics;
        }
        self
    }

    /// This [`Transport`](Self::Transport) error with the failure beneath it
    /// (an I/O or HTTP client error) as its `source()`; other variants are
    /// returned as they are.
    pub fn with_source(mut self, error: impl StdError + Send + Sync + 'static) -> Self {
        if let Self::Transport { source, .. } = &mut self {
            *source = Some(Arc::new(error));
        }
        self
    }

    /// This error with the request id of the response it came from
    /// (`x-ms-request-id`, or whatever id the endpoint gave), so that a
    /// failure can be traced on the service side: kept in a field
    /// ([`request_id`](Self::request_id)) of
    /// [`Authentication`](Self::Authentication),
    /// [`Transport`](Self::Transport) and
    /// [`UnexpectedResponse`](Self::UnexpectedResponse), and shown once by
    /// `Display`; other variants are returned as they are. A blank id is
    /// ignored.
    ///
    /// ```
    /// use credential_core::{CredentialError, StatusCode};
    /// let err = CredentialError::unexpected_response("C", Some(StatusCode::OK), "not JSON")
    ///     .with_request_id("2c5b1d0e-77aa");
    /// assert_eq!(err.request_id(), Some("2c5b1d0e-77aa"));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "C received an unexpected response (HTTP 200; request id 2c5b1d0e-77aa): not JSON"
    /// );
    /// ```
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        let request_id = request_id.trim();
        if request_id.is_empty() {
            return self;
        }
        match &mut self {
            Self::Authentication { request_id: id, .. } => *id = Some(request_id.into()),
            Self::Transport { request_id: id, .. }
            | Self::UnexpectedResponse { request_id: id, .. } => {
                *id = Some(request_id.to_owned());
            }
            _ => {}
        }
        self
    }

    /// A [`CredentialError::ChainFailed`] over `attempts` (in chain order). If
    /// the last attempt is not "unavailable", it stopped the chain and becomes
    /// the `source()`.
    pub fn chain_failed(
        credential: &'static str,
        attempts: Vec<CredentialError>,
        help: Option<String>,
    ) -> Self {
        let stopped_by = attempts
            .last()
            .filter(|e| !e.is_unavailable())
            .cloned()
            .map(Arc::new);
        Self::ChainFailed {
            credential,
            attempts,
            help,
            stopped_by,
        }
    }

    /// Whether a chain should go on to its next credential: the credential is
    /// not set up here. A chain whose links were all unavailable is itself
    /// unavailable, so chains nest.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable { .. } => true,
            Self::ChainFailed { stopped_by, .. } => stopped_by.is_none(),
            _ => false,
        }
    }

    /// Whether trying again later may succeed (network trouble, throttling,
    /// a 5xx from the endpoint).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => kind.is_transient(),
            Self::ChainFailed { stopped_by, .. } => {
                stopped_by.as_ref().is_some_and(|e| e.is_transient())
            }
            _ => false,
        }
    }

    /// The error that decides this one's details: itself, or for a chain
    /// stopped by one of its links, that link's error.
    fn decisive(&self) -> &Self {
        match self {
            Self::ChainFailed {
                stopped_by: Some(stopper),
                ..
            } => stopper.decisive(),
            other => other,
        }
    }

    fn diagnostics(&self) -> Option<&EntraDiagnostics> {
        match self.decisive() {
            Self::Authentication { diagnostics, .. } => diagnostics.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the response this error came from (or of the one
    /// that stopped a chain), if there was one: the refusal's status, the
    /// unexpected response's, or the retryable status that outlasted the
    /// retries.
    pub fn status(&self) -> Option<StatusCode> {
        match self.decisive() {
            Self::Authentication { status, .. } | Self::UnexpectedResponse { status, .. } => {
                *status
            }
            Self::Transport {
                kind: TransportErrorKind::Status(status),
                ..
            } => Some(*status),
            _ => None,
        }
    }

    /// The identity provider's error code (e.g. `AADSTS7000215`), if it
    /// sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self.decisive() {
            Self::Authentication { error_code, .. } => error_code.as_deref(),
            _ => None,
        }
    }

    /// The request id (`x-ms-request-id`) of the response this error came
    /// from (or of the one that stopped a chain), if it had one.
    pub fn request_id(&self) -> Option<&str> {
        match self.decisive() {
            Self::Authentication { request_id, .. } => request_id.as_deref(),
            Self::Transport { request_id, .. } | Self::UnexpectedResponse { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// Microsoft Entra ID's `correlation_id` for this failure (or the one
    /// that stopped a chain), if its error body had one.
    pub fn correlation_id(&self) -> Option<&str> {
        self.diagnostics()?.correlation_id.as_deref()
    }

    /// Microsoft Entra ID's `trace_id`, if its error body had one.
    pub fn trace_id(&self) -> Option<&str> {
        self.diagnostics()?.trace_id.as_deref()
    }

    /// Microsoft Entra ID's `timestamp`, as sent, if its error body had one.
    pub fn timestamp(&self) -> Option<&str> {
        self.diagnostics()?.timestamp.as_deref()
    }

    /// The name of the credential (or chain) that failed.
    pub fn credential(&self) -> &'static str {
        match self {
            Self::Unavailable { credential, .. }
            | Self::InvalidConfiguration { credential, .. }
            | Self::Authentication { credential, .. }
            | Self::DeveloperTool { credential, .. }
            | Self::Transport { credential, .. }
            | Self::UnexpectedResponse { credential, .. }
            | Self::ChainFailed { credential, .. } => credential,
        }
    }
}

/// The support ids of a Microsoft Entra ID error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraDiagnostics {
    /// `correlation_id`.
    pub correlation_id: Option<String>,
    /// `trace_id`.
    pub trace_id: Option<String>,
    /// `timestamp`, as sent (e.g. `2030-01-01 00:00:00Z`).
    pub timestamp: Option<String>,
}

impl EntraDiagnostics {
    /// The ids; `None` when all are absent.
    pub fn new(
        correlation_id: Option<String>,
        trace_id: Option<String>,
        timestamp: Option<String>,
    ) -> Option<Box<Self>> {
        let clean = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let diagnostics = Self {
            correlation_id: clean(correlation_id),
            trace_id: clean(trace_id),
            timestamp: clean(timestamp),
        };
        (diagnostics != Self::default()).then(|| Box::new(diagnostics))
    }
}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, unreachable, DNS, TLS,
    /// connect timeout).
    Connect,
    /// No answer came in time.
    Timeout,
    /// The request failed after connecting (reset, broken pipe, bad redirect).
    Request,
    /// The response could not be read (truncated or undecodable body).
    Decode,
    /// The endpoint answered with a status worth retrying, and retries ran out.
    Status(StatusCode),
}

impl TransportErrorKind {
    /// Whether this failure may go away on its own.
    pub fn is_transient(self) -> bool {
        match self {
            Self::Connect | Self::Timeout | Self::Request | Self::Decode => true,
            Self::Status(status) => matches!(status.as_u16(), 408 | 429 | 500..=599),
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("connection failed"),
            Self::Timeout => f.write_str("timed out"),
            Self::Request => f.write_str("request failed"),
            Self::Decode => f.write_str("response unreadable"),
            Self::Status(status) => write!(f, "HTTP {}", status.as_u16()),
        }
    }
}

/// ` (a, b; request id X)`, or nothing when there are no details.
fn details(parts: &[Option<String>], request_id: Option<&str>) -> String {
    let mut text = parts
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(id) = request_id {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str("request id ");
        text.push_str(id);
    }
    if text.is_empty() {
        text
    } else {
        format!(" ({text})")
    }
}

fn exit_text(exit_code: Option<i32>) -> String {
    exit_code.map_or_else(
        || "was ended by a signal".to_owned(),
        |code| format!("exited with code {code}"),
    )
}

/// The chain's message: every attempt in order. An attempt that did not stop
/// the chain is shown with its causes (it is nobody's `source()`); the one
/// that stopped it (the last, when `stopped`) is only named, because it is
/// this error's `source()` and an error reporter prints it next.
fn render_chain(
    credential: &str,
    attempts: &[CredentialError],
    help: Option<&str>,
    stopped: bool,
) -> String {
    use fmt::Write;
    let mut out = String::new();
    match attempts.last() {
        None => {
            let _ = write!(out, "{credential} has no credentials to try");
        }
        Some(last) if stopped => {
            let _ = write!(
                out,
                "{credential} failed to get a token: {} stopped the chain. Attempts, in order:",
                last.credential()
            );
        }
        Some(_) => {
            let _ = write!(
                out,
                "{credential} failed to get a token. Attempts, in order:"
            );
        }
    }
    for (i, attempt) in attempts.iter().enumerate() {
        let text = if stopped && i + 1 == attempts.len() {
            format!(
                "{} failed and stopped the chain (its error follows as the cause)",
                attempt.credential()
            )
        } else {
            with_causes(attempt)
        };
        let mut lines = text.lines();
        let _ = write!(out, "\n  {}. {}", i + 1, lines.next().unwrap_or_default());
        for line in lines {
            let _ = write!(out, "\n     {line}");
        }
    }
    if let Some(help) = help {
        let _ = write!(out, "\n{help}");
    }
    out
}

/// `error`'s message followed by its causes', joined by `: `.
fn with_causes(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_message_carries_status_and_code_and_fields() {
        let err = CredentialError::refused(
            "ClientSecretCredential",
            Some(StatusCode::UNAUTHORIZED),
            "Invalid client secret provided.",
        )
        .with_codes(Some("invalid_client".into()), Some("AADSTS7000215".into()));
        assert_eq!(
            err.to_string(),
            "ClientSecretCredential authentication failed (HTTP 401, invalid_client, AADSTS7000215): Invalid client secret provided."
        );
        assert!(!err.is_unavailable());
        assert!(!err.is_transient());
        assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(err.error_code(), Some("AADSTS7000215"));
        assert_eq!(err.request_id(), None);
    }

    fn stopper() -> CredentialError {
        CredentialError::Transport {
            credential: "B",
            kind: TransportErrorKind::Timeout,
            message: "no answer within 5s".into(),
            source: Some(Arc::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "socket timed out",
            ))),
            request_id: None,
        }
    }

    #[test]
    fn stopped_chain_names_the_stopper_and_source_is_it() {
        let err = CredentialError::chain_failed(
            "ChainedTokenCredential",
            vec![CredentialError::unavailable("A", "not set up"), stopper()],
            Some("Set things up.".into()),
        );
        assert_eq!(
            err.to_string(),
            "ChainedTokenCredential failed to get a token: B stopped the chain. Attempts, in order:\n  \
             1. A is unavailable: not set up\n  \
             2. B failed and stopped the chain (its error follows as the cause)\n\
             Set things up."
        );
        assert!(!err.is_unavailable());
        assert!(err.is_transient());
        let source = err.source().expect("source");
        assert_eq!(
            source.to_string(),
            "B could not reach its token endpoint (timed out): no answer within 5s"
        );
        assert_eq!(source.source().expect("io").to_string(), "socket timed out");
    }

    #[test]
    fn stopped_chain_prints_each_message_once() {
        let err = CredentialError::chain_failed(
            "Outer",
            vec![
                CredentialError::unavailable("A", "not set up"),
                CredentialError::chain_failed(
                    "Inner",
                    vec![CredentialError::unavailable("C", "absent"), stopper()],
                    None,
                ),
            ],
            None,
        );
        let report = with_causes(&err);
        for part in [
            "A is unavailable: not set up",
            "C is unavailable: absent",
            "no answer within 5s",
            "socket timed out",
            "Inner stopped the chain",
        ] {
            assert_eq!(report.matches(part).count(), 1, "{part} in {report}");
        }
    }

    #[test]
    fn chain_details_come_from_the_stopper() {
        let auth = CredentialError::Authentication {
            credential: "B",
            status: Some(StatusCode::BAD_REQUEST),
            oauth_error: None,
            error_code: Some("AADSTS700016".into()),
            description: "no such app".into(),
            diagnostics: EntraDiagnostics::new(Some("corr".into()), None, None),
            request_id: Some("rid".into()),
        };
        let err = CredentialError::chain_failed("Chain", vec![auth], None);
        assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(err.error_code(), Some("AADSTS700016"));
        assert_eq!(err.request_id(), Some("rid"));
        assert_eq!(err.correlation_id(), Some("corr"));
    }

    #[test]
    fn exhausted_chain_is_unavailable_without_source() {
        let err = CredentialError::chain_failed(
            "Inner",
            vec![CredentialError::unavailable("A", "x")],
            None,
        );
        assert!(err.is_unavailable());
        assert!(err.source().is_none());
        assert_eq!(err.status(), None);
    }

    #[test]
    fn nested_chain_is_indented() {
        let inner = CredentialError::chain_failed(
            "Inner",
            vec![
                CredentialError::unavailable("A", "x"),
                CredentialError::unavailable("B", "y"),
            ],
            None,
        );
        let outer = CredentialError::chain_failed("Outer", vec![inner], None);
        assert_eq!(
            outer.to_string(),
            "Outer failed to get a token. Attempts, in order:\n  \
             1. Inner failed to get a token. Attempts, in order:\n       \
             1. A is unavailable: x\n       \
             2. B is unavailable: y"
        );
    }

    #[test]
    fn request_ids_are_fields_shown_once() {
        let auth = CredentialError::authentication("C", "AADSTS700016: no such app")
            .with_request_id("rid-1");
        assert_eq!(auth.request_id(), Some("rid-1"));
        assert_eq!(
            auth.to_string(),
            "C authentication failed (request id rid-1): AADSTS700016: no such app"
        );
        let again = auth.clone().with_request_id("rid-1");
        assert_eq!(again.to_string(), auth.to_string());
        let transport = CredentialError::transport(
            "C",
            TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE),
            "busy",
        )
        .with_request_id("rid-3");
        assert_eq!(
            transport.to_string(),
            "C could not reach its token endpoint (HTTP 503; request id rid-3): busy"
        );
        assert_eq!(transport.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        let unavailable = CredentialError::unavailable("C", "not here").with_request_id("rid-2");
        assert!(!unavailable.to_string().contains("rid-2"));
        assert_eq!(unavailable.request_id(), None);
        let blank = CredentialError::unexpected_response("C", None, "x").with_request_id("  ");
        assert_eq!(blank.to_string(), "C received an unexpected response: x");
        assert_eq!(blank.request_id(), None);
    }

    #[test]
    fn developer_tool_failure_is_its_own_variant() {
        let err = CredentialError::developer_tool(
            "AzureCliCredential",
            "Azure CLI",
            Some(1),
            "ERROR: something broke",
        );
        assert_eq!(
            err.to_string(),
            "AzureCliCredential failed: Azure CLI exited with code 1: ERROR: something broke"
        );
        assert!(!err.is_unavailable());
        assert!(!err.is_transient());
        let killed = CredentialError::developer_tool("C", "tool", None, "m");
        assert_eq!(
            killed.to_string(),
            "C failed: tool was ended by a signal: m"
        );
    }

    #[test]
    fn transient_kinds() {
        assert!(TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE).is_transient());
        assert!(TransportErrorKind::Status(StatusCode::TOO_MANY_REQUESTS).is_transient());
        assert!(!TransportErrorKind::Status(StatusCode::NOT_FOUND).is_transient());
        assert!(TransportErrorKind::Connect.is_transient());
    }
}
