//! [`SecretClient`] and its builder.

use http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

use credential_core::__private::transport_with_ca_pems;
use credential_core::RetryPolicy;
use credential_core::{
    HttpResponse, ReqwestHttpClient, SharedClock, SharedHttpClient, SystemClock, TokenCache,
    TokenCredential,
};
use http::Method;
use http::header::HeaderMap;
use serde::de::DeserializeOwned;
use tracing::Span;
use url::Url;

use crate::challenge::ChallengeCache;
use crate::error::Error;
use crate::headers::{BearerHeaders, ConstantHeaders, RequestIds};
use crate::models::{WireBundle, malformed};
use crate::options::ApiVersion;
use crate::pipeline::{Pipeline, request_id, service_error};
use crate::policy::Policy;
use crate::request::{Request, Response};
use crate::validate;

/// The default interval between two polls of a delete or recover poller.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// A client for one vault's secrets. Cheap to clone; clones share the
/// challenge, the token cache and the HTTP connections.
///
/// Each operation returns a request value: chain its options, then
/// `.await` it.
///
/// # Errors
/// Every operation fails with an [`Error`]:
/// - [`Error::InvalidInput`] before anything is sent, for a bad secret name,
///   version, value size or header;
/// - [`Error::Credential`] when the credential gives no token (its error is
///   the `source()`);
/// - [`Error::Challenge`] when the vault's authentication challenge is
///   refused (it names another resource) or cannot be read;
/// - [`Error::Service`] when the vault answers with an error status, after
///   the retries for 408, 429 and 5xx ran out
///   ([`Error::is_not_found`], [`Error::is_forbidden`],
///   [`Error::is_conflict`], [`Error::is_throttled`] and
///   [`Error::status`] tell them apart);
/// - [`Error::Transport`] when no answer came (connection failure, reset,
///   or the operation's `timeout`), after the retries;
/// - [`Error::MalformedResponse`] when a success answer cannot be read.
///
/// ```no_run
/// # async fn f(credential: credential_core::FnCredential, v1: String) -> Result<(), keyvault_secrets::Error> {
/// use keyvault_secrets::SecretClient;
/// let client = SecretClient::new("https://myvault.vault.azure.net", credential)?;
/// client.set_secret("db-password", "hunter2").content_type("text/plain").await?;
/// let secret = client.get_secret("db-password").await?;
/// assert_eq!(secret.value, "hunter2");
/// let old = client.get_secret("db-password").version(&v1).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SecretClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    /// The vault URL with room reserved after it (see [`url_template`]).
    url_template: Url,
    /// The path segments of the vault URL (a gateway's prefix), usually none.
    base_segments: Vec<String>,
    /// `scheme://host[:port]` of the vault, as its secret ids begin.
    vault_origin: String,
    /// The vault's host and port, for the operations' spans.
    server_host: String,
    server_port: u16,
    api_version: ApiVersion,
    poll_interval: Duration,
}

/// Builds a [`SecretClient`]; see [`SecretClient::builder`].
///
/// ```no_run
/// # async fn f(credential: credential_core::FnCredential) -> Result<(), keyvault_secrets::Error> {
/// use std::time::Duration;
/// use keyvault_secrets::{ApiVersion, RetryPolicy, SecretClient};
/// let client = SecretClient::builder("https://gateway.example.com/vaults/main", credential)
///     .with_api_version(ApiVersion::V2025_07_01) // or "2026-10-01-preview"
///     .with_application_id("billing-api") // User-Agent: "billing-api keyvault-secrets/…"
///     .with_retry_policy(RetryPolicy::default().with_max_retries(5))
///     .with_poll_interval(Duration::from_secs(1))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SecretClientBuilder {
    vault_url: String,
    credential: Arc<dyn TokenCredential>,
    api_version: ApiVersion,
    retry: RetryPolicy,
    per_try_timeout: Option<Duration>,
    verify_challenge_resource: bool,
    http: Option<SharedHttpClient>,
    ca_pems: Vec<Vec<u8>>,
    clock: Option<SharedClock>,
    poll_interval: Duration,
    application_id: Option<String>,
    allow_insecure_http: bool,
    background_refresh: bool,
    per_call: Vec<Arc<dyn Policy>>,
    per_retry: Vec<Arc<dyn Policy>>,
}

