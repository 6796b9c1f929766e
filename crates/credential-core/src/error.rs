//! [`CredentialError`]: why a credential gave no token.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// A shareable error source; `Arc` keeps [`CredentialError`] `Clone`, so every
/// caller waiting on one token request can get the same error.
pub type ErrorSource = Arc<dyn StdError + Send + Sync + 'static>;

/// Why a credential could not produce a token.
///
/// Every variant names the credential. A chain moves on only past
/// [`CredentialError::is_unavailable`] errors and stops on anything else.
/// No variant ever holds a token, secret, assertion, form body or header.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// Not configured, or not applicable here (a variable is missing, a tool is
    /// not installed or not signed in, no managed identity endpoint answers).
    #[error("{credential} is unavailable: {message}")]
    Unavailable {
        /// The credential's name, e.g. `EnvironmentCredential`.
        credential: &'static str,
        /// What is missing and how to provide it.
        message: String,
    },

    /// Configured, but the configuration is wrong (a malformed tenant id, an
    /// unreadable certificate, an `http://` authority).
    #[error("{credential} is misconfigured: {message}")]
    InvalidConfiguration {
        /// The credential's name.
        credential: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The identity provider refused to issue a token.
    #[error(
        "{credential} authentication failed{}: {description}",
        auth_details(*status, oauth_error.as_deref(), error_code.as_deref())
    )]
    Authentication {
        /// The credential's name.
        credential: &'static str,
        /// The HTTP status of the refusal, if there was an HTTP exchange.
        status: Option<u16>,
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
    },

    /// The request did not complete: connection failure, timeout, or an HTTP
    /// status that is worth retrying (408, 429, 5xx) after the retries ran out.
    #[error("{credential} could not reach its token endpoint ({kind}): {message}")]
    Transport {
        /// The credential's name.
        credential: &'static str,
        /// What kind of failure it was.
        kind: TransportErrorKind,
        /// A description without secrets.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<ErrorSource>,
    },

    /// The endpoint or tool answered with something we could not use.
    #[error("{credential} received an unexpected response{}: {message}", status_suffix(*status))]
    UnexpectedResponse {
        /// The credential's name.
        credential: &'static str,
        /// The HTTP status, if there was one.
        status: Option<u16>,
        /// What was wrong with the response (never the response itself when it
        /// could hold a token).
        message: String,
    },

    /// A chain of credentials produced no token. The message lists every
    /// attempt in order; `source()` is the error that stopped the chain, if one
    /// did (rather than every link being unavailable).
    #[error("{}", render_chain(credential, attempts, help.as_deref()))]
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
        status: Option<u16>,
        message: impl Into<String>,
    ) -> Self {
        Self::UnexpectedResponse {
            credential,
            status,
            message: message.into(),
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
        }
    }

    /// This error with the request id of the response it came from
    /// (`x-ms-request-id`, or whatever id the endpoint gave) appended to its
    /// message, so that a failure can be traced on the service side: for
    /// [`Authentication`](Self::Authentication),
    /// [`Transport`](Self::Transport) and
    /// [`UnexpectedResponse`](Self::UnexpectedResponse); other variants are
    /// returned as they are. An id already in the message is not repeated.
    ///
    /// ```
    /// use credential_core::CredentialError;
    /// let err = CredentialError::unexpected_response("C", Some(200), "not JSON")
    ///     .with_request_id("2c5b1d0e-77aa");
    /// assert!(err.to_string().ends_with("not JSON (request id 2c5b1d0e-77aa)"));
    /// ```
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        let request_id = request_id.trim();
        if request_id.is_empty() {
            return self;
        }
        let text = match &mut self {
            Self::Authentication { description, .. } => description,
            Self::Transport { message, .. } | Self::UnexpectedResponse { message, .. } => message,
            _ => return self,
        };
        if !text.contains(request_id) {
            // Before a troubleshooting hint, which stays last.
            let tag = format!(" (request id {request_id})");
            match text.find(&format!(" {}", crate::entra::NEXT_STEP)) {
                Some(at) => text.insert_str(at, &tag),
                None => text.push_str(&tag),
            }
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

    fn diagnostics(&self) -> Option<&EntraDiagnostics> {
        match self {
            Self::Authentication { diagnostics, .. } => diagnostics.as_deref(),
            Self::ChainFailed { stopped_by, .. } => stopped_by.as_deref()?.diagnostics(),
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
    Status(u16),
}

impl TransportErrorKind {
    /// Whether this failure may go away on its own.
    pub fn is_transient(self) -> bool {
        match self {
            Self::Connect | Self::Timeout | Self::Request | Self::Decode => true,
            Self::Status(status) => matches!(status, 408 | 429 | 500..=599),
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
            Self::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

fn auth_details(status: Option<u16>, oauth_error: Option<&str>, code: Option<&str>) -> String {
    let parts: Vec<String> = [
        status.map(|s| format!("HTTP {s}")),
        oauth_error.map(str::to_owned),
        code.map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn render_chain(credential: &str, attempts: &[CredentialError], help: Option<&str>) -> String {
    use fmt::Write;
    let mut out = String::new();
    if attempts.is_empty() {
        let _ = write!(out, "{credential} has no credentials to try");
    } else {
        let _ = write!(
            out,
            "{credential} failed to get a token. Attempts, in order:"
        );
        for (i, attempt) in attempts.iter().enumerate() {
            let text = attempt.to_string();
            let mut lines = text.lines();
            let _ = write!(out, "\n  {}. {}", i + 1, lines.next().unwrap_or_default());
            for line in lines {
                let _ = write!(out, "\n     {line}");
            }
        }
    }
    if let Some(help) = help {
        let _ = write!(out, "\n{help}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_message_carries_status_and_code() {
        let err = CredentialError::Authentication {
            credential: "ClientSecretCredential",
            status: Some(401),
            oauth_error: Some("invalid_client".into()),
            error_code: Some("AADSTS7000215".into()),
            description: "Invalid client secret provided.".into(),
            diagnostics: None,
        };
        assert_eq!(
            err.to_string(),
            "ClientSecretCredential authentication failed (HTTP 401, invalid_client, AADSTS7000215): Invalid client secret provided."
        );
        assert!(!err.is_unavailable());
        assert!(!err.is_transient());
    }

    #[test]
    fn chain_message_lists_attempts_and_source_is_stopper() {
        let stopper = CredentialError::Transport {
            credential: "B",
            kind: TransportErrorKind::Timeout,
            message: "no answer within 5s".into(),
            source: None,
        };
        let err = CredentialError::chain_failed(
            "ChainedTokenCredential",
            vec![CredentialError::unavailable("A", "not set up"), stopper],
            Some("Set things up.".into()),
        );
        assert_eq!(
            err.to_string(),
            "ChainedTokenCredential failed to get a token. Attempts, in order:\n  \
             1. A is unavailable: not set up\n  \
             2. B could not reach its token endpoint (timed out): no answer within 5s\n\
             Set things up."
        );
        assert!(!err.is_unavailable());
        assert!(err.is_transient());
        let source = err.source().expect("source");
        assert_eq!(
            source.to_string(),
            "B could not reach its token endpoint (timed out): no answer within 5s"
        );
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
    fn request_ids_are_appended_once_where_they_help() {
        let auth = CredentialError::authentication("C", "AADSTS700016: no such app")
            .with_request_id("rid-1");
        assert_eq!(
            auth.to_string(),
            "C authentication failed: AADSTS700016: no such app (request id rid-1)"
        );
        let again = auth.clone().with_request_id("rid-1");
        assert_eq!(again.to_string(), auth.to_string());
        let unavailable = CredentialError::unavailable("C", "not here").with_request_id("rid-2");
        assert!(!unavailable.to_string().contains("rid-2"));
        let blank = CredentialError::unexpected_response("C", None, "x").with_request_id("  ");
        assert_eq!(blank.to_string(), "C received an unexpected response: x");
    }

    #[test]
    fn transient_kinds() {
        assert!(TransportErrorKind::Status(503).is_transient());
        assert!(TransportErrorKind::Status(429).is_transient());
        assert!(!TransportErrorKind::Status(404).is_transient());
        assert!(TransportErrorKind::Connect.is_transient());
    }
}
