//! [`AccountStore`]: the accounts a credential signed in and their refresh
//! tokens, in memory. One small type so that a persistent cache can later
//! save and load exactly this.

use std::sync::Mutex;

use credential_core::Secret;

use crate::AuthenticationRecord;

/// One signed-in account.
#[derive(Debug, Clone)]
pub(crate) struct StoredAccount {
    pub(crate) record: AuthenticationRecord,
    /// The latest refresh token (Entra may rotate it on every use).
    pub(crate) refresh_token: Option<Secret>,
}

/// The accounts of one credential, and which of them is in use.
#[derive(Debug, Default)]
pub(crate) struct AccountStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    accounts: Vec<StoredAccount>,
    current: Option<String>,
}

impl AccountStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account in use, if it has been signed in.
    pub(crate) fn current(&self) -> Option<StoredAccount> {
        let inner = self.lock();
        let id = inner.current.as_deref()?;
        inner
            .accounts
            .iter()
            .find(|a| a.record.home_account_id == id)
            .cloned()
    }

    /// The home account id of the account in use, signed in or not.
    pub(crate) fn current_id(&self) -> Option<String> {
        self.lock().current.clone()
    }

    /// Makes `home_account_id` the account in use (it may not be signed in yet).
    pub(crate) fn select(&self, home_account_id: &str) {
        self.lock().current = Some(home_account_id.to_owned());
    }

    /// Saves a sign-in (or a silent refresh) and makes it the account in use.
    /// A missing refresh token keeps the one already saved.
    pub(crate) fn save(&self, record: AuthenticationRecord, refresh_token: Option<Secret>) {
        let mut inner = self.lock();
        inner.current = Some(record.home_account_id.clone());
        match inner
            .accounts
            .iter_mut()
            .find(|a| a.record.home_account_id == record.home_account_id)
        {
            Some(account) => {
                account.record = record;
                if refresh_token.is_some() {
                    account.refresh_token = refresh_token;
                }
            }
            None => inner.accounts.push(StoredAccount {
                record,
                refresh_token,
            }),
        }
    }

    /// Forgets an account's refresh token (it was refused).
    pub(crate) fn forget_refresh_token(&self, home_account_id: &str) {
        if let Some(account) = self
            .lock()
            .accounts
            .iter_mut()
            .find(|a| a.record.home_account_id == home_account_id)
        {
            account.refresh_token = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> AuthenticationRecord {
        AuthenticationRecord {
            authority: "login.microsoftonline.com".into(),
            home_account_id: id.into(),
            client_id: "c".into(),
            tenant_id: "t".into(),
            username: format!("{id}@contoso.com"),
            version: "1.0".into(),
        }
    }

    #[test]
    fn save_rotates_and_keeps_refresh_tokens() {
        let store = AccountStore::default();
        assert!(store.current().is_none());
        store.save(record("a"), Some(Secret::new("rt1")));
        store.save(record("a"), None);
        let current = store.current().unwrap();
        assert_eq!(current.refresh_token, Some(Secret::new("rt1")));
        store.save(record("a"), Some(Secret::new("rt2")));
        assert_eq!(
            store.current().unwrap().refresh_token,
            Some(Secret::new("rt2"))
        );
        store.forget_refresh_token("a");
        assert!(store.current().unwrap().refresh_token.is_none());
    }

    #[test]
    fn selecting_an_unknown_account_has_no_current_account() {
        let store = AccountStore::default();
        store.save(record("a"), Some(Secret::new("rt")));
        store.select("b");
        assert!(store.current().is_none());
        store.select("a");
        assert_eq!(store.current().unwrap().record.username, "a@contoso.com");
    }
}
