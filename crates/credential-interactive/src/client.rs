//! [`TokenClient`]: the plumbing every credential here shares: the tenant,
//! client id and authority; the multi-tenant rules; the endpoints; sending a
//! form with retries.

use std::fmt;
use std::time::Duration;

use credential_core::__private::entra::{self, AllowedTenants};
use credential_core::__private::retry::send_with_retry;
use credential_core::RetryPolicy;
use credential_core::{CredentialError, Method, ProviderContext, TokenRequestOptions};
use credential_core::{HttpRequest, HttpResponse};
use url::Url;

use crate::grant::{GrantResponse, parse_grant_response};
use crate::options::CommonOptions;

/// A client of Entra ID's OAuth endpoints.
pub(crate) struct TokenClient {
    pub(crate) credential: &'static str,
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) authority: Url,
    pub(crate) allowed_tenants: AllowedTenants,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) request_timeout: Duration,
    /// Whether token caches refresh stale tokens in a spawned task.
    pub(crate) background_refresh: bool,
    pub(crate) context: ProviderContext,
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority.as_str())
            .field("allowed_tenants", &self.allowed_tenants)
            .finish_non_exhaustive()
    }
}

impl TokenClient {
    /// Checks the ids and resolves the authority host.
    pub(crate) fn new(
        credential: &'static str,
        common: &CommonOptions,
        tenant_id: &str,
        client_id: &str,
    ) -> Result<Self, CredentialError> {
        let context = common.context();
        let resolved = common.resolve(credential, tenant_id, client_id, &context.env)?;
        Ok(Self {
            credential,
            tenant_id: resolved.tenant_id,
            client_id: resolved.client_id,
            authority: resolved.authority,
            allowed_tenants: resolved.allowed_tenants,
            retry_policy: resolved.retry_policy,
            request_timeout: resolved.request_timeout,
            background_refresh: resolved.background_refresh,
            context,
        })
    }

    /// The tenant of this request, after the multi-tenant rules.
    pub(crate) fn tenant_for(
        &self,
        options: &TokenRequestOptions,
    ) -> Result<String, CredentialError> {
        Ok(entra::resolve_tenant(
            self.credential,
            Some(&self.tenant_id),
            options.tenant_id(),
            &self.allowed_tenants,
            &self.context.env,
        )?
        .unwrap_or_else(|| self.tenant_id.clone()))
    }

    /// `{authority}/{tenant}/oauth2/v2.0/{leaf}`: `token`, `devicecode` or
    /// `authorize`.
    pub(crate) fn endpoint(&self, tenant: &str, leaf: &str) -> Url {
        let mut url = entra::token_endpoint(&self.authority, tenant);
        if leaf != "token" {
            let path = url.path().trim_end_matches("token").to_owned() + leaf;
            url.set_path(&path);
        }
        url
    }

    /// The authority's host (and port, if any), as authentication records
    /// name it.
    pub(crate) fn authority_name(&self) -> String {
        let host = self.authority.host_str().unwrap_or_default();
        match self.authority.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// POSTs a form with retries (408, 429, 5xx, connection failures).
    pub(crate) async fn post_form(
        &self,
        url: Url,
        fields: &[(&str, &str)],
    ) -> Result<HttpResponse, CredentialError> {
        let request = HttpRequest::new(Method::POST, url)
            .with_header("accept", "application/json")
            .with_form(fields.iter().copied())
            .with_timeout(self.request_timeout);
        let clock = &self.context.clock;
        send_with_retry(&*self.context.http, &request, &self.retry_policy, || {
            clock.now()
        })
        .await
        .map_err(|e| e.into_credential_error(self.credential))
    }

    /// POSTs a grant to the tenant's token endpoint and parses the answer.
    pub(crate) async fn grant(
        &self,
        tenant: &str,
        fields: &[(&str, &str)],
    ) -> Result<GrantResponse, CredentialError> {
        let requested_at = self.context.clock.now();
        let response = self
            .post_form(self.endpoint(tenant, "token"), fields)
            .await?;
        let result = response.tag_error(parse_grant_response(
            self.credential,
            response.status.as_u16(),
            &response.body,
            requested_at,
        ));
        match &result {
            Ok(_) => tracing::debug!(
                credential = self.credential,
                "token endpoint issued a token"
            ),
            Err(error) => {
                tracing::debug!(credential = self.credential, error = %error, "token request failed");
            }
        }
        result
    }
}

pub(crate) use credential_core::__private::entra::check_scopes;

/// The OAuth `error` of an authentication error, if any.
pub(crate) fn oauth_error(error: &CredentialError) -> Option<&str> {
    match error {
        CredentialError::Authentication { oauth_error, .. } => oauth_error.as_deref(),
        _ => None,
    }
}

/// An authentication error with our own description, keeping the endpoint's
/// OAuth error and code.
pub(crate) fn restate(error: CredentialError, description: &str) -> CredentialError {
    match error {
        CredentialError::Authentication {
            credential,
            status,
            oauth_error,
            error_code,
            diagnostics,
            ..
        } => CredentialError::refused(credential, status, description)
            .with_codes(oauth_error, error_code)
            .with_diagnostics(diagnostics),
        other => other,
    }
}
