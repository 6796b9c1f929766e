//! [`HttpClient`]: the HTTP seam, a thin layer over `reqwest` with rustls.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use url::Url;

use crate::Env;
use crate::deadline;
use crate::env_vars::{SSL_CERT_DIR, SSL_CERT_FILE};
use crate::error::{ErrorSource, TransportErrorKind};

/// One HTTP request. `Debug` shows the method, URL and header names only: the
/// body and header values may carry secrets.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// The timeout of this try (the whole response, body included), set
    /// by the credential or client that built the request (a per-try timeout
    /// option). A transport applies it where it has no timeout of its own;
    /// a transport wrapping a client configured with its own timeouts keeps
    /// those (see [`HttpClient`]).
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
        }
    }

    /// Adds a header; the name may be in any case (`Metadata` and
    /// `metadata` are one header). A name or value that is not valid HTTP
    /// is dropped with a warning, never a panic.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(name == reqwest::header::AUTHORIZATION);
                self.headers.insert(name, value);
            }
            _ => tracing::warn!(
                header = %name.escape_debug(),
                "dropping a header whose name or value is not valid HTTP"
            ),
        }
        self
    }

    /// Sets a form body (`application/x-www-form-urlencoded`).
    pub fn with_form<'a>(mut self, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.body = Some(Bytes::from(body));
        self
    }

    /// Sets the timeout for this request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One HTTP response, read in full. `Debug` shows no header values and no body.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// The service's id for an exchange in response `headers`,
/// `x-ms-request-id`, when present, visible ASCII and not blank: the one
/// place the workspace reads it.
#[doc(hidden)]
pub fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.trim().is_empty())
}

impl HttpResponse {
    /// A response read in full (for transports).
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// A header's value, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The service's id for this exchange, `x-ms-request-id`, if it sent one
    /// (Microsoft Entra ID, Key Vault and the App Service identity endpoint
    /// do).
    pub fn request_id(&self) -> Option<&str> {
        request_id(&self.headers)
    }

