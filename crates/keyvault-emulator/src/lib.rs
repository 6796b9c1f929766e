//! A local Azure Key Vault (secrets) emulator with its own token issuer,
//! for tests and for running the samples without an Azure subscription.
//!
//! One process serves, on one loopback origin:
//! - the Key Vault secrets REST API (`/secrets`, `/deletedsecrets`; api
//!   versions 7.0-7.6, 2025-07-01, 2026-04-01 and the SDKs' preview forms,
//!   each with its response shape), in one default vault and any number of
//!   named vaults selected by host name, with soft delete
//!   (`Recoverable+Purgeable`, 90 recoverable days), versions, paging with
//!   `maxresults` and absolute `nextLink`s, backup/restore and the
//!   service's error bodies;
//! - challenge authentication: a request without a valid bearer token gets
//!   `401` with `WWW-Authenticate: Bearer authorization="<origin>/<tenant>",
//!   resource="<vault origin>"`;
//! - an Entra-style token endpoint `POST /{tenant}/oauth2/v2.0/token`
//!   (client secret or client assertion), an IMDS-style
//!   `GET /metadata/identity/oauth2/token`, and the OpenID configuration;
//! - user sign-in for a test user ([`TestUser`], [`InteractiveOptions`]):
//!   `POST /{tenant}/oauth2/v2.0/devicecode` with its polling states
//!   (approved after N polls, or by a test through
//!   [`RunningEmulator::approve_device_code`] or `POST
//!   /admin/devicecode/approve`), `GET /{tenant}/oauth2/v2.0/authorize`
//!   (PKCE checked at redemption, `302` to the redirect URI), the
//!   `authorization_code`, `refresh_token` (rotating: each works once;
//!   revocable with `POST /admin/refresh-tokens/revoke`) and on-behalf-of
//!   grants. User tokens carry `oid`, `preferred_username` and `name`.
//!   [`SimulatedBrowser`] plays the browser for tests and samples.
//!
//! ```no_run
//! # async fn f() -> Result<(), keyvault_emulator::EmulatorError> {
//! use keyvault_emulator::{Emulator, Faults};
//! let emulator = Emulator::builder().start().await?;
//! let env = emulator.env_vars(); // AZURE_KEYVAULT_URL, AZURE_AUTHORITY_HOST, ...
//! emulator.set_faults(Faults::none().throttle(1, None));
//! emulator.shutdown().await;
//! # let _ = env; Ok(()) }
//! ```
//!
//! - admin endpoints to move the emulator's clock forward and to inject
//!   faults over HTTP (`/admin/clock`, `/admin/faults`).
//!
//! `docs/emulator.md` in the repository shows every flag and how to point
//! each official SDK at the emulator.
//!
//! # Where the emulator differs on purpose from the real service
//! - **Tokens** are HS256 JWTs signed with a key made at start (kept in the
//!   data directory when there is one); the JWKS document is empty. Their
//!   audience may be the vault's origin, the configured challenge resource
//!   or `https://vault.azure.net`. Client assertions are accepted for any
//!   configured client without checking their signature (there are no
//!   registered certificates); their shape, `iss`/`sub` and `exp` are checked.
//! - **Default credentials are well known** ([`DEFAULT_CLIENT_ID`],
//!   [`DEFAULT_CLIENT_SECRET`]), like Azurite's account key: the emulator
//!   listens on 127.0.0.1 unless told otherwise and is not a security
//!   boundary.
//! - **Backups** are the emulator's own format (base64url of a JSON
//!   payload), not encrypted; they restore only into an emulator.
//! - **Deletes and recovers** become visible after a short, configurable
//!   delay (200 ms by default) so pollers see `404` first; after a restart
//!   every pending transition is complete. Purge is allowed at any time
//!   once the delete is visible (no purge protection).
//! - `outContentType` conversions (PFX to PEM) are not performed.
//! - **Faults** ([`Faults`]) apply only to Key Vault paths, never to the
//!   token endpoints.
//! - Certificates, keys and RBAC/access policies are not emulated: any
//!   valid token may do everything, unless [`EmulatorBuilder::allow`]
//!   limits its client to some operations.
//!
//! # Runtime and threads
//! Embedded, the emulator runs on the caller's `tokio` 1.x runtime, which
//! needs its I/O and time drivers (`#[tokio::main]`, `#[tokio::test]`, or
//! `Builder::enable_all()`): `start()` binds the listener and spawns one
//! task that accepts connections (and one per connection); outside a
//! runtime it panics as `tokio::spawn` does. A current-thread runtime works
//! as long as the task that awaits the client's requests yields to the
//! server, as `.await` does. The emulator starts no thread of its own; the
//! task ends when the [`RunningEmulator`] is dropped or shut down.

mod access;
mod admin;
mod api_version;
mod auth;
mod browser;
mod config;
mod credential;
mod error;
mod faults;
mod interactive;
mod interactive_grants;
mod running;
mod seed;
mod server;
mod state;
mod store;
mod tls;
mod token;
mod vault;
mod vaults;
mod wire;

pub use access::{Operation, parse_rule};
pub use browser::SimulatedBrowser;
pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MANAGED_IDENTITY_CLIENT_ID,
    DEFAULT_TENANT_ID, Emulator, EmulatorBuilder,
};
pub use error::EmulatorError;
pub use faults::{FaultCounts, Faults};
pub use interactive::{Approval, InteractiveOptions, TestUser};
pub use running::RunningEmulator;