impl SecretClientBuilder {
    /// The API version (`2026-04-01` by default).
    pub fn with_api_version(mut self, version: impl Into<ApiVersion>) -> Self {
        self.api_version = version.into();
        self
    }
    /// The retry policy (3 retries, backoff from 0.8 s capped at 60 s, by default).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// How long each HTTP request (each try) may take before it is
    /// abandoned as timed out and retried under the retry policy (the HTTP
    /// client's timeout by default: 30 s for the built-in client), as the
    /// credentials' `with_request_timeout`. A limit for a whole operation,
    /// retries included, is the request value's `.timeout(..)`.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.per_try_timeout = Some(timeout);
        self
    }
    /// Whether the challenge's resource must match the vault's host (on by
    /// default). Turn it off only for a vault served under a domain that
    /// differs from its token audience.
    pub fn with_verify_challenge_resource(mut self, verify: bool) -> Self {
        self.verify_challenge_resource = verify;
        self
    }
    /// Sends requests through `http` instead of the process-wide
    /// `ReqwestHttpClient`: any [`HttpClient`](credential_core::HttpClient),
    /// shareable with credentials (`DefaultAzureCredentialBuilder` takes the
    /// same). To send with a `reqwest::Client` of your own, wrap it in a
    /// small `HttpClient` (the trait's docs show one): its own timeouts are
    /// kept, and [`with_request_timeout`](Self::with_request_timeout) applies only
    /// where it set none.
    pub fn with_http_client(mut self, http: SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }
    /// Also trusts the CA certificates in `pem` (one or more PEM
    /// `CERTIFICATE` blocks), for a vault behind a private CA or a local
    /// emulator with TLS: the client then sends through an HTTP client of
    /// its own that trusts the system's roots plus these. May be called more
    /// than once; [`build`](Self::build) checks the PEM.
    ///
    /// ```no_run
    /// # fn f(credential: credential_core::FnCredential) -> Result<(), keyvault_secrets::Error> {
    /// # let pem = "";
    /// use keyvault_secrets::SecretClient;
    /// let client = SecretClient::builder("https://127.0.0.1:8443", credential)
    ///     .with_ca_pem(pem) // e.g. the emulator's `certificate_pem()`
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pems.push(pem.as_ref().to_vec());
        self
    }
    /// The clock used for `Retry-After` dates and the token cache (feature
    /// `test-util`: a test seam).
    #[cfg(any(test, feature = "test-util"))]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// The interval between polls of delete and recover pollers (2 s by default).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
    /// An application id put in front of the `User-Agent` (1 to 24
    /// visible ASCII characters, no spaces), so the vault's logs show
    /// which application called.
    pub fn with_application_id(mut self, id: impl Into<String>) -> Self {
        self.application_id = Some(id.into());
        self
    }
    /// Allows a plain `http://` vault URL whose host is not loopback (an
    /// emulator in a docker compose network). Tokens then travel
    /// unencrypted: never use it for a real vault. The client logs a
    /// warning when built. Off by default (such URLs are refused).
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
    /// Whether the client's token cache refreshes a token inside its refresh
    /// window in a task spawned on the caller's tokio runtime while the
    /// request goes out with the cached token (`true`, the default), or
    /// inline in the request that finds it stale (`false`: the client never
    /// spawns a task). The credential's own cache has its own switch.
    pub fn with_background_refresh(mut self, background: bool) -> Self {
        self.background_refresh = background;
        self
    }
    /// Adds a [`Policy`] run once per operation, around the retries.
    pub fn with_per_call_policy(mut self, policy: impl Policy + 'static) -> Self {
        self.per_call.push(Arc::new(policy));
        self
    }
    /// Adds a [`Policy`] run on every try (the first and each retry),
    /// before authentication.
    pub fn with_per_retry_policy(mut self, policy: impl Policy + 'static) -> Self {
        self.per_retry.push(Arc::new(policy));
        self
    }

    /// Builds the client. Nothing is sent until the first request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a vault URL that is not `https://host[/path]`
    /// (or plain `http` to a host other than loopback without
    /// [`with_insecure_http`](Self::with_insecure_http)), a zero
    /// [`with_request_timeout`](Self::with_request_timeout), or an application
    /// id that is not valid in a `User-Agent` header, a PEM given to
    /// [`with_ca_pem`](Self::with_ca_pem) that holds no certificate or does
    /// not parse, or `with_ca_pem` together with
    /// [`with_http_client`](Self::with_http_client).
    pub fn build(self) -> Result<SecretClient, Error> {
        let vault_url = validate::vault_url(&self.vault_url, self.allow_insecure_http)?;
        if self.per_try_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid_input(
                "the request timeout is zero, so every request would time out at once; pass a \
                 positive duration to with_request_timeout, or leave it unset for the HTTP client's",
            ));
        }
        if let Some(id) = &self.application_id {
            validate::application_id(id)?;
        }
        if vault_url.scheme() == "http" && !credential_core::__private::is_loopback(&vault_url) {
            tracing::warn!(
                vault = %vault_url,
                "with_insecure_http: this client sends tokens and secrets over plain http; use it only for a local emulator"
            );
        }
        let vault_origin = vault_url.origin().ascii_serialization();
        let base_segments: Vec<String> = vault_url
            .path_segments()
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let url_template = url_template(&vault_url, &base_segments);
        let server_host = vault_url.host_str().unwrap_or_default().to_owned();
        let server_port = vault_url.port_or_known_default().unwrap_or(443);
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let http: SharedHttpClient = transport_with_ca_pems(self.http, &self.ca_pems)?
            .unwrap_or_else(|| Arc::new(ReqwestHttpClient::new()));
        let pipeline = Pipeline {
            http,
            credential: self.credential,
            tokens: TokenCache::new(clock.clone()).with_background_refresh(self.background_refresh),
            clock,
            challenge: ChallengeCache::default(),
            vault_url,
            retry: self.retry,
            per_try_timeout: self.per_try_timeout,
            verify_challenge_resource: self.verify_challenge_resource,
            headers: ConstantHeaders::new(self.application_id.as_deref()),
            request_ids: RequestIds::new(),
            bearer: BearerHeaders::default(),
            allow_insecure_http: self.allow_insecure_http,
            per_call: self.per_call,
            per_retry: self.per_retry,
        };
        Ok(SecretClient {
            inner: Arc::new(Inner {
                pipeline,
                url_template,
                base_segments,
                vault_origin,
                server_host,
                server_port,
                api_version: self.api_version,
                poll_interval: self.poll_interval,
            }),
        })
    }
}