    /// `result` with this response's request id added to its error, if any
    /// (see [`crate::CredentialError::with_request_id`]).
    ///
    /// # Errors
    /// `result`'s own error, with the request id added.
    pub fn tag_error<T>(
        &self,
        result: Result<T, crate::CredentialError>,
    ) -> Result<T, crate::CredentialError> {
        match (result, self.request_id()) {
            (Err(error), Some(id)) => Err(error.with_request_id(id)),
            (result, _) => result,
        }
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why an HTTP exchange produced no response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// The kind of failure.
    pub kind: TransportErrorKind,
    /// A description (no URL query, no secrets).
    pub message: String,
    /// The underlying error.
    #[source]
    pub source: Option<ErrorSource>,
}

impl TransportError {
    /// A transport error without an underlying source.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// This error with `source` as its cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// This failure as a [`crate::CredentialError::Transport`] of `credential`.
    pub fn into_credential_error(self, credential: &'static str) -> crate::CredentialError {
        crate::CredentialError::Transport {
            credential,
            kind: self.kind,
            message: self.message,
            source: self.source,
            request_id: None,
        }
    }
}

/// Sends HTTP requests: the transport seam. Every credential and client
/// sends through one; the default is [`ReqwestHttpClient`], and an
/// implementation of your own goes to `with_http_client` on
/// `DefaultAzureCredentialBuilder` and `SecretClientBuilder`, or into a
/// [`ProviderContext`](crate::ProviderContext) for any credential.
///
/// # Timeouts
/// A request may carry a timeout ([`HttpRequest::timeout`]): the per-try
/// timeout of the credential or client that sent it. A transport that has
/// timeouts of its own keeps them; ours apply only where it set none.
///
/// # Your own `reqwest::Client`
/// A few lines adapt a `reqwest::Client` (of any version: with another
/// major version of `http`, convert the method, URL and headers through
/// their string forms). This one keeps the client's own timeouts when it
/// has them and applies the request's otherwise:
///
/// ```no_run
/// use credential_core::{
///     HttpClient, HttpRequest, HttpResponse, SharedHttpClient, TransportError,
///     TransportErrorKind, async_trait,
/// };
/// use std::sync::Arc;
///
/// #[derive(Debug)]
/// struct MyReqwest {
///     client: reqwest::Client,
///     /// Whether `client` was built with a timeout of its own.
///     has_own_timeout: bool,
/// }
///
/// #[async_trait]
/// impl HttpClient for MyReqwest {
///     async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
///         let mut outgoing = self
///             .client
///             .request(request.method, request.url)
///             .headers(request.headers);
///         if let Some(body) = request.body {
///             outgoing = outgoing.body(body);
///         }
///         if let (Some(timeout), false) = (request.timeout, self.has_own_timeout) {
///             outgoing = outgoing.timeout(timeout);
///         }
///         let failed = |e: reqwest::Error| {
///             let kind = if e.is_timeout() {
///                 TransportErrorKind::Timeout
///             } else if e.is_connect() {
///                 TransportErrorKind::Connect
///             } else {
///                 TransportErrorKind::Request
///             };
///             TransportError::new(kind, "the request failed").with_source(e.without_url())
///         };
///         let response = outgoing.send().await.map_err(failed)?;
///         let status = response.status();
///         let headers = response.headers().clone();
///         let body = response.bytes().await.map_err(failed)?;
///         Ok(HttpResponse::new(status, headers, body))
///     }
/// }
///
/// let client = reqwest::Client::builder()
///     .timeout(std::time::Duration::from_secs(5))
///     .build()
///     .expect("a reqwest client");
/// let http: SharedHttpClient = Arc::new(MyReqwest { client, has_own_timeout: true });
/// // `SecretClient::builder(url, credential).with_http_client(http.clone())`,
/// // `DefaultAzureCredential::builder().with_http_client(http)`.
/// # let _ = http;
/// ```
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends one request and reads the whole response. Non-2xx statuses are
    /// responses, not errors.
    ///
    /// # Errors
    /// A [`TransportError`] when no complete response came: the connection
    /// could not be made, the request or its timeout failed, or the body could
    /// not be read. Every status, error statuses included, is a response.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// An HTTP client shared between a context and its credentials.
pub type SharedHttpClient = Arc<dyn HttpClient>;

/// The real client: `reqwest` over rustls, no redirects followed (a token is
/// never carried to another host), a 10 s connect timeout and a 30 s request
/// timeout unless a request sets its own.
///
/// # One client per process
/// [`ReqwestHttpClient::new`] (what every credential and client uses when
/// given no transport) returns a handle to one process-wide client: one
/// connection pool, and the root certificates read and parsed once, on the
/// first HTTPS request. A plain-`http` request (a loopback emulator) goes
/// through a second client that holds no root certificates, so it never
/// reads them.
///
/// # Trust
/// The system's root certificates, or, as OpenSSL-based tools do, the
/// certificates in `SSL_CERT_FILE` and the directories in `SSL_CERT_DIR` when
/// either is set; plus any extra roots the caller adds
/// ([`ReqwestHttpClientBuilder::with_ca_pem`]). With the `webpki-roots` feature,
/// Mozilla's root set is used when the system has none (`FROM scratch`
/// images). When no root is found at all, the first HTTPS request fails with
/// an error that says so and names the fix.
///
/// # Timeouts and the `http-deadlines` thread
/// The request timeout covers the response and its whole body. By default it
/// is kept by one background thread (`http-deadlines`, started with the first
/// request that has a timeout and parked while nothing waits) rather than a
/// `tokio` timer per request, whose shared lock cost a busy client several
/// percent of its throughput; it fires on any runtime.
/// [`ReqwestHttpClient::builder`] with
/// [`with_tokio_timers`](ReqwestHttpClientBuilder::with_tokio_timers) keeps
/// deadlines with `tokio` timers instead, and starts no thread.
///
/// To send with a `reqwest::Client` of your own instead, wrap it in a small
/// [`HttpClient`] of yours (see the example there).
#[derive(Clone)]
pub struct ReqwestHttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    /// For `https` URLs: trusts the roots.
    tls: OnceLock<Result<reqwest::Client, TransportError>>,
    /// For plain `http` URLs: holds no roots, so building it reads none.
    plain: OnceLock<Result<reqwest::Client, TransportError>>,
    /// The timeout of a request that names none.
    default_timeout: Option<Duration>,
    timer: deadline::Timer,
}

#[derive(Debug, Default)]
struct ClientConfig {
    env: Env,
    extra_roots: Vec<CertificateDer<'static>>,
}

/// Builds a [`ReqwestHttpClient`] of its own (not the process-wide one).
///
/// ```
/// use credential_core::ReqwestHttpClient;
/// # fn f(pem: &[u8]) -> Result<(), credential_core::HttpClientConfigError> {
/// let http = ReqwestHttpClient::builder()
///     .with_ca_pem(pem) // a private CA or a local emulator
///     .with_tokio_timers()
///     .build()?;
/// # let _ = http; Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ReqwestHttpClientBuilder {
    config: ClientConfig,
    /// The PEM text given to `with_ca_pem`, one entry a call, parsed by
    /// `build`.
    ca_pems: Vec<Vec<u8>>,
    timer_tokio: bool,
}

