//! [`Policy`]: a user's step in the client's pipeline, per call or per retry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use credential_core::HttpResponse;
use http::header::HeaderValue;
use tracing::Span;

use crate::error::Error;
use crate::pipeline::Pipeline;
use crate::request::Request;

/// A step of the client's pipeline: it sees the request, calls the next
/// step, and sees the response (or the error). Add one with
/// [`SecretClientBuilder::with_per_call_policy`](crate::SecretClientBuilder::with_per_call_policy)
/// (once per operation, around the retries) or
/// [`SecretClientBuilder::with_per_retry_policy`](crate::SecretClientBuilder::with_per_retry_policy)
/// (on every try). Policies run before authentication: they never see the
/// token.
///
/// ```
/// use keyvault_secrets::{Error, Next, Policy, Request, async_trait};
/// use credential_core::HttpResponse;
///
/// #[derive(Debug)]
/// struct Tenant(&'static str);
///
/// #[async_trait]
/// impl Policy for Tenant {
///     async fn send(&self, request: &mut Request, next: Next<'_>) -> Result<HttpResponse, Error> {
///         request.headers_mut().insert("x-tenant", self.0.parse().expect("a valid value"));
///         let response = next.send(request).await?;
///         tracing::debug!(status = response.status.as_u16(), "vault answered");
///         Ok(response)
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Policy: Send + Sync + fmt::Debug {
    /// Handles `request`: usually changes it, calls `next.send(request)`
    /// and looks at the result.
    ///
    /// # Errors
    /// The policy's own error, or `next`'s (see [`Next::send`]); returning an
    /// error ends the request there (an error status of the service is a
    /// response, not an error).
    async fn send(&self, request: &mut Request, next: Next<'_>) -> Result<HttpResponse, Error>;
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The rest of the pipeline after a [`Policy`].
pub struct Next<'a> {
    policies: &'a [Arc<dyn Policy>],
    end: End<'a>,
}

/// What comes after the last policy of a list.
#[derive(Clone, Copy)]
pub(crate) enum End<'a> {
    /// The retries (after the per-call policies).
    Retries {
        pipeline: &'a Pipeline,
        span: &'a Span,
    },
    /// One authorized try (after the per-retry policies).
    Try {
        pipeline: &'a Pipeline,
        id: &'a HeaderValue,
    },
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("policies", &self.policies.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Next<'a> {
    pub(crate) fn new(policies: &'a [Arc<dyn Policy>], end: End<'a>) -> Self {
        Self { policies, end }
    }

    /// Runs the rest of the pipeline on `request`.
    ///
    /// # Errors
    /// Whatever a later policy returns, or, at the end of the pipeline, the
    /// client's own errors (see [`SecretClient`'s errors](crate::SecretClient#errors));
    /// an error status of the service is a response here, not an error.
    pub async fn send(self, request: &mut Request) -> Result<HttpResponse, Error> {
        match self.policies.split_first() {
            Some((first, rest)) => {
                let next = Next {
                    policies: rest,
                    end: self.end,
                };
                first.send(request, next).await
            }
            None => self.end.send(request).await,
        }
    }
}

impl<'a> End<'a> {
    // Boxed as `dyn`: the retries run the per-retry `Next`, whose future
    // would otherwise contain itself.
    fn send<'b>(self, request: &'b Request) -> BoxFuture<'b, Result<HttpResponse, Error>>
    where
        'a: 'b,
    {
        match self {
            End::Retries { pipeline, span } => Box::pin(pipeline.send_with_retries(request, span)),
            End::Try { pipeline, id } => Box::pin(pipeline.send_authorized(request, id)),
        }
    }
}
