//! [`Emulator::builder`] and its options.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::access::Operation;
use crate::error::EmulatorError;
use crate::faults::Faults;
use crate::running::RunningEmulator;

/// The tenant id the emulator uses unless told otherwise.
pub const DEFAULT_TENANT_ID: &str = "00000000-0000-0000-0000-00000000e3e1";
/// The client id accepted unless told otherwise. The emulator is for local
/// use only, so its default credentials are well known (like Azurite's key).
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-0000-0000-0000000c1e47";
/// The client secret accepted for [`DEFAULT_CLIENT_ID`] unless told otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "keyvault-emulator-local-secret";
/// The client id of the emulator's managed identity (IMDS endpoint).
pub const DEFAULT_MANAGED_IDENTITY_CLIENT_ID: &str = "00000000-0000-0000-0000-00000000a11d";

/// Entry point: `Emulator::builder()...start().await`.
///
/// ```no_run
/// # async fn f() -> Result<(), keyvault_emulator::EmulatorError> {
/// let emulator = keyvault_emulator::Emulator::builder().start().await?;
/// println!("vault at {}", emulator.vault_url());
/// for (k, v) in emulator.env_vars() {
///     println!("export {k}={v}");
/// }
/// emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: a free port on 127.0.0.1, plain HTTP,
    /// in memory, the well-known tenant and client, 1 h tokens, 200 ms
    /// delete/recover delay, no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Options of an emulator; see [`Emulator::builder`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    pub(crate) bind: IpAddr,
    pub(crate) port: u16,
    pub(crate) tls: bool,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) advertised_host: String,
    pub(crate) challenge_resource: Option<String>,
    pub(crate) tenant_id: String,
    pub(crate) clients: Vec<(String, String)>,
    pub(crate) assertion_clients: Vec<String>,
    pub(crate) managed_identity_client_id: String,
    pub(crate) token_lifetime: Duration,
    pub(crate) operation_delay: Duration,
    pub(crate) faults: Faults,
    pub(crate) vaults: Vec<String>,
    pub(crate) seed_file: Option<PathBuf>,
    pub(crate) access_rules: Vec<(String, Vec<Operation>)>,
    pub(crate) clock_offset: Duration,
    pub(crate) interactive: crate::interactive::InteractiveOptions,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("data_dir", &self.data_dir)
            .field("advertised_host", &self.advertised_host)
            .field("challenge_resource", &self.challenge_resource)
            .field("tenant_id", &self.tenant_id)
            .field(
                "client_ids",
                &self.clients.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("assertion_clients", &self.assertion_clients)
            .field("token_lifetime", &self.token_lifetime)
            .field("operation_delay", &self.operation_delay)
            .field("faults", &self.faults)
            .field("vaults", &self.vaults)
            .field("seed_file", &self.seed_file)
            .field("access_rules", &self.access_rules)
            .field("clock_offset", &self.clock_offset)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tls: false,
            data_dir: None,
            advertised_host: "127.0.0.1".to_owned(),
            challenge_resource: None,
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            clients: Vec::new(),
            assertion_clients: Vec::new(),
            managed_identity_client_id: DEFAULT_MANAGED_IDENTITY_CLIENT_ID.to_owned(),
            token_lifetime: Duration::from_secs(3600),
            operation_delay: Duration::from_millis(200),
            faults: Faults::none(),
            vaults: Vec::new(),
            seed_file: None,
            access_rules: Vec::new(),
            clock_offset: Duration::ZERO,
            interactive: crate::interactive::InteractiveOptions::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on (127.0.0.1 by default). Any other than a
    /// loopback address opens the vault, and its well-known credentials, to
    /// the network: do that only inside a container network.
    pub fn bind(mut self, addr: IpAddr) -> Self {
        self.bind = addr;
        self
    }
    /// The port (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Serves, besides the default vault, a vault with this name (3-24
    /// letters, digits and `-`) at any host whose first label is the name
    /// (`NAME.kv.internal`, `NAME.vault.localhost`). Each vault has its own
    /// secrets. Hosts `NAME.vault.localhost` select a vault without this.
    pub fn vault(mut self, name: impl Into<String>) -> Self {
        self.vaults.push(name.into());
        self
    }
    /// Loads the secrets of this seed file at start: JSON, or TOML when its
    /// name ends in `.toml` (see
    /// `docs/emulator.md`); secrets already kept in the data directory are
    /// left as they are.
    pub fn seed_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed_file = Some(path.into());
        self
    }
    /// Limits `client_id` to these operations (a 403 `AccessDenied` for any
    /// other). Clients without a rule may do everything.
    pub fn allow(
        mut self,
        client_id: impl Into<String>,
        operations: impl IntoIterator<Item = Operation>,
    ) -> Self {
        self.access_rules
            .push((client_id.into(), operations.into_iter().collect()));
        self
    }
    /// Starts the vault's clock this far ahead of the system clock
    /// (see [`RunningEmulator::advance_clock`]).
    pub fn clock_offset(mut self, offset: Duration) -> Self {
        self.clock_offset = offset;
        self
    }
    /// Serve HTTPS with a self-signed certificate generated at start (for
    /// `localhost`, `127.0.0.1`, `::1` and the advertised host). With a data
    /// directory the certificate is kept there and reused.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }
    /// Persist the vault (and the token signing key and certificate) in
    /// this directory; in memory when unset.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
    /// The host name used in the URLs the emulator hands out (`127.0.0.1`
    /// by default). It must resolve to this machine.
    pub fn advertised_host(mut self, host: impl Into<String>) -> Self {
        self.advertised_host = host.into();
        self
    }
    /// The `resource` of the 401 challenge (the vault's origin by default),
    /// for clients that demand the vault host be a subdomain of it.
    pub fn challenge_resource(mut self, resource: impl Into<String>) -> Self {
        self.challenge_resource = Some(resource.into());
        self
    }
    /// The tenant id ([`DEFAULT_TENANT_ID`] by default).
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = tenant.into();
        self
    }
    /// Accepts this client id with this secret (also with any client
    /// assertion). The first client added is the one
    /// [`RunningEmulator::client_id`] reports; without any, the well-known
    /// [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`] pair is accepted.
    pub fn client(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.clients.push((client_id.into(), secret.into()));
        self
    }
    /// Accepts this client id with a client assertion (any well-formed,
    /// unexpired JWT whose `iss`/`sub`, when present, are the client id).
    pub fn assertion_client(mut self, client_id: impl Into<String>) -> Self {
        self.assertion_clients.push(client_id.into());
        self
    }
    /// The client id of the managed identity served on the IMDS endpoint.
    pub fn managed_identity_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.managed_identity_client_id = client_id.into();
        self
    }
    /// How long issued tokens live (1 h by default). Zero issues tokens
    /// that are already expired when presented, for tests.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }
    /// How long a delete or recover takes to become visible (200 ms by
    /// default; zero makes it immediate), so pollers see a 404 first.
    pub fn operation_delay(mut self, delay: Duration) -> Self {
        self.operation_delay = delay;
        self
    }
    /// The faults to inject from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// User sign-in options: the test user, how device codes are approved,
    /// the device code poll interval.
    pub fn interactive(mut self, options: crate::interactive::InteractiveOptions) -> Self {
        self.interactive = options;
        self
    }

    /// Binds, loads the data directory and starts serving.
    pub async fn start(self) -> Result<RunningEmulator, EmulatorError> {
        RunningEmulator::start(self).await
    }
}
