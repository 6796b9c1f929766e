//! Developer-machine credentials that ask an already signed-in tool for a
//! token: [`AzureCliCredential`] (`az`), [`AzureDeveloperCliCredential`]
//! (`azd`) and [`AzurePowerShellCredential`] (`pwsh` with Az.Accounts).
//!
//! All three:
//! - launch the tool through the injected [`credential_core::ProcessRunner`]
//!   (`ProviderContext::process`) with a fixed argument vector, **never
//!   through a shell**, with standard input closed, from a safe working
//!   directory (`/bin` on Unix, `%SystemRoot%` on Windows);
//! - find the tool on the `PATH` of the injected environment (on Windows with
//!   `PATHEXT`, and `az.cmd` first), and pass the full path found as the program;
//! - validate scopes, tenant and subscription against the reference SDKs'
//!   allowed characters before anything runs;
//! - stop the tool after a timeout, 10 s by default,
//!   configurable with `with_process_timeout`;
//! - honour a request's `tenant_id` under the multi-tenant rules
//!   (`with_additionally_allowed_tenants`);
//! - cache tokens in memory ([`credential_core::TokenCache`]) so that a
//!   second call within a token's life starts no process.
//!
//! # Errors
//! - Tool not installed, not signed in (or, for PowerShell, Az.Accounts
//!   missing), tool timed out, or a claims challenge the tool cannot take:
//!   [`CredentialError::Unavailable`](credential_core::CredentialError::Unavailable),
//!   whose message gives the exact command to run (`az login`,
//!   `azd auth login`, `Connect-AzAccount`, …) or the option to change.
//! - Any other non-zero exit:
//!   [`CredentialError::DeveloperTool`](credential_core::CredentialError::DeveloperTool)
//!   with the exit code and the tool's error output, with anything that
//!   looks like a token removed (JWT-like `eyJ…` runs, `Bearer …`,
//!   `"accessToken": "…"` values). It stops a [`ChainedTokenCredential`](credential_core::ChainedTokenCredential);
//!   `DefaultAzureCredential` treats it as unavailable and tries the next
//!   tool.
//! - Output that is not the expected JSON:
//!   [`CredentialError::UnexpectedResponse`](credential_core::CredentialError::UnexpectedResponse),
//!   which never echoes the output.
//! - A scope, tenant or subscription with characters outside the allowed
//!   sets: [`CredentialError::InvalidConfiguration`](credential_core::CredentialError::InvalidConfiguration),
//!   and nothing is launched.
//!
//! # Where we differ on purpose from the reference SDKs
//! - **No shell, ever** (the JS SDK runs `az` and `azd` through one). The
//!   subscription is therefore passed as one argument, not wrapped in quotes.
//! - **10 s default timeout** for every tool (JS has none).
//! - **Other failures are errors, not "unavailable"**: like Python outside
//!   `DefaultAzureCredential`, a tool that ran and failed for a reason other
//!   than "not installed / not signed in" stops a chain. A default-chain
//!   facade that wants Python's in-chain behaviour can map these errors.
//! - **Values may not start with `-`** (on top of the allowed characters), so
//!   no value can be read as an option by the tool.
//! - **`PATH` entries that are relative or empty are skipped**.
//! - On Windows the Azure CLI is a batch file (`az.cmd`). We pass its full
//!   path and the argument vector to the process runner; Rust's standard
//!   library runs batch files through `cmd.exe` with its own escaping and
//!   refuses arguments it cannot escape safely. The values we pass are
//!   validated first, so none holds a character `cmd.exe` treats specially.
//! - **Tokens are cached** (neither SDK caches CLI tokens, so every call
//!   starts a process there).
//! - **Azure CLI `expiresOn` is read as UTC by default.** The CLI prints
//!   `expires_on` (epoch seconds) since 2.54, and that is preferred. For older
//!   CLIs the fallback `expiresOn` is a local time; the `time` crate can read
//!   the local offset only in a single-threaded process on Unix (it refuses
//!   in multi-threaded ones, such as a Tokio runtime), so instead of a
//!   result that depends on thread count we treat it as UTC unless
//!   [`AzureCliCredentialBuilder::with_local_offset`] says otherwise.
//! - **Azure PowerShell**: our script prints `ExpiresOn` as epoch seconds in
//!   a single JSON line (JS parses a date string, Python a `%`-separated line),
//!   and `powershell` (Windows PowerShell) is tried only on Windows and only
//!   when `pwsh` is not on `PATH` (no probe run with `/?`).
//! - **Azure Developer CLI `expiresOn` is parsed as UTC** (RFC 3339), not as
//!   local time as Python does by mistake.
//! - The Azure CLI and Azure PowerShell credentials take exactly one scope
//!   (like Python; JS silently uses the first).
//! - A request's tenant that is not allowed is an authentication error (as
//!   in `docs/design-rules.md`), not "unavailable".
//!
//! # Runtime and threads
//! The credentials are `async` and run on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`): the tools are started with `tokio::process` and
//! their timeout is a tokio timer. Called outside such a runtime, `get_token`
//! fails or panics as tokio does.
//!
//! This crate starts no thread. Each `get_token` that is not answered from the
//! cache starts one process (`az`, `azd` or `pwsh`), which is killed when its
//! timeout passes or the call is dropped. When a cached token passes its
//! refresh point, one refresh (one process) runs as a task spawned on the
//! caller's runtime (`credential-core`'s `TokenCache`); every builder's
//! `with_background_refresh(false)` turns the task off, so the caller that
//! notices runs the refresh itself.

mod azure_cli;
mod azure_developer_cli;
mod azure_powershell;
mod classify;
mod common;
mod expiry;
mod platform;
mod sanitize;
mod validate;

pub use azure_cli::{AzureCliCredential, AzureCliCredentialBuilder};
pub use azure_developer_cli::{AzureDeveloperCliCredential, AzureDeveloperCliCredentialBuilder};
pub use azure_powershell::{AzurePowerShellCredential, AzurePowerShellCredentialBuilder};

/// Plumbing for this workspace's crates (`credential-default`'s builder).
/// Not part of the public API: no semver promise covers it.
#[doc(hidden)]
pub mod __private {
    pub use crate::common::DEFAULT_TIMEOUT;
}
