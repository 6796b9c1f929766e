//! [`ProviderContext`]: every external thing a credential touches, in one
//! injectable bundle.

use std::sync::Arc;

use time::macros::datetime;

use crate::clock::{ManualClock, SharedClock, SystemClock};
use crate::env::Env;
use crate::fs::Fs;
use crate::http::{NoNetworkHttpClient, ReqwestHttpClient, SharedHttpClient};
use crate::process::{NoProcessRunner, SharedProcessRunner, SystemProcessRunner};

/// The environment, filesystem, clock, HTTP client and process runner a
/// credential uses. Production code takes [`ProviderContext::system`]; tests
/// start from [`ProviderContext::isolated`] and swap in what they need.
///
/// ```
/// use credential_core::{Env, ProviderContext};
/// let ctx = ProviderContext::isolated()
///     .with_env(Env::from_pairs([("AZURE_TENANT_ID", "contoso")]));
/// assert_eq!(ctx.env.get("AZURE_TENANT_ID").as_deref(), Some("contoso"));
/// ```
#[derive(Clone, Debug)]
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
        }
    }

    /// Nothing real: no variables, no files, a [`ManualClock`] stopped at
    /// 2030-01-01T00:00:00Z, an HTTP client that sends nothing (every request
    /// fails to connect, so the IMDS address is never reached), and a process
    /// runner that finds no program.
    pub fn isolated() -> Self {
        Self {
            env: Env::empty(),
            fs: Fs::empty(),
            clock: Arc::new(ManualClock::new(Self::ISOLATED_EPOCH)),
            http: Arc::new(NoNetworkHttpClient),
            process: Arc::new(NoProcessRunner),
        }
    }

    /// The time an isolated context's clock starts at.
    pub const ISOLATED_EPOCH: time::OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

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
}

impl Default for ProviderContext {
    fn default() -> Self {
        Self::system()
    }
}
