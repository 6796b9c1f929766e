//! Sending one operation: challenge authentication, retries and headers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use credential_core::http::is_loopback;
use credential_core::retry::{RetryPolicy, random_unit};
use credential_core::{
    AccessToken, HttpRequest, HttpResponse, SharedClock, SharedHttpClient, TokenCache,
    TokenCredential, TokenRequestOptions,
};
use reqwest::Method;
use url::Url;

use crate::challenge::{Challenge, ChallengeCache, parse_www_authenticate};
use crate::error::{Error, ServiceError};

/// The `User-Agent` every request carries.
pub(crate) fn user_agent() -> String {
    format!(
        "azsdk-rust-keyvault-secrets/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// One logical request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub body: Option<Bytes>,
}

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
    pub user_agent: String,
}

enum Discovery {
    Ready(Arc<Challenge>),
    Answered(HttpResponse),
}

fn request_id(response: &HttpResponse) -> Option<String> {
    response.header("x-ms-request-id").map(str::to_owned)
}

/// A response with an unexpected status as an [`Error::Service`].
pub(crate) fn service_error(response: &HttpResponse) -> Error {
    Error::Service(ServiceError::from_response(
        response.status.as_u16(),
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
        url.scheme() == self.vault_url.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.vault_url.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.vault_url.port_or_known_default()
    }

    /// Sends `request` with authentication and retries. Returns the final
    /// response whatever its status; transport failures after the retries
    /// and authentication failures are errors.
    pub(crate) async fn send(&self, request: &Request) -> Result<HttpResponse, Error> {
        if !self.same_origin(&request.url) {
            return Err(Error::invalid_input(format!(
                "refusing to send a request for vault {} to another origin ({}://{})",
                self.vault_url,
                request.url.scheme(),
                request.url.host_str().unwrap_or_default()
            )));
        }
        if request.url.scheme() != "https" && !is_loopback(&request.url) {
            return Err(Error::invalid_input(
                "refusing to send a token over plain http",
            ));
        }
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut attempt = 0;
        loop {
            let result = self.send_authorized(request, &client_request_id).await;
            let delay = match &result {
                Ok(r) if self.retry.retries_status(r.status.as_u16()) => {
                    self.retry
                        .delay_after(attempt, &r.headers, self.clock.now())
                }
                Err(Error::Transport { kind, .. }) if kind.is_transient() => {
                    self.retry.backoff(attempt, random_unit())
                }
                _ => return result,
            };
            if attempt >= self.retry.max_retries {
                return result;
            }
            tracing::debug!(
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                status = result.as_ref().map(|r| r.status.as_u16()).unwrap_or(0),
                "retrying a Key Vault request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn build(&self, request: &Request, id: &str, token: Option<&AccessToken>) -> HttpRequest {
        let mut http = HttpRequest::new(request.method.clone(), request.url.clone())
            .with_header("x-ms-client-request-id", id)
            .with_header("user-agent", &self.user_agent)
            .with_header("accept", "application/json");
        let has_body_method = matches!(request.method, Method::PUT | Method::POST | Method::PATCH);
        match (token, &request.body) {
            (Some(token), body) => {
                http = http.with_header(
                    "authorization",
                    &format!("Bearer {}", token.token.expose_secret()),
                );
                if let Some(body) = body {
                    http = http.with_header("content-type", "application/json");
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
        let mut options = TokenRequestOptions::default().with_cae(true);
        if let Some(tenant) = &challenge.tenant_id {
            options = options.with_tenant_id(tenant.clone());
        }
        if let Some(claims) = claims {
            options = options.with_claims(claims);
        }
        let scopes = [challenge.scope.as_str()];
        let credential = &self.credential;
        let token = self
            .tokens
            .get_or_fetch(&scopes, &options, || {
                credential.get_token(&scopes, &options)
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
    async fn discover(&self, request: &Request, id: &str) -> Result<Discovery, Error> {
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

    async fn send_authorized(&self, request: &Request, id: &str) -> Result<HttpResponse, Error> {
        let mut challenge = match self.challenge.get() {
            Some(c) => c,
            None => match self.discover(request, id).await? {
                Discovery::Ready(c) => c,
                Discovery::Answered(response) => return Ok(response),
            },
        };
        let mut token = self.token(&challenge, None).await?;
        let mut claims_retried = false;
        let mut rechallenged = false;
        loop {
            let response = self
                .http
                .send(self.build(request, id, Some(&token)))
                .await?;
            if response.status.as_u16() != 401 {
                return Ok(response);
            }
            let parsed = response
                .header("www-authenticate")
                .and_then(parse_www_authenticate);
            let Some(parsed) = parsed else {
                return Err(no_challenge(&response));
            };
            if parsed.is_claims_challenge() {
                if claims_retried {
                    return Ok(response);
                }
                claims_retried = true;
                token = self.token(&challenge, Some(parsed.claims()?)).await?;
                continue;
            }
            // A new challenge (the vault moved tenant): accept it once.
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
            token = self.token(&challenge, None).await?;
        }
    }
}

fn no_challenge(response: &HttpResponse) -> Error {
    let mut error = ServiceError::from_response(401, &response.body, request_id(response));
    let note = "the 401 response carried no Bearer WWW-Authenticate challenge";
    error.message = Some(match error.message {
        Some(m) => format!("{m} ({note})"),
        None => note.to_owned(),
    });
    Error::Service(error)
}
