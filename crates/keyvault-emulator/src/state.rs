//! The state shared by every request handler.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credential_core::{Clock, Secret, SharedClock};
use time::OffsetDateTime;

use crate::access::AccessRules;
use crate::auth::TokenAuthority;
use crate::faults::FaultSwitch;
use crate::store::Store;
use crate::vaults::VaultNames;

/// The furthest the clock may run ahead: 1,000 years (dates stay valid).
const MAX_OFFSET_SECONDS: i64 = 1_000 * 366 * 86_400;

/// The system clock moved forward by an offset the admin endpoint sets.
#[derive(Debug)]
pub(crate) struct OffsetClock {
    inner: SharedClock,
    offset_seconds: AtomicI64,
}

impl OffsetClock {
    pub(crate) fn new(inner: SharedClock, offset_seconds: i64) -> Self {
        Self {
            inner,
            offset_seconds: AtomicI64::new(offset_seconds.clamp(0, MAX_OFFSET_SECONDS)),
        }
    }
    /// Moves the clock forward by `seconds` (never backward) and returns
    /// the total offset.
    pub(crate) fn advance(&self, seconds: i64) -> i64 {
        let seconds = seconds.max(0);
        let step = |offset: i64| Some(offset.saturating_add(seconds).min(MAX_OFFSET_SECONDS));
        let before = self
            .offset_seconds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, step)
            .unwrap_or_else(|offset| offset);
        step(before).unwrap_or(before)
    }
    /// How far ahead of the system clock this clock runs, in seconds.
    pub(crate) fn offset_seconds(&self) -> i64 {
        self.offset_seconds.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        let offset = time::Duration::seconds(self.offset_seconds());
        self.inner.now().saturating_add(offset)
    }
}

/// Everything a handler needs. `Debug` shows neither secrets nor the vault's contents.
pub(crate) struct AppState {
    /// `scheme://host:port`, no trailing slash.
    pub origin: String,
    pub tenant_id: String,
    /// The `resource` of the 401 challenge.
    pub challenge_resource: String,
    /// Accepted client ids and their secrets.
    pub clients: Vec<(String, Secret)>,
    /// Client ids accepted with an assertion (all of `clients` too).
    pub assertion_clients: Vec<String>,
    pub managed_identity_client_id: String,
    pub tokens: TokenAuthority,
    /// Every vault's secrets, keyed by vault name (`""` is the default vault).
    pub stores: Mutex<BTreeMap<String, Store>>,
    /// Which host names select which vault.
    pub vault_names: VaultNames,
    /// Which operations each client may perform.
    pub access: AccessRules,
    pub data_dir: Option<PathBuf>,
    pub operation_delay: Mutex<Duration>,
    pub faults: FaultSwitch,
    pub clock: SharedClock,
    /// The vault's clock (dates of secrets, purges), which the admin
    /// endpoint moves forward; tokens keep `clock`.
    pub offset_clock: Arc<OffsetClock>,
    /// User sign-in: the test user, device codes, authorization codes,
    /// refresh tokens.
    pub interactive: crate::interactive::InteractiveState,
}

impl AppState {
    /// Unix seconds now, on the real clock (tokens).
    pub(crate) fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Unix seconds now on the vault's clock: the real one moved forward by
    /// the admin endpoint (secret dates and purges).
    pub(crate) fn vault_now(&self) -> i64 {
        self.offset_clock.now().unix_timestamp()
    }

    /// `https://login.microsoftonline.com`-like authority host: our origin.
    pub(crate) fn authority(&self) -> String {
        format!("{}/{}", self.origin, self.tenant_id)
    }

    pub(crate) fn operation_delay(&self) -> Duration {
        *self
            .operation_delay
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The 401 challenge header value naming `resource`.
    pub(crate) fn challenge_for(&self, resource: &str) -> String {
        format!(
            "Bearer authorization=\"{}\", resource=\"{resource}\"",
            self.authority(),
        )
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("origin", &self.origin)
            .field("tenant_id", &self.tenant_id)
            .field("challenge_resource", &self.challenge_resource)
            .field(
                "client_ids",
                &self.clients.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("assertion_clients", &self.assertion_clients)
            .field(
                "managed_identity_client_id",
                &self.managed_identity_client_id,
            )
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_only_grows_and_stays_bounded() {
        let clock = OffsetClock::new(Arc::new(credential_core::SystemClock), 10);
        assert_eq!(clock.advance(5), 15);
        assert_eq!(clock.advance(-100), 15);
        assert_eq!(clock.advance(i64::MAX), MAX_OFFSET_SECONDS);
        assert_eq!(clock.advance(1), MAX_OFFSET_SECONDS);
        assert!(clock.now().year() > 2900);
    }
}
