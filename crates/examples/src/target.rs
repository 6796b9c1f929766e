//! Where the walkthroughs run: a real vault, or the embedded emulator.

use std::io::Write;
use std::time::Duration;

use credential_core::{Env, ProviderContext};
use keyvault_emulator::{Emulator, RunningEmulator};

use crate::BoxError;

/// The variable that names a real vault.
pub const AZURE_KEYVAULT_URL: &str = "AZURE_KEYVAULT_URL";

/// Where the example runs: the vault `AZURE_KEYVAULT_URL` names, or, when it
/// is unset, a Key Vault emulator started on a loopback port. Says which on
/// stdout. Keep the returned value alive: dropping it stops the emulator.
pub async fn vault_or_local_emulator() -> Result<Target, BoxError> {
    Target::connect(&Env::real(), &mut std::io::stdout()).await
}

/// A vault to talk to and the credential to talk to it with.
pub struct Target {
    /// The vault URL.
    pub vault_url: String,
    /// The environment the credential reads (the real one, or the emulator's).
    pub env: Env,
    /// The embedded emulator, when no real vault was named. Dropping the
    /// target stops it.
    pub emulator: Option<RunningEmulator>,
}

impl Target {
    /// A real vault when `env` names one in `AZURE_KEYVAULT_URL`, else a new
    /// embedded emulator. Writes one line saying which to `out`.
    pub async fn connect(env: &Env, out: &mut dyn Write) -> Result<Self, BoxError> {
        if let Some(vault_url) = env.get(AZURE_KEYVAULT_URL) {
            writeln!(
                out,
                "Using the vault at {vault_url} (from {AZURE_KEYVAULT_URL}) with DefaultAzureCredential."
            )?;
            return Ok(Self {
                vault_url,
                env: env.clone(),
                emulator: None,
            });
        }
        let emulator = Emulator::builder()
            .operation_delay(Duration::from_millis(100))
            .start()
            .await?;
        writeln!(
            out,
            "{AZURE_KEYVAULT_URL} is not set: using a local Key Vault emulator at {} (nothing leaves this machine).",
            emulator.vault_url()
        )?;
        Ok(Self {
            vault_url: emulator.vault_url(),
            env: Env::from_pairs(emulator.env_vars()),
            emulator: Some(emulator),
        })
    }

    /// The context the credential uses: the real system, with the
    /// emulator's variables instead of the process environment when the
    /// emulator runs.
    pub fn context(&self) -> ProviderContext {
        ProviderContext::system().with_env(self.env.clone())
    }

    /// How often to check on a delete or recover: quickly against the
    /// emulator, the client's default against a real vault.
    pub fn poll_interval(&self) -> Duration {
        if self.emulator.is_some() {
            Duration::from_millis(50)
        } else {
            keyvault_secrets::DEFAULT_POLL_INTERVAL
        }
    }
}
