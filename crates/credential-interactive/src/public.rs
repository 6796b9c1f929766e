//! [`PublicClient`]: what the user sign-in credentials share: the token
//! cache, the signed-in accounts, silent refresh with the refresh token,
//! and when to prompt.

use std::fmt;
use std::future::Future;

use credential_core::__private::entra::{DEVELOPER_SIGN_ON_CLIENT_ID, merge_claims};
use credential_core::{AccessToken, CredentialError, Secret, TokenCache, TokenRequestOptions};

use crate::AuthenticationRecord;
use crate::client::{TokenClient, check_scopes, oauth_error, restate};
use crate::grant::GrantResponse;
use crate::options::{CommonOptions, DEFAULT_TENANT, SignIn};
use crate::persist::PersistedAccounts;
use crate::store::{AccountStore, StoredAccount};

/// The scopes every user sign-in adds, so that an `id_token` (the account)
/// and a refresh token (silent refresh) come back.
pub const OIDC_SCOPES: [&str; 3] = ["offline_access", "openid", "profile"];

/// OAuth errors that mean the saved sign-in cannot be used silently.
const INTERACTION_ERRORS: [&str; 4] = [
    "invalid_grant",
    "interaction_required",
    "login_required",
    "consent_required",
];

/// A user sign-in client.
pub(crate) struct PublicClient {
    pub(crate) client: TokenClient,
    client_secret: Option<Secret>,
    /// Whether `get_token` may run the interactive flow by itself.
    automatic: bool,
    /// What to tell the user when interaction is needed but not allowed.
    sign_in_hint: &'static str,
    /// The record this credential was given, if any (a login hint).
    pub(crate) record: Option<AuthenticationRecord>,
    cache: TokenCache,
    store: AccountStore,
    /// The persistent token cache's copy of `store`, when one was given.
    persisted: Option<PersistedAccounts>,
    /// One prompt (or silent refresh) at a time, so that concurrent first
    /// calls for different scopes sign in once.
    prompt_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for PublicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicClient")
            .field("client", &self.client)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("automatic", &self.automatic)
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl PublicClient {
    /// The client of a user sign-in credential: tenant `organizations` (or
    /// the record's) and the developer sign-on client id unless `common`
    /// names others.
    pub(crate) fn for_sign_in(
        credential: &'static str,
        common: &CommonOptions,
        sign_in: SignIn,
        sign_in_hint: &'static str,
    ) -> Result<Self, CredentialError> {
        let tenant = sign_in.tenant_id.as_deref().unwrap_or_else(|| {
            sign_in
                .record
                .as_ref()
                .map_or(DEFAULT_TENANT, |r| r.tenant_id.as_str())
        });
        let client_id = sign_in
            .client_id
            .as_deref()
            .unwrap_or(DEVELOPER_SIGN_ON_CLIENT_ID);
        let client = TokenClient::new(credential, common, tenant, client_id)?;
        let persisted = Self::persisted(common, &client, sign_in.tenant_id.as_deref());
        Self::new(
            client,
            None,
            sign_in.record,
            !sign_in.no_automatic_prompt,
            sign_in_hint,
        )
        .map(|c| c.with_persisted(persisted))
    }

    /// The persistent entries of `client`, if `common` names a persistent
    /// cache; `configured_tenant` is the tenant as the builder was given it
    /// (a default tenant, or one taken from a record, is keyed as empty so
    /// that a credential given the record finds the entries).
    pub(crate) fn persisted(
        common: &CommonOptions,
        client: &TokenClient,
        configured_tenant: Option<&str>,
    ) -> Option<PersistedAccounts> {
        common.persistent_cache.clone().map(|cache| {
            PersistedAccounts::new(
                cache,
                client.credential,
                client.authority_name(),
                configured_tenant.unwrap_or_default().to_owned(),
                client.client_id.clone(),
            )
        })
    }

    /// Keeps refresh tokens and records in `persisted` as well.
    pub(crate) fn with_persisted(mut self, persisted: Option<PersistedAccounts>) -> Self {
        self.persisted = persisted;
        self
    }

    /// A client; a `record` must name the same application.
    pub(crate) fn new(
        client: TokenClient,
        client_secret: Option<Secret>,
        record: Option<AuthenticationRecord>,
        automatic: bool,
        sign_in_hint: &'static str,
    ) -> Result<Self, CredentialError> {
        let store = AccountStore::default();
        if let Some(record) = &record {
            if !record.client_id.eq_ignore_ascii_case(&client.client_id) {
                return Err(CredentialError::invalid_configuration(
                    client.credential,
                    format!(
                        "the authentication record was made by client id '{}' but this credential \
                         uses '{}'; pass the same client id with with_client_id",
                        record.client_id, client.client_id
                    ),
                ));
            }
            store.select(&record.home_account_id);
        }
        Ok(Self {
            cache: TokenCache::new(client.context.clock.clone())
                .with_background_refresh(client.background_refresh),
            client,
            client_secret,
            automatic,
            sign_in_hint,
            record,
            store,
            persisted: None,
            prompt_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The user name to suggest at sign-in: the record's, or the account
    /// signed in before.
    pub(crate) fn login_hint(&self) -> Option<String> {
        self.store
            .current()
            .map(|a| a.record.username)
            .or_else(|| self.record.as_ref().map(|r| r.username.clone()))
            .filter(|u| !u.is_empty())
    }

    /// `scopes` plus `offline_access openid profile`, space-separated, each once.
    pub(crate) fn scope_string(scopes: &[&str]) -> String {
        let mut all: Vec<&str> = Vec::with_capacity(scopes.len() + OIDC_SCOPES.len());
        for scope in scopes.iter().copied().chain(OIDC_SCOPES) {
            if !all.contains(&scope) {
                all.push(scope);
            }
        }
        all.join(" ")
    }

    /// Sends a grant with `client_id`, `client_info=1` and, for a
    /// confidential client, `client_secret` added.
    pub(crate) async fn redeem(
        &self,
        tenant: &str,
        fields: &[(&str, &str)],
    ) -> Result<GrantResponse, CredentialError> {
        let mut all: Vec<(&str, &str)> = vec![("client_id", &self.client.client_id)];
        all.extend_from_slice(fields);
        all.push(("client_info", "1"));
        if let Some(secret) = &self.client_secret {
            all.push(("client_secret", secret.expose_secret()));
        }
        self.client.grant(tenant, &all).await
    }

    /// A token: from the cache, else silently with the refresh token, else
    /// (when allowed) from `prompt(tenant, scope)`.
    pub(crate) async fn get_token<F, Fut>(
        &self,
        scopes: &[&str],
        options: &TokenRequestOptions,
        prompt: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = Result<GrantResponse, CredentialError>>,
    {
        check_scopes(self.client.credential, scopes)?;
        self.cache
            .get_or_fetch_inline(scopes, options, || async {
                let tenant = self.client.tenant_for(options)?;
                let scope = Self::scope_string(scopes);
                let _prompting = self.prompt_lock.lock().await;
                let claims = merge_claims(options.claims(), options.enable_cae);
                if let Some(token) = self.silent(&tenant, &scope, claims.as_deref()).await? {
                    return Ok(token);
                }
                if !self.automatic {
                    return Err(CredentialError::unavailable(
                        self.client.credential,
                        format!("interactive sign-in is required; {}", self.sign_in_hint),
                    ));
                }
                let grant = prompt(tenant, scope).await?;
                Ok(self.accept(grant).await)
            })
            .await
    }

    /// The refresh-token grant, if an account with a refresh token is
    /// signed in. `Ok(None)`: no refresh token, or it was refused and a
    /// prompt is allowed.
    async fn silent(
        &self,
        tenant: &str,
        scope: &str,
        claims: Option<&str>,
    ) -> Result<Option<AccessToken>, CredentialError> {
        let Some(account) = self.account().await else {
            return Ok(None);
        };
        let Some(refresh_token) = account.refresh_token else {
            return Ok(None);
        };
        let mut fields = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("scope", scope),
        ];
        if let Some(claims) = claims {
            fields.push(("claims", claims));
        }
        match self.redeem(tenant, &fields).await {
            Ok(grant) => Ok(Some(self.accept(grant).await)),
            Err(error) if oauth_error(&error).is_some_and(|e| INTERACTION_ERRORS.contains(&e)) => {
                tracing::info!(
                    credential = self.client.credential,
                    "the refresh token was refused; interactive sign-in is needed"
                );
                self.store
                    .forget_refresh_token(&account.record.home_account_id);
                if let Some(persisted) = &self.persisted {
                    persisted
                        .forget_refresh_token(&account.record.home_account_id)
                        .await;
                }
                if self.automatic {
                    Ok(None)
                } else {
                    Err(restate(
                        error,
                        &format!(
                            "the saved sign-in is no longer accepted (its refresh token was refused); \
                             sign in again: {}",
                            self.sign_in_hint
                        ),
                    ))
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Runs `prompt` for `scopes` in the credential's own tenant, caches its
    /// token (for `get_token` with default options) and returns the account
    /// that signed in.
    pub(crate) async fn authenticate<F, Fut>(
        &self,
        scopes: &[&str],
        prompt: F,
    ) -> Result<AuthenticationRecord, CredentialError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = Result<GrantResponse, CredentialError>>,
    {
        if scopes.iter().any(|s| s.trim().is_empty()) {
            return Err(CredentialError::invalid_configuration(
                self.client.credential,
                "authenticate was given a blank scope",
            ));
        }
        let _prompting = self.prompt_lock.lock().await;
        let grant = prompt(self.client.tenant_id.clone(), Self::scope_string(scopes)).await?;
        let token = self.accept(grant).await;
        if !scopes.is_empty() {
            // Seeds the cache, so that get_token for these scopes needs no request.
            let _ = self
                .cache
                .get_or_fetch(scopes, &TokenRequestOptions::default(), || async {
                    Ok(token)
                })
                .await;
        }
        self.store.current().map(|a| a.record).ok_or_else(|| {
            CredentialError::unexpected_response(
                self.client.credential,
                None,
                "the token answer named no account (no id_token or client_info)",
            )
        })
    }

    /// The account in use. With a persistent cache, its stored entries
    /// (written by this or another process, so the latest rotated refresh
    /// token) are loaded first; without an account in use, the account
    /// signed in last.
    async fn account(&self) -> Option<StoredAccount> {
        if let Some(persisted) = &self.persisted
            && let Some((record, refresh_token)) =
                persisted.load(self.store.current_id().as_deref()).await
        {
            self.store.save(record, refresh_token);
        }
        self.store.current()
    }

    /// Saves the account and refresh token of a grant (in the persistent
    /// cache too, if any); returns its token.
    async fn accept(&self, grant: GrantResponse) -> AccessToken {
        let refresh_token = grant.refresh_token.clone();
        let token = self.remember(grant);
        if let Some(persisted) = &self.persisted
            && let Some(account) = self.store.current()
        {
            persisted
                .save(&account.record, refresh_token.as_ref())
                .await;
        }
        token
    }

    /// Saves the account and refresh token of a grant in memory; returns its token.
    fn remember(&self, grant: GrantResponse) -> AccessToken {
        match grant.account {
            Some(account) => self.store.save(
                AuthenticationRecord {
                    authority: self.client.authority_name(),
                    home_account_id: account.home_account_id,
                    client_id: self.client.client_id.clone(),
                    tenant_id: account.tenant_id,
                    username: account.username,
                    version: "1.0".to_owned(),
                },
                grant.refresh_token,
            ),
            None => {
                let record = self.store.current().map(|a| a.record).unwrap_or_else(|| {
                    AuthenticationRecord {
                        authority: self.client.authority_name(),
                        home_account_id: "unknown-account".to_owned(),
                        client_id: self.client.client_id.clone(),
                        tenant_id: self.client.tenant_id.clone(),
                        username: String::new(),
                        version: "1.0".to_owned(),
                    }
                });
                self.store.save(record, grant.refresh_token);
            }
        }
        grant.token
    }
}

/// Gives a user sign-in credential (a type with a `public: PublicClient`
/// field and an `async fn sign_in(&self, tenant, scope)` that prompts)
/// `authenticate` and its `TokenCredential` impl.
macro_rules! sign_in_credential {
    ($credential:ident) => {
        impl $credential {
            /// Signs in now, always prompting, for `scopes` (may be empty:
            /// the sign-in alone) and returns the account, which can be saved
            /// (as JSON) and given to a later credential with
            /// `with_authentication_record`. The token for `scopes` is cached.
            ///
            /// # Errors
            /// The sign-in's errors, as `get_token`'s: [`CredentialError::Authentication`]
            /// when Microsoft Entra ID refuses or the user cancels,
            /// [`CredentialError::Transport`] when it cannot be reached,
            /// [`CredentialError::Unavailable`] when no browser can be opened (browser
            /// sign-in).
            pub async fn authenticate(
                &self,
                scopes: &[&str],
            ) -> Result<$crate::AuthenticationRecord, credential_core::CredentialError> {
                self.public
                    .authenticate(scopes, |tenant, scope| self.sign_in(tenant, scope))
                    .await
            }
        }

        #[credential_core::async_trait]
        impl credential_core::TokenCredential for $credential {
            async fn get_token(
                &self,
                scopes: &[&str],
                options: &credential_core::TokenRequestOptions,
            ) -> Result<credential_core::AccessToken, credential_core::CredentialError> {
                self.public
                    .get_token(scopes, options, |tenant, scope| self.sign_in(tenant, scope))
                    .await
            }
        }
    };
}

pub(crate) use sign_in_credential;
