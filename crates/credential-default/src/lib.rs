//! [`DefaultAzureCredential`]: one line that gives a program the right Azure
//! credential wherever it runs, and the one dependency a user needs: this
//! crate re-exports the core trait and types and every credential of
//! `credential-env`, `credential-msi` and `credential-cli` (each of which can
//! still be used alone).
//!
//! ```no_run
//! use credential_default::{DefaultAzureCredential, TokenCredential, TokenRequestOptions};
//! # async fn run() -> Result<(), credential_default::CredentialError> {
//! let credential = DefaultAzureCredential::new()?;
//! let token = credential
//!     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # The chain
//! In order: [`EnvironmentCredential`], [`WorkloadIdentityCredential`],
//! [`ManagedIdentityCredential`] (probe mode: a 1 s IMDS probe before the
//! first IMDS token request), [`AzureCliCredential`],
//! [`AzurePowerShellCredential`], [`AzureDeveloperCliCredential`].
//!
//! `AZURE_TOKEN_CREDENTIALS` (trimmed, any case) narrows it: `dev` (the three
//! developer tools), `prod` (environment, workload identity, managed
//! identity) or one credential's name (`environmentcredential`,
//! `workloadidentitycredential`, `managedidentitycredential` — then without
//! the probe —, `azureclicredential`, `azurepowershellcredential`,
//! `azuredeveloperclicredential`). Any other value fails construction with a
//! list of the valid ones. The builder's `exclude` applies on top.
//!
//! # The fast first call
//! The reference SDKs spend up to a second on the managed identity probe
//! before they start `az` on a laptop. Here, on the first call, the links
//! before managed identity run in order; then the managed identity attempt
//! runs **concurrently** with the developer tools, which still run one after
//! another in chain order (so no tool starts that the ordered chain would not
//! start when managed identity is unavailable). The answer is always the
//! ordered chain's: a tool's token is used only once managed identity has
//! reported "unavailable"; a managed identity token, or a managed identity
//! failure that stops the chain, wins even when a tool finished first, and a
//! tool still running is dropped (its process is killed). After the first
//! success the credential is sticky, so later calls are direct.
//!
//! # Where we differ on purpose from the reference SDKs
//! - **Visual Studio Code, shared token cache, interactive browser and broker
//!   credentials are not in the chain** (out of scope for this workspace).
//! - **Concurrent first call** (above); the references probe first, then
//!   start the tools.
//! - **Sticky** per instance (as Python; JavaScript re-walks the chain).
//! - **Stopping errors**: an environment, workload identity or managed
//!   identity failure other than "unavailable" (such as Entra ID refusing
//!   the client secret) stops the chain (JavaScript makes managed identity
//!   failures "unavailable"); a developer tool's failure other than a
//!   configuration error is "unavailable", as Python does inside its chain.
//! - **One error** lists every attempt in order (including the links whose
//!   construction failed, which JavaScript leaves out) and says what to do;
//!   its `source()` is the error that stopped the chain, if one did.
//! - **Construction** fails only on the default credential's own options
//!   (an invalid `AZURE_TOKEN_CREDENTIALS`, a required variable missing, both
//!   a managed identity client id and resource id, everything excluded); a
//!   link whose own configuration is wrong (a malformed `AZURE_TENANT_ID`, a
//!   bad tool tenant) becomes an entry that is "unavailable" with the reason,
//!   for every credential (Python does this only for workload identity).
//! - **`with_tenant_id`** applies to the developer tools only and has no
//!   environment default (JavaScript defaults it to `AZURE_TENANT_ID`);
//!   workload identity has its own tenant option.
//! - **`AZURE_TOKEN_CREDENTIALS=managedidentitycredential`** keeps the
//!   builder's managed identity id (JavaScript drops it).
//! - **Required variables**: both JavaScript's `requiredEnvVars`
//!   ([`DefaultAzureCredentialBuilder::with_required_env_vars`]) and Python's
//!   `require_envvar`
//!   ([`DefaultAzureCredentialBuilder::require_token_credentials_env_var`]).
//! - After selection, a call's error is the selected credential's own error
//!   (not wrapped in a chain error).

mod builder;
mod credential;
mod kind;
mod link;

pub use builder::DefaultAzureCredentialBuilder;
pub use credential::DefaultAzureCredential;
pub use kind::{AZURE_TOKEN_CREDENTIALS, CredentialKind};

/// The name errors carry.
pub(crate) const NAME: &str = "DefaultAzureCredential";

pub use credential_core::{
    AccessToken, ChainedTokenCredential, Clock, CredentialError, Env, ErrorSource, FnCredential,
    Fs, HttpClient, HttpRequest, HttpResponse, LoopbackOnlyHttpClient, ManualClock,
    NoNetworkHttpClient, ProcessError, ProcessOutput, ProcessRequest, ProcessRunner,
    ProviderContext, ReqwestHttpClient, Secret, SharedClock, SharedHttpClient, SharedProcessRunner,
    SystemClock, SystemProcessRunner, TokenCache, TokenCredential, TokenRequestOptions,
    TransportError, TransportErrorKind, async_trait, entra, env_vars, retry, token_credential_fn,
};

/// The persistent token cache's types (the file store is in the
/// `credential-cache-store` crate).
pub use credential_core::{CacheStore, CacheStoreError, PersistentTokenCache};

pub use credential_env::{
    ClientAssertionCredential, ClientAssertionCredentialBuilder, ClientCertificate,
    ClientCertificateCredential, ClientCertificateCredentialBuilder, ClientSecretCredential,
    ClientSecretCredentialBuilder, EnvironmentCredential, EnvironmentCredentialBuilder,
    WorkloadIdentityCredential, WorkloadIdentityCredentialBuilder,
};

pub use credential_msi::{
    ImdsRetryPolicy, ManagedIdentityCredential, ManagedIdentityCredentialBuilder, SourceKind,
    UserAssignedId,
};

pub use credential_cli::{
    AzureCliCredential, AzureCliCredentialBuilder, AzureDeveloperCliCredential,
    AzureDeveloperCliCredentialBuilder, AzurePowerShellCredential,
    AzurePowerShellCredentialBuilder,
};
