//! Sending one operation: challenge authentication, retries and headers.

use http::StatusCode;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use credential_core::__private::is_loopback;
use credential_core::__private::retry::{self, RetryRules, RetryableError};
use credential_core::RetryPolicy;
use credential_core::{
    AccessToken, HttpRequest, HttpResponse, SharedClock, SharedHttpClient, TokenCache,
    TokenCredential, TransportErrorKind,
};
use http::Method;
use http::header::HeaderValue;
use tracing::Span;
use url::Url;

use crate::challenge::{Challenge, ChallengeCache, parse_www_authenticate};
use crate::error::{Error, ServiceError};
use crate::headers::{BearerHeaders, ConstantHeaders, RequestIds};
use crate::policy::{End, Next, Policy};
use crate::request::Request;
use crate::telemetry;

/// Everything a client shares between its operations.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub http: SharedHttpClient,
    pub credential: Arc<dyn TokenCredential>,
    pub clock: SharedClock,
    pub tokens: TokenCache,
    pub challenge: ChallengeCache,
    pub vault_url: Url,
    pub retry: RetryPolicy,
    pub per_try_timeout: Option<Duration>,
    pub verify_challenge_resource: bool,
    pub headers: ConstantHeaders,
    pub request_ids: RequestIds,
    pub bearer: BearerHeaders,
    /// Plain `http://` to a host that is not loopback was allowed at build.
    pub allow_insecure_http: bool,
    /// Policies run once per operation, around the retries.
    pub per_call: Vec<Arc<dyn Policy>>,
    /// Policies run on every try, inside the retries (before authentication).
    pub per_retry: Vec<Arc<dyn Policy>>,
}

enum Discovery {
    Ready(Arc<Challenge>),
    Answered(HttpResponse),
}

/// The response's `x-ms-request-id`, owned, for an error.
pub(crate) fn request_id(response: &HttpResponse) -> Option<String> {
    response.request_id().map(str::to_owned)
}

/// A response with an unexpected status as an [`Error::Service`].
pub(crate) fn service_error(response: &HttpResponse) -> Error {
    Error::Service(ServiceError::from_response(
        response.status,
        &response.body,
        request_id(response),
    ))
}

impl Pipeline {
    fn vault_host(&self) -> &str {
        self.vault_url.host_str().unwrap_or_default()
    }

