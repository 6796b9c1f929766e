//! One `tracing` span per operation, with the OpenTelemetry semantic
//! conventions for HTTP clients and Azure SDKs: the span is named for the
//! operation (`SecretClient.get_secret`) and carries `az.namespace`,
//! `server.address`, `server.port`, `http.request.method`, and once known
//! `http.response.status_code`, `az.service_request_id`,
//! `http.request.resend_count` and `error.type`. Never a secret value, a
//! token or a request body.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use credential_core::{HttpResponse, TransportErrorKind};
use tracing::{Instrument, Span};

use crate::error::Error;
use crate::request::Response;

/// The span of one operation of `$client`, named `$name`.
macro_rules! operation_span {
    ($name:literal, $client:expr, $method:expr) => {{
        let client: &$crate::SecretClient = $client;
        tracing::info_span!(
            $name,
            otel.kind = "client",
            az.namespace = "Microsoft.KeyVault",
            server.address = client.server_host(),
            server.port = client.server_port(),
            http.request.method = %$method,
            http.response.status_code = tracing::field::Empty,
            az.service_request_id = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    }};
}
pub(crate) use operation_span;

/// Records the final response (or failure) of an operation's HTTP exchange
/// and how many times it was resent.
pub(crate) fn record_result(span: &Span, result: &Result<HttpResponse, Error>, resends: u32) {
    if span.is_disabled() {
        return;
    }
    if let Ok(response) = result {
        span.record("http.response.status_code", response.status.as_u16());
        if let Some(id) = response.request_id() {
            span.record("az.service_request_id", id);
        }
    }
    if resends > 0 {
        span.record("http.request.resend_count", resends);
    }
}

/// `error.type`: the HTTP status for a service error (as the conventions
/// ask), else a short name of the failure.
pub(crate) fn record_error(span: &Span, error: &Error) {
    if span.is_disabled() {
        return;
    }
    match error {
        Error::Service(e) => span.record("error.type", e.status().as_u16().to_string()),
        other => span.record("error.type", error_type(other)),
    };
}

fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Service(_) => "service",
        Error::Credential(_) => "credential",
        Error::Transport { kind, .. } => match kind {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Request => "request",
            TransportErrorKind::Decode => "decode",
            TransportErrorKind::Status(_) => "status",
            _ => "transport",
        },
        Error::Challenge { .. } => "challenge",
        Error::InvalidInput { .. } => "invalid_input",
        Error::MalformedResponse { .. } => "malformed_response",
    }
}

/// Records a failed operation's error on its span.
pub(crate) fn record_outcome<T>(span: &Span, result: &Result<T, Error>) {
    if let Err(error) = result {
        record_error(span, error);
    }
}

/// `operation` inside `span`, failing with a timeout error past `limit`
/// (the whole operation, retries included), on the heap. An operation is
/// otherwise awaited where it is built: an `async fn` taking it by value
/// would hold it twice (as its argument and as the awaited value), and
/// every such layer doubled the future that each call copies (measured
/// with `perf` on the `get_secret` bench: 5.7 % of the client's CPU in
/// `memmove` at 64 tasks with three such layers).
pub(crate) fn within<'a, T: 'a>(
    limit: Duration,
    span: &Span,
    operation: impl Future<Output = Result<T, Error>> + Send + 'a,
) -> Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>> {
    let span = span.clone();
    Box::pin(async move {
        tokio::time::timeout(limit, operation)
            .instrument(span)
            .await
            .unwrap_or_else(|_| Err(Error::timed_out(limit)))
    })
}

/// Runs one operation inside its span, within `timeout` (the whole
/// operation, retries included) if one is given.
pub(crate) async fn run<T>(
    span: Span,
    timeout: Option<Duration>,
    operation: impl Future<Output = Result<Response<T>, Error>>,
) -> Result<Response<T>, Error> {
    let result = match timeout {
        None => operation.instrument(span.clone()).await,
        Some(limit) => match tokio::time::timeout(limit, operation)
            .instrument(span.clone())
            .await
        {
            Ok(result) => result,
            Err(_) => Err(Error::timed_out(limit)),
        },
    };
    if let Err(error) = &result {
        record_error(&span, error);
    }
    result
}