/// Room reserved in [`url_template`]: enough for the path and query of
/// every operation on a secret with a name of up to 127 characters.
const URL_ROOM: usize = 256;

/// The vault URL with a placeholder path of [`URL_ROOM`] bytes after its
/// own path. A request URL is a clone of it (a `String` clone keeps the
/// length as capacity) whose path and query are then written in place:
/// without the room, each request's URL grew its buffer twice, and a
/// reallocation takes a lock of the allocator that the client's other
/// threads also take.
fn url_template(vault_url: &Url, base_segments: &[String]) -> Url {
    let mut template = vault_url.clone();
    template.set_query(None);
    template.set_fragment(None);
    let mut path = String::new();
    for segment in base_segments {
        path.push('/');
        path.push_str(segment);
    }
    path.push('/');
    path.push_str(&"x".repeat(URL_ROOM));
    template.set_path(&path);
    template
}

/// Checks the status and reads the JSON body.
pub(crate) fn read_json<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    if response.status.as_u16() != 200 {
        return Err(service_error(response));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        malformed(
            StatusCode::OK,
            request_id(response),
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

/// Reads a bundle (with the fast reader when it can) and converts it; the
/// response's status and headers go along.
pub(crate) fn read_with<T>(
    response: HttpResponse,
    convert: impl FnOnce(WireBundle) -> Result<T, String>,
) -> Result<Response<T>, Error> {
    let fast = match response.status.as_u16() {
        200 => crate::wire_fast::parse_bundle(&response.body),
        _ => None,
    };
    let bundle = match fast {
        Some(bundle) => bundle,
        // Anything the fast reader does not take, errors included.
        None => read_json::<WireBundle>(&response)?,
    };
    let value = convert(bundle).map_err(|m| malformed(StatusCode::OK, request_id(&response), m))?;
    Ok(Response::new(value, response.status, response.headers))
}

impl SecretClient {
    /// A client for `vault_url` (e.g. `https://myvault.vault.azure.net`)
    /// with default options. `credential` is any [`TokenCredential`],
    /// including an `Arc<dyn TokenCredential>`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a vault URL that is not `https://host[/path]`
    /// (plain `http` only to a loopback host).
    pub fn new(
        vault_url: impl Into<String>,
        credential: impl TokenCredential + 'static,
    ) -> Result<Self, Error> {
        Self::builder(vault_url, credential).build()
    }

    /// A builder for a client with options.
    pub fn builder(
        vault_url: impl Into<String>,
        credential: impl TokenCredential + 'static,
    ) -> SecretClientBuilder {
        SecretClientBuilder {
            vault_url: vault_url.into(),
            credential: Arc::new(credential),
            api_version: ApiVersion::default(),
            retry: RetryPolicy::default(),
            per_try_timeout: None,
            verify_challenge_resource: true,
            http: None,
            ca_pems: Vec::new(),
            clock: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            application_id: None,
            allow_insecure_http: false,
            background_refresh: true,
            per_call: Vec::new(),
            per_retry: Vec::new(),
        }
    }

    /// The vault URL.
    pub fn vault_url(&self) -> &Url {
        &self.inner.pipeline.vault_url
    }

    /// `scheme://host[:port]` of the vault, for reading its ids.
    pub(crate) fn origin(&self) -> Option<&str> {
        Some(&self.inner.vault_origin)
    }

    pub(crate) fn server_host(&self) -> &str {
        &self.inner.server_host
    }

    pub(crate) fn server_port(&self) -> u16 {
        self.inner.server_port
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        self.inner.poll_interval
    }

    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.url_template.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear()
                .extend(&self.inner.base_segments)
                .extend(segments);
        }
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api-version", self.inner.api_version.as_str());
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    /// `path_and_query` (e.g. `secrets/x/?maxresults=5`) under the vault
    /// URL, with `api-version` added if it is missing.
    pub(crate) fn url_for_path(&self, path_and_query: &str) -> Result<Url, Error> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let mut url = self.inner.url_template.clone();
        let mut full = String::new();
        for segment in &self.inner.base_segments {
            full.push('/');
            full.push_str(segment);
        }
        full.push('/');
        full.push_str(path.trim_start_matches('/'));
        url.set_path(&full);
        url.set_query(query);
        if !self.inner.pipeline.same_origin(&url) {
            return Err(Error::invalid_input(format!(
                "the path '{}' leaves the vault's origin",
                path_and_query.escape_debug()
            )));
        }
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", self.api_version());
        }
        Ok(url)
    }

    pub(crate) fn api_version(&self) -> &str {
        self.inner.api_version.as_str()
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    /// Sends one request through the pipeline, inside `span`.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
        span: &Span,
    ) -> Result<HttpResponse, Error> {
        let request = Request::new(method, url, headers, body.map(bytes::Bytes::from));
        self.inner.pipeline.send(&request, span).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_core::token_credential_fn;

    fn client(vault: &str) -> SecretClient {
        let credential = token_credential_fn("Unused", |_, _| async {
            Err(credential_core::CredentialError::unavailable(
                "Unused",
                "not called",
            ))
        });
        SecretClient::new(vault, credential).unwrap()
    }

    #[test]
    fn request_urls_replace_the_reserved_room() {
        let client = client("https://myvault.vault.azure.net");
        let url = client.url(
            &["secrets", "my-secret", ""],
            &[("outContentType", "application/x-pkcs12")],
        );
        assert_eq!(
            url.as_str(),
            "https://myvault.vault.azure.net/secrets/my-secret/?api-version=2026-04-01&outContentType=application%2Fx-pkcs12"
        );
        let url = client.url(&["deletedsecrets"], &[]);
        assert_eq!(
            url.as_str(),
            "https://myvault.vault.azure.net/deletedsecrets?api-version=2026-04-01"
        );
        // The room is enough for the longest name without growing.
        let long = "n".repeat(127);
        let url = client.url(&["secrets", &long, &"a".repeat(32)], &[]);
        assert_eq!(url.path(), format!("/secrets/{long}/{}", "a".repeat(32)));
        assert_eq!(url.query(), Some("api-version=2026-04-01"));
    }

    #[test]
    fn request_urls_keep_the_vault_port() {
        let client = client("http://127.0.0.1:8443/");
        let url = client.url(&["secrets", "s"], &[]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8443/secrets/s?api-version=2026-04-01"
        );
    }
}