    /// Whether `url` is on the vault's origin (scheme, host, port), so that
    /// a token may go there.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        let same_host = match (url.host_str(), self.vault_url.host_str()) {
            (Some(host), Some(vault)) => host.eq_ignore_ascii_case(vault),
            (None, None) => true,
            _ => false,
        };
        url.scheme() == self.vault_url.scheme()
            && same_host
            && url.port_or_known_default() == self.vault_url.port_or_known_default()
    }

    /// Sends `request` with authentication and retries (and the policies).
    /// Returns the final response whatever its status; transport failures
    /// after the retries and authentication failures are errors. The
    /// operation's `span` gets the final status, request id and retry count.
    pub(crate) async fn send(&self, request: &Request, span: &Span) -> Result<HttpResponse, Error> {
        if !self.same_origin(&request.url) {
            return Err(Error::invalid_input(format!(
                "refusing to send a request for vault {} to another origin ({}://{})",
                self.vault_url,
                request.url.scheme(),
                request.url.host_str().unwrap_or_default()
            )));
        }
        if request.url.scheme() != "https"
            && !self.allow_insecure_http
            && !is_loopback(&request.url)
        {
            return Err(Error::invalid_input(
                "refusing to send a token over plain http",
            ));
        }
        if self.per_call.is_empty() {
            return self.send_with_retries(request, span).await;
        }
        let mut request = request.clone();
        let next = Next::new(
            &self.per_call,
            End::Retries {
                pipeline: self,
                span,
            },
        );
        next.send(&mut request).await
    }

    /// The retries around [`Self::send_try`]: credential-core's retry
    /// engine under the client's [`RetryPolicy`].
    pub(crate) async fn send_with_retries(
        &self,
        request: &Request,
        span: &Span,
    ) -> Result<HttpResponse, Error> {
        let client_request_id = self.request_ids.next_header();
        let rules = RetryRules {
            per_try_timeout: self.per_try_timeout,
            what: "a Key Vault request",
            ..self.retry.rules()
        };
        let (result, retries) = retry::run(
            &rules,
            || self.clock.now(),
            || self.send_try(request, &client_request_id),
        )
        .await;
        telemetry::record_result(span, &result, retries);
        result
    }

    /// One try, through the per-retry policies when there are any.
    async fn send_try(&self, request: &Request, id: &HeaderValue) -> Result<HttpResponse, Error> {
        if self.per_retry.is_empty() {
            return self.send_authorized(request, id).await;
        }
        let mut request = request.clone();
        let next = Next::new(&self.per_retry, End::Try { pipeline: self, id });
        next.send(&mut request).await
    }

    fn build(
        &self,
        request: &Request,
        id: &HeaderValue,
        token: Option<&AccessToken>,
    ) -> HttpRequest {
        let mut http = HttpRequest::new(request.method.clone(), request.url.clone());
        http.headers = self.headers.for_request(id);
        let has_body_method = matches!(request.method, Method::PUT | Method::POST | Method::PATCH);
        match (token, &request.body) {
            (Some(_), body) => {
                if let Some(body) = body {
                    ConstantHeaders::add_json_content_type(&mut http.headers);
                    http.body = Some(body.clone());
                } else if has_body_method {
                    http.body = Some(Bytes::new());
                }
            }
            // The challenge request: no body, no Authorization.
            (None, _) => {
                if has_body_method {
                    http.body = Some(Bytes::new());
                }
            }
        }
        // The caller's headers may replace ours, but never `Authorization`.
        for (name, value) in &request.headers {
            if name != http::header::AUTHORIZATION {
                http.headers.insert(name, value.clone());
            }
        }
        if let Some(token) = token {
            self.bearer.add(&mut http.headers, &token.token);
        }
        if let Some(timeout) = self.per_try_timeout {
            http = http.with_timeout(timeout);
        }
        http
    }

    async fn token(
        &self,
        challenge: &Challenge,
        claims: Option<String>,
    ) -> Result<AccessToken, Error> {
        let options = match claims {
            Some(claims) => Cow::Owned(challenge.token_options.clone().with_claims(claims)),
            None => Cow::Borrowed(&challenge.token_options),
        };
        let options = options.as_ref();
        let scopes = [challenge.scope.as_str()];
        let token = self
            .tokens
            .get_or_fetch(&scopes, options, || {
                // Owned, because a refresh ahead of expiry runs in the background.
                let credential = Arc::clone(&self.credential);
                let (scope, options) = (challenge.scope.clone(), options.clone());
                async move { credential.get_token(&[&scope], &options).await }
            })
            .await?;
        Ok(token)
    }

    fn accept(&self, response: &HttpResponse) -> Result<Option<Arc<Challenge>>, Error> {
        let Some(parsed) = response
            .header("www-authenticate")
            .and_then(parse_www_authenticate)
        else {
            return Ok(None);
        };
        let challenge =
            Challenge::accept(&parsed, self.vault_host(), self.verify_challenge_resource)?;
        Ok(Some(Arc::new(challenge)))
    }

    /// The first request(s) of a client: one discovery at a time; the
    /// others wait for it and use its challenge.
    async fn discover(&self, request: &Request, id: &HeaderValue) -> Result<Discovery, Error> {
        let _guard = self.challenge.discovery.lock().await;
        if let Some(challenge) = self.challenge.get() {
            return Ok(Discovery::Ready(challenge));
        }
        let response = self.http.send(self.build(request, id, None)).await?;
        if response.status.as_u16() == 401 {
            return match self.accept(&response)? {
                Some(challenge) => {
                    // Fetch the first token while others wait, so they hit the cache.
                    self.token(&challenge, None).await?;
                    self.challenge.set(challenge.clone());
                    Ok(Discovery::Ready(challenge))
                }
                None => Err(no_challenge(&response)),
            };
        }
        if request.body.is_none() || !response.status.is_success() {
            // The vault answered without asking for authentication (an
            // emulator, or an error): that answer is the operation's answer.
            return Ok(Discovery::Answered(response));
        }
        Err(Error::challenge(format!(
            "the vault accepted an unauthenticated request without a body (HTTP {}) instead of sending a challenge; the request body was not sent",
            response.status.as_u16()
        )))
    }

    /// One try: the cached challenge (discovering it first if needed) and
    /// token, then the request. A `401` goes to [`Self::reauthorize`].
    pub(crate) async fn send_authorized(
        &self,
        request: &Request,
        id: &HeaderValue,
    ) -> Result<HttpResponse, Error> {
        let challenge = match self.challenge.get() {
            Some(c) => c,
            // Boxed: discovery is cold; the hot future stays small.
            None => match Box::pin(self.discover(request, id)).await? {
                Discovery::Ready(c) => c,
                Discovery::Answered(response) => return Ok(response),
            },
        };
        let token = self.token(&challenge, None).await?;
        let response = self
            .http
            .send(self.build(request, id, Some(&token)))
            .await?;
        if response.status.as_u16() != 401 {
            return Ok(response);
        }
        Box::pin(self.reauthorize(request, id, challenge, response)).await
    }

    /// After a `401` to an authorized request: one retry with the claims of
    /// a CAE claims challenge, and one with a new challenge (the vault
    /// moved tenant); otherwise the `401` is the answer.
    async fn reauthorize(
        &self,
        request: &Request,
        id: &HeaderValue,
        mut challenge: Arc<Challenge>,
        mut response: HttpResponse,
    ) -> Result<HttpResponse, Error> {
        let mut claims_retried = false;
        let mut rechallenged = false;
        loop {
            let parsed = response
                .header("www-authenticate")
                .and_then(parse_www_authenticate);
            let Some(parsed) = parsed else {
                return Err(no_challenge(&response));
            };
            let token = if parsed.is_claims_challenge() {
                if claims_retried {
                    return Ok(response);
                }
                claims_retried = true;
                self.token(&challenge, Some(parsed.claims()?)).await?
            } else {
                let fresh = Arc::new(Challenge::accept(
                    &parsed,
                    self.vault_host(),
                    self.verify_challenge_resource,
                )?);
                if rechallenged || fresh == challenge {
                    return Ok(response);
                }
                rechallenged = true;
                self.challenge.set(fresh.clone());
                challenge = fresh;
                self.token(&challenge, None).await?
            };
            response = self
                .http
                .send(self.build(request, id, Some(&token)))
                .await?;
            if response.status.as_u16() != 401 {
                return Ok(response);
            }
        }
    }
}

fn no_challenge(response: &HttpResponse) -> Error {
    Error::Service(
        ServiceError::from_response(
            StatusCode::UNAUTHORIZED,
            &response.body,
            request_id(response),
        )
        .with_note("the 401 response carried no Bearer WWW-Authenticate challenge"),
    )
}

impl RetryableError for Error {
    fn transport_kind(&self) -> Option<TransportErrorKind> {
        match self {
            Error::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}
