//! [`ProviderContext`]: every external thing a credential touches, in one
//! injectable bundle.

use std::sync::Arc;

use url::Url;

use crate::clock::{SharedClock, SystemClock};
use crate::env::Env;
use crate::fs::Fs;
use crate::http::{ReqwestHttpClient, SharedHttpClient};
use crate::process::{SharedProcessRunner, SystemProcessRunner};

/// The environment, filesystem, clock, HTTP client and process runner a
/// credential uses: the seam through which an implementor's tests inject
/// fakes. Production code takes [`ProviderContext::system`] (what every
/// builder uses when given no context); tests start from
/// `ProviderContext::isolated()` (feature `test-util`) and swap in what they
/// need.
///
/// ```
/// # #[cfg(feature = "test-util")] {
/// use credential_core::{Env, ProviderContext};
/// let ctx = ProviderContext::isolated()
///     .with_env(Env::from_pairs([("AZURE_TENANT_ID", "contoso")]));
/// assert_eq!(ctx.env.get("AZURE_TENANT_ID").as_deref(), Some("contoso"));
/// // Managed identity never aims at the real IMDS address from here.
/// assert_eq!(ctx.imds_endpoint.unwrap().as_str(), "http://127.0.0.1:1/");
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProviderContext {
    /// Environment variables.
    pub env: Env,
    /// Files.
    pub fs: Fs,
    /// The wall clock.
    pub clock: SharedClock,
    /// HTTP.
    pub http: SharedHttpClient,
    /// Process launches.
    pub process: SharedProcessRunner,
    /// The IMDS endpoint a managed identity credential built with this
    /// context uses when neither its own option nor
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST` names one. `None` means the real
    /// address, `http://169.254.169.254` (the system context); the isolated
    /// context sets `ProviderContext::ISOLATED_IMDS_ENDPOINT`, a loopback
    /// port where nothing listens, so that no test addresses the real one.
    pub imds_endpoint: Option<Url>,
}

impl ProviderContext {
    /// The real environment, filesystem, clock, network and processes.
    pub fn system() -> Self {
        Self {
            env: Env::real(),
            fs: Fs::real(),
            clock: Arc::new(SystemClock),
            http: Arc::new(ReqwestHttpClient::new()),
            process: Arc::new(SystemProcessRunner),
            imds_endpoint: None,
        }
    }

    /// Nothing real (feature `test-util`): no variables, no files, a [`ManualClock`] stopped at
    /// 2030-01-01T00:00:00Z, an HTTP client that sends nothing (every request
    /// fails to connect), a process runner that finds no program, and IMDS
    /// pointed at [`Self::ISOLATED_IMDS_ENDPOINT`] on loopback, so that even
    /// a test that swaps in real HTTP never addresses `169.254.169.254`.
    #[cfg(any(test, feature = "test-util"))]
    pub fn isolated() -> Self {
        Self {
            env: Env::empty(),
            fs: Fs::empty(),
            clock: Arc::new(crate::clock::ManualClock::new(Self::ISOLATED_EPOCH)),
            http: Arc::new(crate::http::NoNetworkHttpClient),
            process: Arc::new(crate::process::NoProcessRunner),
            imds_endpoint: Url::parse(Self::ISOLATED_IMDS_ENDPOINT).ok(),
        }
    }

    /// The isolated context's IMDS endpoint: loopback port 1, where nothing
    /// listens (a connection there is refused at once).
    #[cfg(any(test, feature = "test-util"))]
    pub const ISOLATED_IMDS_ENDPOINT: &'static str = "http://127.0.0.1:1";

    /// The time an isolated context's clock starts at.
    #[cfg(any(test, feature = "test-util"))]
    pub const ISOLATED_EPOCH: time::OffsetDateTime = time::macros::datetime!(2030-01-01 0:00 UTC);

    /// Replaces the environment.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Replaces the filesystem.
    pub fn with_fs(mut self, fs: Fs) -> Self {
        self.fs = fs;
        self
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the HTTP client.
    pub fn with_http(mut self, http: SharedHttpClient) -> Self {
        self.http = http;
        self
    }

    /// Replaces the process runner.
    pub fn with_process(mut self, process: SharedProcessRunner) -> Self {
        self.process = process;
        self
    }

    /// Replaces the default IMDS endpoint (`None`: the real
    /// `http://169.254.169.254`).
    pub fn with_imds_endpoint(mut self, endpoint: Option<Url>) -> Self {
        self.imds_endpoint = endpoint;
        self
    }
}

impl Default for ProviderContext {
    fn default() -> Self {
        Self::system()
    }
}
