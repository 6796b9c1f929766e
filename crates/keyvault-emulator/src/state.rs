//! The state shared by every request handler.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use credential_core::{Secret, SharedClock};

use crate::auth::TokenAuthority;
use crate::faults::FaultSwitch;
use crate::store::Store;

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
    pub store: Mutex<Store>,
    pub data_dir: Option<PathBuf>,
    pub operation_delay: Mutex<Duration>,
    pub faults: FaultSwitch,
    pub clock: SharedClock,
    /// User sign-in: the test user, device codes, authorization codes,
    /// refresh tokens.
    pub interactive: crate::interactive::InteractiveState,
}

impl AppState {
    /// Unix seconds now.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
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

    /// The 401 challenge header value.
    pub(crate) fn challenge(&self) -> String {
        format!(
            "Bearer authorization=\"{}\", resource=\"{}\"",
            self.authority(),
            self.challenge_resource
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
