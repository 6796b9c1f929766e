//! [`RunningEmulator`]: a started emulator, its URLs and credentials, its
//! runtime switches, and its shutdown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use credential_core::__private::env_vars;
use credential_core::{Secret, SystemClock};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::access::AccessRules;
use crate::auth::TokenAuthority;
use crate::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatorBuilder};
use crate::error::EmulatorError;
use crate::faults::{FaultCounts, FaultSwitch, Faults};
use crate::state::{AppState, OffsetClock};
use crate::store::{Store, write_atomic};
use crate::vaults::{HOST_STYLE_SUFFIX, VaultNames, valid_vault_name};
use crate::{seed, server, tls};

/// The signing key's file name in the data directory.
const KEY_FILE: &str = "signing-key";

/// The well-known Key Vault audience, always accepted.
const VAULT_AUDIENCE: &str = "https://vault.azure.net";

/// A running emulator. Dropping it stops the server too, but
/// [`shutdown`](Self::shutdown) waits for it to finish.
#[derive(Debug)]
pub struct RunningEmulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    client_id: String,
    client_secret: Secret,
    cert_pem: Option<String>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

fn valid_tenant(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

async fn signing_key(dir: Option<&Path>) -> Result<Vec<u8>, EmulatorError> {
    if let Some(dir) = dir
        && let Ok(text) = tokio::fs::read_to_string(dir.join(KEY_FILE)).await
    {
        if let Ok(key) = STANDARD.decode(text.trim())
            && key.len() >= 32
        {
            return Ok(key);
        }
        tracing::warn!("the kept token signing key is unusable; making a new one");
    }
    let mut key = vec![0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| EmulatorError::Config("the system random generator failed".into()))?;
    if let Some(dir) = dir {
        write_atomic(dir, KEY_FILE, STANDARD.encode(&key).as_bytes()).map_err(|e| {
            EmulatorError::DataDir(format!("cannot write the token signing key: {e}"))
        })?;
    }
    Ok(key)
}

impl RunningEmulator {
    pub(crate) async fn start(config: EmulatorBuilder) -> Result<Self, EmulatorError> {
        if !valid_tenant(&config.tenant_id) {
            return Err(EmulatorError::Config(format!(
                "the tenant id '{}' may only hold letters, digits, '-' and '.'",
                config.tenant_id
            )));
        }
        let mut clients = config.clients.clone();
        if clients.is_empty() {
            clients.push((
                DEFAULT_CLIENT_ID.to_owned(),
                DEFAULT_CLIENT_SECRET.to_owned(),
            ));
        }
        for name in &config.vaults {
            if !valid_vault_name(name) {
                return Err(EmulatorError::Config(format!(
                    "the vault name '{name}' must have 3-24 letters, digits and '-', starting with a letter"
                )));
            }
        }
        let wanted = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(wanted)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: wanted,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: wanted,
                source,
            })?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "the emulator listens on a non-loopback address: the vault and its well-known credentials are open to the network");
        }
        let scheme = if config.tls { "https" } else { "http" };
        let host = if config.advertised_host.contains(':') {
            format!("[{}]", config.advertised_host)
        } else {
            config.advertised_host.clone()
        };
        let origin = format!("{scheme}://{host}:{}", addr.port());

        let dir = config.data_dir.as_deref();
        if let Some(dir) = dir {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
                EmulatorError::DataDir(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut stores = match dir {
            Some(dir) => Store::load_all(dir).await?,
            None => BTreeMap::from([(String::new(), Store::default())]),
        };
        for name in &config.vaults {
            stores.entry(name.to_ascii_lowercase()).or_default();
        }
        let offset = i64::try_from(config.clock_offset.as_secs()).unwrap_or(i64::MAX / 4);
        let offset_clock = Arc::new(OffsetClock::new(Arc::new(SystemClock), offset));
        if let Some(seed_file) = &config.seed_file {
            let now = credential_core::Clock::now(&*offset_clock).unix_timestamp();
            let added = seed::apply(seed_file, &mut stores, now).await?;
            if let Some(dir) = dir {
                for (vault, store) in &stores {
                    store
                        .persist(dir, &crate::store::data_file(vault))
                        .map_err(|e| {
                            EmulatorError::DataDir(format!("cannot save the seeded vault: {e}"))
                        })?;
                }
            }
            tracing::info!(added, "seeded");
        }
        let key = signing_key(dir).await?;
        let (acceptor, cert_pem) = if config.tls {
            let material =
                tls::load_or_generate(dir, std::slice::from_ref(&config.advertised_host)).await?;
            let server_config = tls::server_config(&material)?;
            (
                Some(tokio_rustls::TlsAcceptor::from(server_config)),
                Some(material.cert_pem),
            )
        } else {
            (None, None)
        };
        let challenge_resource = config
            .challenge_resource
            .clone()
            .unwrap_or_else(|| origin.clone());
        let tokens = TokenAuthority::new(
            key,
            format!("{origin}/{}/v2.0", config.tenant_id),
            config.tenant_id.clone(),
            config.token_lifetime,
            vec![
                origin.clone(),
                challenge_resource.clone(),
                VAULT_AUDIENCE.to_owned(),
            ],
        );
        let mut assertion_clients = config.assertion_clients.clone();
        assertion_clients.extend(clients.iter().map(|(id, _)| id.clone()));
        let (client_id, client_secret) = clients[0].clone();
        let state = Arc::new(AppState {
            origin,
            tenant_id: config.tenant_id.clone(),
            challenge_resource,
            clients: clients
                .into_iter()
                .map(|(id, s)| (id, Secret::new(s)))
                .collect(),
            assertion_clients,
            managed_identity_client_id: config.managed_identity_client_id.clone(),
            tokens,
            stores: Mutex::new(stores),
            vault_names: VaultNames::new(config.tls, &config.vaults, &config.advertised_host),
            access: AccessRules::new(&config.access_rules),
            data_dir: config.data_dir.clone(),
            operation_delay: Mutex::new(config.operation_delay),
            faults: FaultSwitch::new(config.faults.clone()),
            clock: Arc::new(SystemClock),
            offset_clock,
            interactive: crate::interactive::InteractiveState::new(config.interactive.clone()),
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(server::accept_loop(
            listener,
            acceptor,
            state.clone(),
            stop_rx,
        ));
        tracing::info!(origin = %state.origin, "Key Vault emulator listening");
        Ok(Self {
            state,
            addr,
            client_id,
            client_secret: Secret::new(client_secret),
            cert_pem,
            stop,
            task: Mutex::new(Some(task)),
        })
    }

    /// The state the handlers share.
    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }

    /// The vault URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn vault_url(&self) -> String {
        self.state.origin.clone()
    }
    /// The URL of the vault named `name` at `NAME.vault.localhost` on this
    /// emulator's port (each name is its own vault, made on first use). The
    /// client must resolve that host to this machine (most do for
    /// `*.localhost`; otherwise map it, as docker compose aliases do).
    pub fn named_vault_url(&self, name: &str) -> String {
        let scheme = if self.cert_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!(
            "{scheme}://{}{HOST_STYLE_SUFFIX}:{}",
            name.to_ascii_lowercase(),
            self.addr.port()
        )
    }
    /// Moves the vault's clock forward by `by`: the dates of secrets and
    /// the purge of deleted secrets follow it; tokens keep the real clock
    /// (use [`set_token_lifetime`](Self::set_token_lifetime) to test their
    /// expiry). Returns the total offset.
    pub fn advance_clock(&self, by: Duration) -> Duration {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX / 4);
        let total = self.state.offset_clock.advance(seconds);
        Duration::from_secs(u64::try_from(total).unwrap_or(0))
    }
    /// The authority host (same origin as the vault): the value for
    /// `AZURE_AUTHORITY_HOST`. Tokens come from
    /// `{authority_host}/{tenant}/oauth2/v2.0/token`.
    pub fn authority_host(&self) -> String {
        self.state.origin.clone()
    }
    /// The Entra-style token endpoint of the emulator's tenant.
    pub fn token_endpoint(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.state.origin, self.state.tenant_id
        )
    }
    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.state.tenant_id
    }
    /// The (first) accepted client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The secret of [`client_id`](Self::client_id).
    pub fn client_secret(&self) -> &str {
        self.client_secret.expose_secret()
    }
    /// The client id of the managed identity on the IMDS endpoint.
    pub fn managed_identity_client_id(&self) -> &str {
        &self.state.managed_identity_client_id
    }
    /// The IMDS base URL: the value for `AZURE_POD_IDENTITY_AUTHORITY_HOST`
    /// (tokens at `{imds_endpoint}/metadata/identity/oauth2/token`).
    pub fn imds_endpoint(&self) -> String {
        self.state.origin.clone()
    }
    /// The socket address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The self-signed certificate (PEM) when serving HTTPS; trust it as a
    /// root certificate.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }
    /// The environment variables that point an unchanged application at
    /// this emulator: `AZURE_KEYVAULT_URL`, `AZURE_AUTHORITY_HOST`,
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST`.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        vec![
            (env_vars::AZURE_KEYVAULT_URL.to_owned(), self.vault_url()),
            (
                env_vars::AZURE_AUTHORITY_HOST.to_owned(),
                self.authority_host(),
            ),
            (
                env_vars::AZURE_TENANT_ID.to_owned(),
                self.tenant_id().to_owned(),
            ),
            (
                env_vars::AZURE_CLIENT_ID.to_owned(),
                self.client_id().to_owned(),
            ),
            (
                env_vars::AZURE_CLIENT_SECRET.to_owned(),
                self.client_secret().to_owned(),
            ),
            (
                env_vars::AZURE_POD_IDENTITY_AUTHORITY_HOST.to_owned(),
                self.imds_endpoint(),
            ),
        ]
    }
    /// Replaces the faults to inject: the budgets in `faults` (how many
    /// requests to throttle, fail or drop) start afresh, while
    /// [`fault_counts`](Self::fault_counts) keeps counting from the start.
    pub fn set_faults(&self, faults: Faults) {
        self.state.faults.set(faults);
    }
    /// How many faults have been injected since the emulator started, across
    /// every [`set_faults`](Self::set_faults) (take a difference to count one
    /// phase).
    pub fn fault_counts(&self) -> FaultCounts {
        self.state.faults.counts()
    }
    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.tokens.set_lifetime(lifetime);
    }
    /// Changes how long deletes and recovers take to become visible.
    pub fn set_operation_delay(&self, delay: Duration) {
        *self
            .state
            .operation_delay
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = delay;
    }
    /// Stops accepting connections, lets open ones finish (up to 3 s), and
    /// waits for the server to stop. Every acknowledged write is already on
    /// disk when a data directory is used.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
