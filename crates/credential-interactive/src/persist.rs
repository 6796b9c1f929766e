//! [`PersistedAccounts`]: a user sign-in credential's refresh token and
//! [`AuthenticationRecord`] in a persistent token cache, so that a later
//! credential (another process) signs in silently.
//!
//! Entries are keyed by a [`CachePartition`] naming the credential, the
//! authority, the tenant as the builder named it (empty for the default),
//! the client id and the account's home id. One more record entry, with an
//! empty account, names the account signed in last: a credential given no
//! `AuthenticationRecord` uses it. Only refresh tokens and records are
//! written: never a client secret, certificate or assertion. A store error
//! is logged and never fails a request.

use credential_core::__private::cache_store::{CachePartition, EntryKind};
use credential_core::PersistentTokenCache;
use credential_core::Secret;

use crate::AuthenticationRecord;

/// The persistent entries of one credential.
#[derive(Debug, Clone)]
pub(crate) struct PersistedAccounts {
    cache: PersistentTokenCache,
    /// Every part but the account.
    partition: CachePartition,
}

impl PersistedAccounts {
    /// The entries of `credential` at `authority` for `tenant` (as configured,
    /// empty for the default) and `client_id`, in `cache`.
    pub(crate) fn new(
        cache: PersistentTokenCache,
        credential: &'static str,
        authority: String,
        tenant: String,
        client_id: String,
    ) -> Self {
        Self {
            cache,
            partition: CachePartition {
                authority,
                tenant,
                client_id: client_id.to_ascii_lowercase(),
                ..CachePartition::new(credential)
            },
        }
    }

    fn key(&self, kind: EntryKind, home_account_id: &str) -> String {
        CachePartition {
            user: home_account_id.to_owned(),
            ..self.partition.clone()
        }
        .key(kind, None, false, &[])
    }

    /// The account `home_account_id` (or, when `None`, the account signed in
    /// last) and its refresh token, if stored.
    pub(crate) async fn load(
        &self,
        home_account_id: Option<&str>,
    ) -> Option<(AuthenticationRecord, Option<Secret>)> {
        let store = self.cache.store();
        let record_key = self.key(
            EntryKind::AuthenticationRecord,
            home_account_id.unwrap_or(""),
        );
        let record = match store.load(&record_key).await {
            Ok(entry) => entry.and_then(|e| AuthenticationRecord::from_json(e.expose_secret()).ok()),
            Err(error) => {
                tracing::warn!(cache = self.cache.name(), %error, "could not read the persistent token cache");
                return None;
            }
        }
        .filter(|r| r.client_id.eq_ignore_ascii_case(&self.partition.client_id))?;
        let rt_key = self.key(EntryKind::RefreshToken, &record.home_account_id);
        let refresh_token = match store.load(&rt_key).await {
            Ok(entry) => entry.filter(|t| !t.is_blank()),
            Err(error) => {
                tracing::warn!(cache = self.cache.name(), %error, "could not read the persistent token cache");
                None
            }
        };
        tracing::debug!(
            cache = self.cache.name(),
            refresh_token = refresh_token.is_some(),
            "account found in the persistent token cache"
        );
        Some((record, refresh_token))
    }

    /// Saves `record` (as the account signed in last, too) and, if given,
    /// its refresh token.
    pub(crate) async fn save(&self, record: &AuthenticationRecord, refresh_token: Option<&Secret>) {
        let store = self.cache.store();
        let json = record.to_json();
        let mut writes = vec![
            (
                self.key(EntryKind::AuthenticationRecord, &record.home_account_id),
                Secret::new(json.clone()),
            ),
            (
                self.key(EntryKind::AuthenticationRecord, ""),
                Secret::new(json),
            ),
        ];
        if let Some(token) = refresh_token {
            writes.push((
                self.key(EntryKind::RefreshToken, &record.home_account_id),
                token.clone(),
            ));
        }
        for (key, entry) in writes {
            if let Err(error) = store.store(&key, entry).await {
                tracing::warn!(cache = self.cache.name(), %error, "could not write the persistent token cache");
                return;
            }
        }
    }

    /// Removes the refresh token of `home_account_id` (it was refused).
    pub(crate) async fn forget_refresh_token(&self, home_account_id: &str) {
        let key = self.key(EntryKind::RefreshToken, home_account_id);
        if let Err(error) = self.cache.store().remove(&key).await {
            tracing::warn!(cache = self.cache.name(), %error, "could not write the persistent token cache");
        }
    }
}
