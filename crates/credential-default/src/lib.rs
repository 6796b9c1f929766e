//! [`DefaultAzureCredential`]: one line that gives a program the right Azure
//! credential wherever it runs, and the one dependency a user needs: this
//! crate re-exports the core trait and types and every credential of
//! `credential-env`, `credential-msi`, `credential-cli` and
//! `credential-interactive` (each of which can still be used alone).
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
//! list of the valid ones. The builder's `with_excluded` applies on top.
//!
//! # Unavailable or misconfigured
//! A link is **unavailable** only when its inputs are *absent*: no service
//! principal variables, no federated token file, no managed identity
//! endpoint, a tool that is not installed or not signed in. The chain then
//! moves on. Inputs that are *present but wrong* are a **configuration
//! error**: the chain stops at once, before any later link runs (no process
//! is started, no request is sent), and the error names the variable, says
//! what is wrong with it and how to fix it. A misconfigured production
//! identity must never fall through silently to a developer's `az login`,
//! a different identity with different permissions.
//!
//! Unavailable: only `AZURE_CLIENT_ID` is set (no tenant, no secret, no
//! certificate). The environment link is skipped and the chain goes on:
//!
//! ```text
//! EnvironmentCredential is unavailable: the service principal environment variables are
//! incomplete (blank counts as unset); missing: AZURE_TENANT_ID, AZURE_CLIENT_SECRET or
//! AZURE_CLIENT_CERTIFICATE_PATH; set: AZURE_CLIENT_ID
//! ```
//!
//! Misconfigured: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
//! `AZURE_CLIENT_SECRET` are set, but the tenant is malformed. The chain
//! stops there; its error names the link that stopped it, and that link's
//! error is the `source()`, so `anyhow` prints each once:
//!
//! ```text
//! Error: DefaultAzureCredential failed to get a token: EnvironmentCredential stopped the chain. Attempts, in order:
//!   1. EnvironmentCredential failed and stopped the chain (its error follows as the cause)
//! EnvironmentCredential is set up here but failed, so DefaultAzureCredential stopped instead
//! of trying the next credential. Fix its error (the cause of this one), or exclude
//! EnvironmentCredential from the chain.
//!
//! Caused by:
//!     EnvironmentCredential is misconfigured: AZURE_TENANT_ID is "contoso tenant", which is
//!     not a tenant id (only letters, digits, '-' and '.' are allowed); set AZURE_TENANT_ID to
//!     your Microsoft Entra tenant (directory) id, a GUID or a domain such as
//!     contoso.onmicrosoft.com. [...]
//! ```
//!
//! Other such inputs: an `AZURE_AUTHORITY_HOST` with `http://` on a host
//! that is not loopback, a certificate file that cannot be read or parsed,
//! an `AZURE_CLIENT_CERTIFICATE_PASSWORD` that does not open the PKCS#12
//! file, an unreadable or empty `AZURE_FEDERATED_TOKEN_FILE`, a managed
//! identity endpoint variable (`IDENTITY_ENDPOINT`, `MSI_ENDPOINT`,
//! `IMDS_ENDPOINT`, `AZURE_POD_IDENTITY_AUTHORITY_HOST`) that is not a URL, an
//! `IDENTITY_SERVER_THUMBPRINT` that is not a thumbprint.
//!
//! # Options for every network link
//! [`DefaultAzureCredentialBuilder`] takes one value each for the links that
//! call a token endpoint (environment, workload identity, managed identity):
//! `with_retry_policy`, `with_request_timeout`, `with_http_client`,
//! `with_authority_host`, and `with_cloud` ([`CloudConfiguration`]: public,
//! China, US Government or custom), which sets the authority host for every
//! link at once and carries the cloud's default audiences
//! ([`DefaultAzureCredential::cloud`]).
//!
//! # Outside the chain
//! [`AzurePipelinesCredential`] (Azure DevOps service connections) is
//! exported but not in the chain, as in the reference SDKs.
//! [`get_bearer_token_provider`] turns any credential into a cloneable async
//! function returning a bearer token, for clients that do not know
//! [`TokenCredential`].
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
//!   credentials are not in the chain**; the user sign-in credentials of
//!   `credential-interactive` (device code, browser, authorization code,
//!   on-behalf-of) are re-exported for use on their own or in a
//!   [`ChainedTokenCredential`].
//! - **Concurrent first call** (above); the references probe first, then
//!   start the tools.
//! - **Sticky** per instance (as Python; JavaScript re-walks the chain).
//! - **Stopping errors**: an environment, workload identity or managed
//!   identity failure other than "unavailable" (such as Entra ID refusing
//!   the client secret) stops the chain (JavaScript makes managed identity
//!   failures "unavailable"); a developer tool's failure other than a
//!   configuration error (a [`CredentialError::DeveloperTool`]: the tool
//!   exited non-zero) is "unavailable", as Python does inside its chain.
//! - **One error** lists every attempt in order (including the links whose
//!   construction failed, which JavaScript leaves out) and says what to do;
//!   when one attempt stopped the chain, the list names it and its error is
//!   the `source()`, so an error reporter prints it once, after the list.
//! - **Construction** fails only on the default credential's own options
//!   (an invalid `AZURE_TOKEN_CREDENTIALS`, a required variable missing, both
//!   a managed identity client id and resource id, everything excluded, a
//!   zero request timeout); a link that could not be built is kept and
//!   reports why when the chain reaches it (see below).
//! - **`with_tenant_id`** applies to the developer tools only and has no
//!   environment default (JavaScript defaults it to `AZURE_TENANT_ID`);
//!   workload identity has its own tenant option.
//! - **`AZURE_TOKEN_CREDENTIALS=managedidentitycredential`** keeps the
//!   builder's managed identity id (JavaScript drops it).
//! - **Required variables**: both JavaScript's `requiredEnvVars`
//!   ([`DefaultAzureCredentialBuilder::with_required_env_vars`]) and Python's
//!   `require_envvar`
//!   ([`DefaultAzureCredentialBuilder::with_required_token_credentials_env_var`]).
//! - After selection, a call's error is the selected credential's own error
//!   (not wrapped in a chain error).
//!
//! # Runtime and threads
//! The credentials are `async` and run on a `tokio` 1.x runtime, current-thread
//! or multi-thread, with its I/O and time drivers enabled (`#[tokio::main]`, or
//! `Builder::enable_all()`). Called outside such a runtime, `get_token` fails or
//! panics as tokio does. What runs beside the caller:
//! - the default transport's `http-deadlines` thread, one per process (see
//!   [`ReqwestHttpClient`]); [`DefaultAzureCredentialBuilder::with_http_client`]
//!   with a transport built by `ReqwestHttpClient::builder().with_tokio_timers()`
//!   starts none;
//! - on the first call, the managed identity attempt runs concurrently with the
//!   developer tools (above), inside the caller's task;
//! - the developer tools are processes, killed on timeout or when dropped;
//! - when a cached token passes its refresh point, one refresh task is spawned
//!   on the caller's runtime;
//!   `DefaultAzureCredentialBuilder::with_background_refresh(false)` turns it
//!   off in every link (the caller that notices refreshes inline).

