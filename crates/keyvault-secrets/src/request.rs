//! [`Request`]: the request a [`Policy`](crate::Policy) sees, and
//! [`Response`]: a typed result with the HTTP status and headers.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use url::Url;

use crate::error::Error;

/// One logical request to the vault, before authentication: what a
/// [`Policy`](crate::Policy) sees and may add headers to, and what
/// [`SecretClient::send_request`](crate::SecretClient::send_request) sends.
/// `Debug` shows the body's length, never the body (it may hold a secret).
#[derive(Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
}

impl Request {
    pub(crate) fn new(method: Method, url: Url, headers: HeaderMap, body: Option<Bytes>) -> Self {
        Self {
            method,
            url,
            headers,
            body,
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL, `api-version` included.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers added by the caller and the policies so far. The client
    /// adds `User-Agent`, `Accept`, `x-ms-client-request-id`, `Content-Type`
    /// and `Authorization` when it sends (a header set here replaces the
    /// client's, except `Authorization`, which only the client sets).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to add to or change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The JSON body, if any.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

/// A typed result with the status and headers of the response it was read
/// from; see `with_response` on each request value.
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets::Error> {
/// let response = client.get_secret("db-password").with_response().await?;
/// println!("HTTP {} request id {:?}", response.status(), response.request_id());
/// let secret = response.into_value();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    status: StatusCode,
    headers: HeaderMap,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, status: StatusCode, headers: HeaderMap) -> Self {
        Self {
            value,
            status,
            headers,
        }
    }

    /// The typed result.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The typed result, taken out.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The HTTP status of the final response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers of the final response.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `x-ms-request-id` header, to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        credential_core::__private::request_id(&self.headers)
    }
}

/// The options every request value takes: a timeout for the whole
/// operation and extra headers.
#[derive(Debug, Default)]
pub(crate) struct CallOptions {
    pub timeout: Option<std::time::Duration>,
    pub headers: HeaderMap,
    /// The first header that could not be used, reported when sent.
    pub header_error: Option<String>,
}

impl CallOptions {
    pub(crate) fn add_header(&mut self, name: &str, value: &str) {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => {
                if self.header_error.is_none() {
                    self.header_error = Some(format!(
                        "the header '{}' is not a valid HTTP header name and value; use a token name and visible ASCII text",
                        name.escape_debug()
                    ));
                }
            }
        }
    }

    /// The headers, or the error for the first bad one.
    pub(crate) fn take_headers(&mut self) -> Result<HeaderMap, Error> {
        match self.header_error.take() {
            Some(message) => Err(Error::invalid_input(message)),
            None => Ok(std::mem::take(&mut self.headers)),
        }
    }
}
