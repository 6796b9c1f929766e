//! `--debug` and `RUST_LOG`: `tracing` events to standard error, and
//! [`LoggedHttpClient`], which logs every HTTP exchange of the credentials
//! and the vault client (method, URL without query values, status, request
//! ids, duration, challenges) and never a header value that carries a
//! token, a body, or a query value other than `api-version`.

use std::str::FromStr;
use std::sync::Arc;

use credential_core::{
    Env, HttpClient, HttpRequest, HttpResponse, SharedClock, SharedHttpClient, TransportError,
    async_trait,
};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use crate::error::KvError;

/// The variable that chooses what is logged (`trace`, `debug`,
/// `credential_core=trace,kv=debug`, ...).
pub const RUST_LOG: &str = "RUST_LOG";

/// What to log: `RUST_LOG` when set, else with `--debug` every `debug`
/// event except the HTTP library's own (its connection pool chatter;
/// `RUST_LOG=trace` shows it), else nothing.
///
/// # Errors
/// A usage [`KvError`] when `RUST_LOG` is not a log filter.
pub fn filter(debug: bool, env: &Env) -> Result<Option<Targets>, KvError> {
    match env.get(RUST_LOG) {
        Some(text) => Targets::from_str(text.trim()).map(Some).map_err(|e| {
            KvError::usage(format!(
                "{RUST_LOG}='{text}' is not a log filter ({e}); use a level such as debug or \
                 trace, or targets such as credential_core=trace,kv=debug"
            ))
        }),
        None if debug => Ok(Some(
            Targets::new()
                .with_default(LevelFilter::DEBUG)
                .with_target("hyper_util", LevelFilter::INFO)
                .with_target("hyper", LevelFilter::INFO),
        )),
        None => Ok(None),
    }
}

/// A subscriber writing the events `filter` lets through to `writer`, as
/// plain text with the time since the start.
pub fn subscriber(filter: Targets, writer: BoxMakeWriter) -> tracing::Dispatch {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_timer(tracing_subscriber::fmt::time::uptime());
    tracing::Dispatch::new(tracing_subscriber::registry().with(layer).with(filter))
}

/// An [`HttpClient`] that logs each exchange at `debug` and passes it on.
#[derive(Debug)]
pub struct LoggedHttpClient {
    inner: SharedHttpClient,
    clock: SharedClock,
}

impl LoggedHttpClient {
    /// Logs the exchanges of `inner`, timed by `clock`.
    pub fn wrap(inner: SharedHttpClient, clock: SharedClock) -> SharedHttpClient {
        Arc::new(Self { inner, clock })
    }
}

/// The URL without credentials or fragment, and with every query value but
/// `api-version` replaced by `***` (a nextLink's skip token or a managed
/// identity's client id stay out of the log).
pub fn redacted_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let value = if k == "api-version" {
                    v.into_owned()
                } else {
                    "***".into()
                };
                (k.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[async_trait]
impl HttpClient for LoggedHttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return self.inner.send(request).await;
        }
        let method = request.method.clone();
        let url = redacted_url(&request.url);
        let client_request_id = request
            .headers
            .get("x-ms-client-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let authorized = request.headers.contains_key("authorization");
        tracing::debug!(%method, %url, %client_request_id, authorized, "HTTP request");
        let start = self.clock.now();
        let result = self.inner.send(request).await;
        let duration_ms = (self.clock.now() - start).whole_milliseconds();
        match &result {
            Ok(response) => {
                let request_id = response.request_id().unwrap_or_default();
                tracing::debug!(
                    %method,
                    %url,
                    status = response.status.as_u16(),
                    request_id,
                    duration_ms,
                    "HTTP response"
                );
                if let Some(challenge) = response.header("www-authenticate") {
                    tracing::debug!(%url, challenge, "authentication challenge received");
                }
                if let Some(retry_after) = response.header("retry-after") {
                    tracing::debug!(%url, retry_after, "the server asks to wait");
                }
            }
            Err(error) => {
                tracing::debug!(%method, %url, %error, duration_ms, "HTTP request failed");
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_only_the_api_version() {
        let url = url::Url::parse(
            "https://user:pw@v.vault.azure.net/secrets?api-version=7.5&$skiptoken=abc&maxresults=2#f",
        )
        .unwrap();
        assert_eq!(
            redacted_url(&url),
            "https://v.vault.azure.net/secrets?api-version=7.5&%24skiptoken=***&maxresults=***"
        );
        let plain = url::Url::parse("http://127.0.0.1:1/secrets/a/").unwrap();
        assert_eq!(redacted_url(&plain), "http://127.0.0.1:1/secrets/a/");
    }

    #[test]
    fn filters_from_the_flag_and_rust_log() {
        assert!(filter(false, &Env::empty()).unwrap().is_none());
        assert!(filter(true, &Env::empty()).unwrap().is_some());
        let env = Env::from_pairs([(RUST_LOG, "credential_core=trace,kv=debug")]);
        assert!(filter(false, &env).unwrap().is_some());
        let env = Env::from_pairs([(RUST_LOG, "a=b=c")]);
        let e = filter(true, &env).unwrap_err();
        assert!(e.usage);
        assert!(e.message.contains(RUST_LOG));
    }
}