/// A [`ReqwestHttpClientBuilder`] whose configuration is wrong: CA
/// certificates that do not parse or hold no certificate.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct HttpClientConfigError {
    /// What is wrong and how to fix it.
    pub message: String,
}

impl HttpClientConfigError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The transport a builder with `with_http_client` and `with_ca_pem`
/// options sends with: the caller's (`http`), or a client of its own
/// trusting the `ca_pems` besides the system's roots, or `None` (the
/// default) when neither was given.
///
/// # Errors
/// A PEM that holds no certificate or does not parse, or both options
/// given (a caller's own transport carries its own roots).
pub fn transport_with_ca_pems(
    http: Option<SharedHttpClient>,
    ca_pems: &[Vec<u8>],
) -> Result<Option<SharedHttpClient>, HttpClientConfigError> {
    match (http, ca_pems.is_empty()) {
        (http, true) => Ok(http),
        (None, false) => {
            let client = ca_pems
                .iter()
                .fold(ReqwestHttpClient::builder(), |b, pem| b.with_ca_pem(pem))
                .build()?;
            Ok(Some(Arc::new(client)))
        }
        (Some(_), false) => Err(HttpClientConfigError::new(
            "with_ca_pem and with_http_client were both given; add the CA certificates to \
             your own HTTP client, or drop with_http_client",
        )),
    }
}

/// So that `ReqwestHttpClient::builder().build()?` works in a function that
/// returns a [`CredentialError`] (an invalid configuration of the transport).
impl From<HttpClientConfigError> for crate::CredentialError {
    fn from(error: HttpClientConfigError) -> Self {
        crate::CredentialError::invalid_configuration("ReqwestHttpClient", error.message)
    }
}

impl ReqwestHttpClientBuilder {
    /// Also trusts the certificates in `pem` (one or more PEM `CERTIFICATE`
    /// blocks), for a private CA or a local emulator. May be called more
    /// than once; [`build`](Self::build) checks the PEM.
    pub fn with_ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pems.push(pem.as_ref().to_vec());
        self
    }

    /// Keeps request deadlines with `tokio` timers on the runtime that polls
    /// the request, and starts no `http-deadlines` thread.
    pub fn with_tokio_timers(mut self) -> Self {
        self.timer_tokio = true;
        self
    }

    /// Reads `SSL_CERT_FILE` and `SSL_CERT_DIR` from `env` instead of the
    /// process environment (feature `test-util`).
    #[cfg(any(test, feature = "test-util"))]
    pub fn with_env(mut self, env: Env) -> Self {
        self.config.env = env;
        self
    }

    /// The client. Nothing is read or connected until the first request.
    ///
    /// # Errors
    /// A PEM given to [`with_ca_pem`](Self::with_ca_pem) holds no PEM
    /// `CERTIFICATE` block, or one that does not parse.
    pub fn build(mut self) -> Result<ReqwestHttpClient, HttpClientConfigError> {
        for pem in &self.ca_pems {
            let roots = parse_pem_certificates(pem).map_err(|e| {
                HttpClientConfigError::new(format!(
                    "the CA certificates given to with_ca_pem could not be parsed ({e}); \
                     pass the PEM text of one or more certificates \
                     (-----BEGIN CERTIFICATE----- blocks)"
                ))
            })?;
            if roots.is_empty() {
                return Err(HttpClientConfigError::new(
                    "the CA certificates given to with_ca_pem contain no PEM CERTIFICATE block; \
                     pass the PEM text of one or more certificates \
                     (-----BEGIN CERTIFICATE----- blocks), not DER or a file path",
                ));
            }
            self.config.extra_roots.extend(roots);
        }
        let timer = if self.timer_tokio {
            deadline::Timer::Tokio
        } else {
            deadline::Timer::Sweeper
        };
        Ok(ReqwestHttpClient::from_parts(
            self.config,
            Some(DEFAULT_TIMEOUT),
            timer,
        ))
    }
}

