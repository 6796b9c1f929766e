//! The plumbing every credential in this crate shares: the tenant, client id
//! and authority; the multi-tenant rules; the token request; the cache.

use std::fmt;
use std::future::Future;

use credential_core::__private::cache_store::{CachePartition, SecondLevel};
use credential_core::__private::entra::{
    self, AllowedTenants, ClientAuthentication, ClientCredentialsRequest, check_scopes,
};
use credential_core::HttpRequest;
use credential_core::RetryPolicy;
use credential_core::{
    AccessToken, CredentialError, ProviderContext, Secret, TokenCache, TokenRequestOptions,
};
use url::Url;

use crate::options::CommonOptions;

/// A confidential client of Entra ID: everything but how it proves itself.
/// A clone shares the token cache.
#[derive(Clone)]
pub(crate) struct ServicePrincipal {
    pub(crate) credential: &'static str,
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) authority: Url,
    pub(crate) allowed_tenants: AllowedTenants,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) request_timeout: std::time::Duration,
    pub(crate) context: ProviderContext,
    cache: TokenCache,
}

impl fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("credential", &self.credential)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority.as_str())
            .field("allowed_tenants", &self.allowed_tenants)
            .finish_non_exhaustive()
    }
}

impl ServicePrincipal {
    /// [`ServicePrincipal::new`] with the builder's context (or the real
    /// system): what every builder's `build` starts with.
    pub(crate) fn from_options(
        credential: &'static str,
        tenant_id: &str,
        client_id: &str,
        common: &CommonOptions,
    ) -> Result<Self, CredentialError> {
        let context = common.context();
        Self::new(credential, tenant_id, client_id, common, context)
    }

    /// Starts a credential's `Debug` output named `name` with the fields
    /// every credential shows: tenant id, client id and authority.
    pub(crate) fn debug_struct<'a, 'b: 'a>(
        &self,
        f: &'a mut fmt::Formatter<'b>,
        name: &str,
    ) -> fmt::DebugStruct<'a, 'b> {
        let mut debug = f.debug_struct(name);
        debug
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority.as_str());
        debug
    }

    /// Checks the ids and resolves the authority host (pure).
    pub(crate) fn new(
        credential: &'static str,
        tenant_id: &str,
        client_id: &str,
        common: &CommonOptions,
        context: ProviderContext,
    ) -> Result<Self, CredentialError> {
        let resolved = common.resolve(credential, tenant_id, client_id, &context.env)?;
        let resolved_authority = resolved.authority.to_string();
        let resolved_tenant = resolved.tenant_id.clone();
        let resolved_client = resolved.client_id.clone();
        Ok(Self {
            credential,
            tenant_id: resolved.tenant_id,
            client_id: resolved.client_id,
            authority: resolved.authority,
            allowed_tenants: resolved.allowed_tenants,
            retry_policy: resolved.retry_policy,
            request_timeout: resolved.request_timeout,
            cache: TokenCache::new(context.clock.clone())
                .with_background_refresh(resolved.background_refresh)
                .with_second_level(common.persistent_cache.clone().map(|cache| {
                    SecondLevel::new(
                        cache,
                        CachePartition {
                            authority: resolved_authority.clone(),
                            tenant: resolved_tenant.clone(),
                            client_id: resolved_client.clone(),
                            ..CachePartition::new(credential)
                        },
                    )
                })),
            context,
        })
    }

    /// The token endpoint for this request's tenant, after the multi-tenant
    /// rules (pure).
    pub(crate) fn endpoint_for(
        &self,
        options: &TokenRequestOptions,
    ) -> Result<Url, CredentialError> {
        let tenant = entra::resolve_tenant(
            self.credential,
            Some(&self.tenant_id),
            options.tenant_id(),
            &self.allowed_tenants,
            &self.context.env,
        )?
        .unwrap_or_else(|| self.tenant_id.clone());
        Ok(entra::token_endpoint(&self.authority, &tenant))
    }

    /// Gets a token through the cache. `authenticate` is called only on a
    /// cache miss, with the token endpoint, and returns the client's proof
    /// as a future that owns what it needs (a refresh ahead of expiry runs
    /// in the background).
    pub(crate) async fn get_token<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        authenticate: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce(Url) -> Fut,
        Fut: Future<Output = Result<ClientAuthentication, CredentialError>> + Send + 'static,
    {
        check_scopes(self.credential, scopes)?;
        // The tenant and endpoint are worked out only on a cache miss, so a
        // cached token costs no allocation. A tenant that is not allowed is
        // never cached, so it always reaches `endpoint_for` and its error.
        self.cache
            .get_or_fetch(scopes, options, || {
                let this = self.clone();
                let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
                let options = options.clone();
                let prepared = self
                    .endpoint_for(&options)
                    .map(|endpoint| (authenticate(endpoint.clone()), endpoint));
                async move {
                    let (authentication, endpoint) = prepared?;
                    let authentication = authentication.await?;
                    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                    let request = build_request(
                        endpoint,
                        &this.client_id,
                        &scopes,
                        &options,
                        &authentication,
                    )
                    .with_timeout(this.request_timeout);
                    entra::send_token_request(
                        this.credential,
                        &*this.context.http,
                        &request,
                        &this.retry_policy,
                        &*this.context.clock,
                    )
                    .await
                }
            })
            .await
    }
}

impl ServicePrincipal {
    /// [`ServicePrincipal::get_token`] for a client that proves itself with
    /// an assertion: `assertion` is called only on a cache miss.
    pub(crate) async fn get_token_with_assertion<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        assertion: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Secret, CredentialError>> + Send + 'static,
    {
        self.get_token(scopes, options, |_endpoint| {
            let assertion = assertion();
            async move { Ok(ClientAuthentication::Assertion(assertion.await?)) }
        })
        .await
    }
}

/// The client-credentials request (pure); the caller sets its timeout.
pub(crate) fn build_request(
    endpoint: Url,
    client_id: &str,
    scopes: &[&str],
    options: &TokenRequestOptions,
    authentication: &ClientAuthentication,
) -> HttpRequest {
    ClientCredentialsRequest {
        endpoint,
        client_id,
        scopes,
        claims: options.claims(),
        enable_cae: options.enable_cae,
        authentication,
    }
    .to_http_request()
}