mod builder;
mod credential;
mod kind;
mod link;

pub use builder::DefaultAzureCredentialBuilder;
pub use credential::DefaultAzureCredential;
pub use kind::{
    AZURE_TOKEN_CREDENTIALS, CredentialKind, ParseCredentialKindError, token_credentials_values,
};

/// The name errors carry.
pub(crate) const NAME: &str = credential_core::__private::credential_names::DEFAULT;

/// The application-facing items of `credential-core`: the trait, tokens,
/// options and errors, and the transport seam for a caller's own HTTP client.
/// Seams for tests and implementors (`ProviderContext`, `Env`, `Fs`, clocks,
/// process runners, `TokenCache`) are in `credential-core` itself.
pub use credential_core::{
    AccessToken, BearerTokenFuture, ChainedTokenCredential, ChainedTokenCredentialBuilder,
    CloudConfiguration, CredentialError, EntraDiagnostics, ErrorSource, FnCredential, HttpClient,
    HttpRequest, HttpResponse, ReqwestHttpClient, RetryPolicy, Secret, SharedHttpClient,
    TokenCredential, TokenRequestOptions, TransportError, TransportErrorKind,
    get_bearer_token_provider, token_credential_fn,
};

/// What a custom credential or transport needs besides the trait, so that
/// one builds from this crate alone: the `http` 1.x vocabulary of
/// [`HttpRequest`] and [`HttpResponse`], the `#[async_trait]` attribute the
/// traits are written with, the `time` crate of [`AccessToken`]'s expiry, and
/// the builder of the default transport (extra CA roots, `tokio` timers)
/// and its error.
pub use credential_core::{
    HeaderMap, HeaderName, HeaderValue, HttpClientConfigError, Method, ReqwestHttpClientBuilder,
    StatusCode, async_trait, time,
};

/// The persistent token cache's types (the file store is in the
/// `credential-cache-store` crate).
pub use credential_core::{CacheStore, CacheStoreError, PersistentTokenCache};

pub use credential_env::{
    AzurePipelinesCredential, AzurePipelinesCredentialBuilder, ClientAssertionCredential,
    ClientAssertionCredentialBuilder, ClientCertificate, ClientCertificateCredential,
    ClientCertificateCredentialBuilder, ClientSecretCredential, ClientSecretCredentialBuilder,
    EnvironmentCredential, EnvironmentCredentialBuilder, WorkloadIdentityCredential,
    WorkloadIdentityCredentialBuilder,
};

pub use credential_msi::{
    ImdsRetryPolicy, ManagedIdentityCredential, ManagedIdentityCredentialBuilder,
    ParseUserAssignedIdError, SourceKind, UserAssignedId,
};

pub use credential_cli::{
    AzureCliCredential, AzureCliCredentialBuilder, AzureDeveloperCliCredential,
    AzureDeveloperCliCredentialBuilder, AzurePowerShellCredential,
    AzurePowerShellCredentialBuilder,
};

/// User sign-in credentials (not in the default chain).
pub use credential_interactive::{
    AuthenticationRecord, AuthorizationCodeCredential, AuthorizationCodeCredentialBuilder,
    Cancellation, DeviceCodeCredential, DeviceCodeCredentialBuilder, DeviceCodeInfo,
    InteractiveBrowserCredential, InteractiveBrowserCredentialBuilder, OnBehalfOfCredential,
    OnBehalfOfCredentialBuilder,
};