impl ReqwestHttpClient {
    /// The process-wide client (created on first use, then shared by every
    /// caller of `new`).
    pub fn new() -> Self {
        static SHARED: OnceLock<ReqwestHttpClient> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                ReqwestHttpClient::from_parts(
                    ClientConfig {
                        env: Env::real(),
                        extra_roots: Vec::new(),
                    },
                    Some(DEFAULT_TIMEOUT),
                    deadline::Timer::Sweeper,
                )
            })
            .clone()
    }

    /// A client with options of its own: extra CA certificates, `tokio`
    /// timers.
    pub fn builder() -> ReqwestHttpClientBuilder {
        ReqwestHttpClientBuilder {
            config: ClientConfig {
                env: Env::real(),
                extra_roots: Vec::new(),
            },
            ca_pems: Vec::new(),
            timer_tokio: false,
        }
    }

    fn from_parts(
        config: ClientConfig,
        default_timeout: Option<Duration>,
        timer: deadline::Timer,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                tls: OnceLock::new(),
                plain: OnceLock::new(),
                default_timeout,
                timer,
            }),
        }
    }

    /// The client for plain `http` URLs (`plain`) or `https` ones.
    fn client_for(&self, plain: bool) -> Result<&reqwest::Client, TransportError> {
        let slot = if plain {
            self.inner.plain.get_or_init(build_plain_client)
        } else {
            self.inner
                .tls
                .get_or_init(|| build_tls_client(&self.inner.config))
        };
        slot.as_ref().map_err(Clone::clone)
    }
}

impl Default for ReqwestHttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ReqwestHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestHttpClient")
            .field("extra_roots", &self.inner.config.extra_roots.len())
            .field("default_timeout", &self.inner.default_timeout)
            .finish_non_exhaustive()
    }
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
}

fn build_failed(error: reqwest::Error) -> TransportError {
    TransportError {
        kind: TransportErrorKind::Connect,
        message: "could not build the HTTP client".to_owned(),
        source: Some(Arc::new(error)),
    }
}

fn build_plain_client() -> Result<reqwest::Client, TransportError> {
    client_builder().build().map_err(build_failed)
}

fn build_tls_client(config: &ClientConfig) -> Result<reqwest::Client, TransportError> {
    let mut builder = client_builder();
    let roots = trusted_roots(&config.env);
    if roots.is_empty() && config.extra_roots.is_empty() {
        builder = match fallback_roots(builder) {
            Some(builder) => builder,
            None => return Err(no_roots(&config.env)),
        };
    }
    for root in roots.iter().chain(&config.extra_roots) {
        match reqwest::Certificate::from_der(root.as_ref()) {
            Ok(cert) => builder = builder.add_root_certificate(cert),
            Err(_) => tracing::debug!("skipping a root certificate that could not be parsed"),
        }
    }
    builder.build().map_err(build_failed)
}

/// Mozilla's root set, where the `webpki-roots` feature is on.
#[cfg(feature = "webpki-roots")]
fn fallback_roots(builder: reqwest::ClientBuilder) -> Option<reqwest::ClientBuilder> {
    tracing::debug!("no system root certificates; using the webpki-roots set");
    Some(builder.tls_built_in_webpki_certs(true))
}

#[cfg(not(feature = "webpki-roots"))]
fn fallback_roots(_builder: reqwest::ClientBuilder) -> Option<reqwest::ClientBuilder> {
    None
}

fn no_roots(env: &Env) -> TransportError {
    let looked = if env.get(SSL_CERT_FILE).is_some() || env.get(SSL_CERT_DIR).is_some() {
        "in SSL_CERT_FILE / SSL_CERT_DIR"
    } else {
        "in the system's certificate store"
    };
    TransportError::new(
        TransportErrorKind::Connect,
        format!(
            "no trusted root certificate found {looked}, so no HTTPS server can be verified; \
             install the system's CA certificates (e.g. the ca-certificates package), point \
             SSL_CERT_FILE at a PEM bundle, or enable the `webpki-roots` feature of credential-core"
        ),
    )
}

/// The root certificates to trust: `SSL_CERT_FILE` and `SSL_CERT_DIR` (a list
/// separated by `:`; `;` on Windows) when either is set, else the system's.
pub(crate) fn trusted_roots(env: &Env) -> Vec<CertificateDer<'static>> {
    let file = env.get(SSL_CERT_FILE);
    let dirs = env.get(SSL_CERT_DIR);
    if file.is_none() && dirs.is_none() {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::debug!(%error, "error while loading system root certificates");
        }
        return found.certs;
    }
    let mut roots = Vec::new();
    if let Some(file) = file {
        roots.extend(read_pem_file(Path::new(&file)));
    }
    if let Some(dirs) = dirs {
        let separator = if cfg!(windows) { ';' } else { ':' };
        for dir in dirs.split(separator).filter(|d| !d.is_empty()) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                tracing::debug!(dir, "SSL_CERT_DIR entry is not a readable directory");
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    roots.extend(read_pem_file(&path));
                }
            }
        }
    }
    roots
}

fn read_pem_file(path: &Path) -> Vec<CertificateDer<'static>> {
    #[allow(clippy::disallowed_methods)] // Part of the real HTTP client's setup.
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "could not read a certificate file");
            return Vec::new();
        }
    };
    parse_pem_certificates(&bytes).unwrap_or_default()
}

fn parse_pem_certificates(
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, rustls_pki_types::pem::Error> {
    CertificateDer::pem_slice_iter(pem).collect()
}

/// The boxed future [`HttpClient::send`] returns.
type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

// Written out rather than with `#[async_trait]`: an `async fn` keeps its
// arguments (here the whole request, and `bytes()` a second copy of the
// response) in its future for as long as it runs, which made the future
// boxed for every request 1,456 bytes. Built as below it is 840 bytes,
// under the 1 KiB that glibc's allocator serves from its per-thread cache;
// larger blocks take an arena lock that a busy 2-thread client was seen
// waiting on (futex calls per request).
impl HttpClient for ReqwestHttpClient {
    fn send<'life0, 'async_trait>(&'life0 self, request: HttpRequest) -> SendFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        // Built directly rather than through `RequestBuilder` (which clones
        // the client and re-inserts headers one by one): the headers move in
        // whole.
        // `Duration::MAX` is no deadline.
        let timeout = request
            .timeout
            .or(self.inner.default_timeout)
            .unwrap_or(Duration::MAX);
        let host: Box<str> = request.url.host_str().unwrap_or_default().into();
        let plain = request.url.scheme() == "http";
        let outgoing = into_reqwest(request);
        let exchange = async move {
            let client = self.client_for(plain)?;
            let response = client.execute(outgoing).await.map_err(transport_error)?;
            read_response(response).await
        };
        // The deadline covers the response and its whole body, as reqwest's
        // own timeout did, without a tokio timer per request (`deadline`).
        Box::pin(deadline::within_using(
            self.inner.timer,
            timeout,
            exchange,
            move || Err(timed_out(timeout, &host)),
        ))
    }
}

fn into_reqwest(request: HttpRequest) -> reqwest::Request {
    let mut outgoing = reqwest::Request::new(request.method, request.url);
    *outgoing.headers_mut() = request.headers;
    *outgoing.body_mut() = request.body.map(reqwest::Body::from);
    outgoing
}

/// How long a request may take when it names no timeout of its own.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn timed_out(timeout: Duration, host: &str) -> TransportError {
    TransportError::new(
        TransportErrorKind::Timeout,
        format!("the request timed out: no complete response within {timeout:?} (host {host})"),
    )
}

/// Status, headers and the whole body. Read chunk by chunk (one chunk, not
/// copied, is the usual case) rather than with `bytes()`, whose future
/// holds a second copy of the response.
async fn read_response(mut response: reqwest::Response) -> Result<HttpResponse, TransportError> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        match (&mut joined, first.take()) {
            (Some(all), _) => all.extend_from_slice(&chunk),
            (None, Some(earlier)) => {
                let mut all = BytesMut::with_capacity(earlier.len() + chunk.len());
                all.extend_from_slice(&earlier);
                all.extend_from_slice(&chunk);
                joined = Some(all);
            }
            (None, None) => first = Some(chunk),
        }
    }
    let body = match joined {
        Some(all) => all.freeze(),
        None => first.unwrap_or_default(),
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// The kind of a failed exchange from what the HTTP library reports: a
/// connect timeout is a connection that could not be made (`Connect`);
/// `Timeout` is left for a request whose answer did not come in time.
pub fn transport_error_kind(connect: bool, timeout: bool, body: bool) -> TransportErrorKind {
    if connect {
        TransportErrorKind::Connect
    } else if timeout {
        TransportErrorKind::Timeout
    } else if body {
        TransportErrorKind::Decode
    } else {
        TransportErrorKind::Request
    }
}

fn transport_error(error: reqwest::Error) -> TransportError {
    let kind = transport_error_kind(
        error.is_connect(),
        error.is_timeout(),
        error.is_body() || error.is_decode(),
    );
    let host = error
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    // What failed at this level; the reason is the source, not repeated.
    let message = if host.is_empty() {
        "the request failed".to_owned()
    } else {
        format!("the request to {host} failed")
    };
    TransportError {
        kind,
        message,
        source: Some(Arc::new(error.without_url())),
    }
}

/// Whether `url` points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Wraps a client so that it refuses, without sending a packet, any request
/// to a host that is not loopback. Tests use it so that nothing (the IMDS
/// address 169.254.169.254 above all) is ever reached by accident.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Clone)]
pub struct LoopbackOnlyHttpClient<C = ReqwestHttpClient>(pub C);

#[cfg(any(test, feature = "test-util"))]
impl LoopbackOnlyHttpClient {
    /// Real HTTP, loopback destinations only.
    pub fn real() -> Self {
        Self(test_client(Env::empty()))
    }
}

/// A client of its own that reads `SSL_CERT_*` from `env`.
#[cfg(any(test, feature = "test-util"))]
fn test_client(env: Env) -> ReqwestHttpClient {
    ReqwestHttpClient::from_parts(
        ClientConfig {
            env,
            extra_roots: Vec::new(),
        },
        Some(DEFAULT_TIMEOUT),
        deadline::Timer::Sweeper,
    )
}

#[cfg(any(test, feature = "test-util"))]
#[async_trait]
impl<C: HttpClient> HttpClient for LoopbackOnlyHttpClient<C> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !is_loopback(&request.url) {
            return Err(TransportError::new(
                TransportErrorKind::Connect,
                format!(
                    "refused to send a request to non-loopback host {} (loopback-only client)",
                    request.url.host_str().unwrap_or("<none>")
                ),
            ));
        }
        self.0.send(request).await
    }
}

/// A client with no network: every request fails with a connection error.
/// The isolated context's default (feature `test-util`).
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNetworkHttpClient;

#[cfg(any(test, feature = "test-util"))]
#[async_trait]
impl HttpClient for NoNetworkHttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        Err(TransportError::new(
            TransportErrorKind::Connect,
            format!(
                "no network in an isolated context (request to {} not sent)",
                request.url.host_str().unwrap_or("<none>")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_names_of_any_case_and_invalid_headers_never_panic() {
        let url = Url::parse("http://127.0.0.1/").unwrap();
        let request = HttpRequest::new(Method::GET, url)
            .with_header("X-Custom-Name", "v1")
            .with_header("METADATA", "true")
            .with_header("Authorization", "Bearer t")
            .with_header("bad name", "dropped")
            .with_header("", "dropped")
            .with_header("x-bad-value", "line\nbreak")
            .with_header("x-non-ascii-\u{e9}", "dropped");
        let names: Vec<&str> = request.headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-custom-name", "metadata", "authorization"]);
        assert!(request.headers["authorization"].is_sensitive());
        let response = HttpResponse {
            status: StatusCode::OK,
            headers: request.headers.clone(),
            body: Bytes::new(),
        };
        assert_eq!(response.header("X-CUSTOM-NAME"), Some("v1"));
        assert_eq!(response.header("Metadata"), Some("true"));
        assert_eq!(response.header("bad name"), None);
        assert_eq!(response.header("\u{e9}"), None);
    }

    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback(&url("http://127.0.0.1:8080/x")));
        assert!(is_loopback(&url("http://127.9.9.9/x")));
        assert!(is_loopback(&url("http://[::1]:1/")));
        assert!(is_loopback(&url("http://localhost/")));
        assert!(!is_loopback(&url("http://169.254.169.254/metadata")));
        assert!(!is_loopback(&url("https://localhost.evil.com/")));
        assert!(!is_loopback(&url("https://10.0.0.1/")));
    }

    #[tokio::test]
    async fn loopback_only_refuses_imds() {
        let client = LoopbackOnlyHttpClient::real();
        let err = client
            .send(HttpRequest::new(
                Method::GET,
                url("http://169.254.169.254/metadata/identity/oauth2/token"),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Connect);
        assert!(err.message.contains("169.254.169.254"), "{}", err.message);
    }

    #[tokio::test]
    async fn sends_to_loopback_server_and_reads_response() {
        let mut server = mockito::Server::new_async().await;
        let mock = server
            .mock("POST", "/tenant/oauth2/v2.0/token")
            .match_header("content-type", "application/x-www-form-urlencoded")
            .match_body("a=1&b=x+y%26z")
            .with_status(400)
            .with_header("x-ms-request-id", "req-1")
            .with_body("{}")
            .create_async()
            .await;
        let client = LoopbackOnlyHttpClient::real();
        let request = HttpRequest::new(
            Method::POST,
            url(&format!("{}/tenant/oauth2/v2.0/token", server.url())),
        )
        .with_form([("a", "1"), ("b", "x y&z")]);
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.header("x-ms-request-id"), Some("req-1"));
        assert_eq!(&response.body[..], b"{}");
        mock.assert_async().await;
    }

    #[tokio::test]
    async fn a_body_sent_in_several_chunks_is_read_whole() {
        use std::io::{Read, Write};
        // A raw loopback server: chunked transfer encoding, three chunks
        // written apart so that the client sees them separately.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).unwrap();
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-ms-request-id: req-2\r\n\r\n")
                .unwrap();
            for part in ["{\"value\":", "\"abc\"", "}"] {
                socket
                    .write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
                    .unwrap();
                socket.flush().unwrap();
                std::thread::sleep(Duration::from_millis(30));
            }
            socket.write_all(b"0\r\n\r\n").unwrap();
        });
        let client = LoopbackOnlyHttpClient::real();
        let request = HttpRequest::new(Method::GET, url(&format!("http://{address}/chunks")));
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.header("x-ms-request-id"), Some("req-2"));
        assert_eq!(&response.body[..], br#"{"value":"abc"}"#);
        server.join().unwrap();
    }

    /// A loopback server that answers each connection with `answer` (if
    /// any) and then holds it open without another byte.
    fn stalling_server(answer: &'static [u8]) -> std::net::SocketAddr {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for mut socket in listener.incoming().flatten() {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request);
                let _ = socket.write_all(answer);
                held.push(socket);
            }
        });
        address
    }

    /// Sends to a [`stalling_server`] answering `answer` with a 150 ms
    /// timeout; the error and how long it took.
    async fn stalled_request(answer: &'static [u8]) -> (TransportError, Duration) {
        let address = stalling_server(answer);
        let started = tokio::time::Instant::now();
        let client = LoopbackOnlyHttpClient::real();
        let send = client.send(
            HttpRequest::new(Method::GET, url(&format!("http://{address}/stall")))
                .with_timeout(Duration::from_millis(150)),
        );
        // The outer bound only turns a missing deadline into a failure.
        let err = tokio::time::timeout(Duration::from_secs(10), send)
            .await
            .expect("the request's own timeout fired")
            .unwrap_err();
        (err, started.elapsed())
    }

    #[tokio::test]
    async fn a_response_that_never_comes_times_out_at_the_requests_timeout() {
        let (err, took) = stalled_request(b"").await;
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
        assert!(err.message.contains("timed out"), "{}", err.message);
        assert!(err.message.contains("150ms"), "{}", err.message);
        assert!(err.message.contains("host 127.0.0.1"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_body_that_stops_halfway_times_out_too() {
        let (err, took) =
            stalled_request(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"value\":").await;
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
    }

    #[tokio::test]
    async fn tokio_timers_keep_the_deadline_too() {
        let address = stalling_server(b"");
        let client = ReqwestHttpClient::builder()
            .with_env(Env::empty())
            .with_tokio_timers()
            .build()
            .unwrap();
        let send = client.send(
            HttpRequest::new(Method::GET, url(&format!("http://{address}/stall")))
                .with_timeout(Duration::from_millis(100)),
        );
        let err = tokio::time::timeout(Duration::from_secs(10), send)
            .await
            .expect("the request's own timeout fired")
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Timeout, "{err}");
    }

    #[test]
    fn new_hands_out_one_process_wide_client() {
        let a = ReqwestHttpClient::new();
        let b = ReqwestHttpClient::default();
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        let own = ReqwestHttpClient::builder().build().unwrap();
        assert!(!Arc::ptr_eq(&a.inner, &own.inner));
    }

    /// An environment whose `SSL_CERT_FILE` names a file that does not exist:
    /// no root certificate can be found.
    fn env_without_roots() -> Env {
        Env::from_pairs([("SSL_CERT_FILE", "/nonexistent/credential-core/roots.pem")])
    }

    #[tokio::test]
    async fn plain_http_reads_no_root_certificates() {
        let mut server = mockito::Server::new_async().await;
        let mock = server
            .mock("GET", "/plain")
            .with_status(200)
            .create_async()
            .await;
        let client = test_client(env_without_roots());
        let response = client
            .send(HttpRequest::new(
                Method::GET,
                url(&format!("{}/plain", server.url())),
            ))
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::OK);
        mock.assert_async().await;
        // The TLS client was never built, so no root was looked for.
        assert!(client.inner.tls.get().is_none());
        assert!(client.inner.plain.get().is_some());
    }

    #[cfg(not(feature = "webpki-roots"))]
    #[tokio::test]
    async fn without_any_root_an_https_request_says_so_and_names_the_fix() {
        let client = test_client(env_without_roots());
        let err = client
            .send(HttpRequest::new(Method::GET, url("https://127.0.0.1:1/")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Connect);
        for expected in [
            "no trusted root certificate",
            "SSL_CERT_FILE",
            "webpki-roots",
        ] {
            assert!(err.message.contains(expected), "{}", err.message);
        }
    }

    #[test]
    fn a_ca_pem_without_a_certificate_is_refused() {
        let err = ReqwestHttpClient::builder()
            .with_ca_pem(b"not a pem")
            .build()
            .unwrap_err();
        for expected in ["with_ca_pem", "no PEM CERTIFICATE", "BEGIN CERTIFICATE"] {
            assert!(err.message.contains(expected), "{}", err.message);
        }
    }

    #[test]
    fn the_boxed_send_future_fits_the_allocators_thread_cache() {
        // glibc serves blocks up to 1,032 bytes (with its 8-byte header)
        // from a per-thread cache; larger ones take an arena lock.
        let client = test_client(Env::empty());
        let future = client.send(HttpRequest::new(Method::GET, url("http://127.0.0.1:1/")));
        let size = std::mem::size_of_val(&*future);
        assert!(size <= 1024, "the send future is {size} bytes");
    }

    #[tokio::test]
    async fn an_empty_body_is_empty() {
        let mut server = mockito::Server::new_async().await;
        let mock = server
            .mock("GET", "/empty")
            .with_status(204)
            .create_async()
            .await;
        let client = LoopbackOnlyHttpClient::real();
        let request = HttpRequest::new(Method::GET, url(&format!("{}/empty", server.url())));
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status, StatusCode::NO_CONTENT);
        assert!(response.body.is_empty());
        mock.assert_async().await;
    }

    #[tokio::test]
    async fn refused_connection_is_connect_error() {
        // Bind then drop a listener to get a port nothing listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let err = LoopbackOnlyHttpClient::real()
            .send(HttpRequest::new(
                Method::GET,
                url(&format!("http://127.0.0.1:{port}/")),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.kind, TransportErrorKind::Connect, "{err}");
        // This level says what failed; why is in the source chain, which
        // the message does not repeat.
        assert_eq!(err.message, "the request to 127.0.0.1 failed");
        let credential_error = err.into_credential_error("C");
        let mut parts = vec![credential_error.to_string()];
        let mut source = std::error::Error::source(&credential_error);
        while let Some(cause) = source {
            parts.push(cause.to_string());
            source = cause.source();
        }
        assert!(parts.len() >= 2, "{parts:?}");
        for (i, part) in parts.iter().enumerate() {
            for later in &parts[i + 1..] {
                assert!(!part.contains(later.as_str()), "{part:?} repeats {later:?}");
            }
        }
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let mut server = mockito::Server::new_async().await;
        let _m = server
            .mock("GET", "/a")
            .with_status(302)
            .with_header("location", "http://127.0.0.2:1/steal")
            .create_async()
            .await;
        let response = LoopbackOnlyHttpClient::real()
            .send(HttpRequest::new(
                Method::GET,
                url(&format!("{}/a", server.url())),
            ))
            .await
            .unwrap();
        assert_eq!(response.status.as_u16(), 302);
    }

    #[test]
    fn debug_hides_body_and_header_values() {
        let request = HttpRequest::new(Method::POST, url("https://login.example/t"))
            .with_header("authorization", "Bearer top-secret-token")
            .with_form([("client_secret", "very-secret")]);
        let debug = format!("{request:?}");
        assert!(
            !debug.contains("top-secret-token") && !debug.contains("very-secret"),
            "{debug}"
        );
        assert!(debug.contains("authorization"));
    }

    #[test]
    fn ssl_cert_file_is_honoured() {
        let dir =
            std::env::temp_dir().join(format!("credential-core-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ca.pem");
        std::fs::write(&file, TEST_CA_PEM).unwrap();
        let env = Env::from_pairs([("SSL_CERT_FILE", file.to_str().unwrap())]);
        assert_eq!(trusted_roots(&env).len(), 1);
        let env = Env::from_pairs([("SSL_CERT_DIR", dir.to_str().unwrap())]);
        assert_eq!(trusted_roots(&env).len(), 1);
        let env = Env::from_pairs([("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
        assert!(trusted_roots(&env).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn extra_roots_must_hold_a_certificate() {
        let with = |pem: &[u8]| {
            ReqwestHttpClient::builder()
                .with_env(Env::empty())
                .with_ca_pem(pem)
                .build()
        };
        assert!(with(b"not a pem").is_err());
        let client = with(TEST_CA_PEM.as_bytes()).unwrap();
        assert_eq!(client.inner.config.extra_roots.len(), 1);
    }

    const TEST_CA_PEM: &str = include_str!("../tests/data/test-ca.pem");
}
