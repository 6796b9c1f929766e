//! A fake `az` for kv's token cache test and benchmark: a shell script that
//! notes each run in a log, optionally sleeps, and prints a token that the
//! emulator accepts (issued to the emulator's service principal).

use std::path::{Path, PathBuf};

use credential_default::{ClientSecretCredential, TokenCredential, TokenRequestOptions};
use keyvault_emulator::RunningEmulator;

/// The installed fake.
pub struct FakeAz {
    /// Its run log (one line per run).
    pub log: PathBuf,
}

impl FakeAz {
    /// Writes `az` into `bin`, taking `delay` (a `sleep` argument) per run.
    #[allow(clippy::unwrap_used)]
    pub async fn install(bin: &Path, emulator: &RunningEmulator, delay: &str) -> Self {
        let credential = ClientSecretCredential::builder(
            emulator.tenant_id(),
            emulator.client_id(),
            emulator.client_secret(),
        )
        .with_authority_host(emulator.authority_host())
        .build()
        .unwrap();
        let scope = format!("{}/.default", emulator.vault_url().trim_end_matches('/'));
        let token = credential
            .get_token(&[&scope], &TokenRequestOptions::default())
            .await
            .unwrap();
        let json = format!(
            r#"{{"accessToken":"{}","expires_on":{},"tokenType":"Bearer"}}"#,
            token.token.expose_secret(),
            token.expires_on.unix_timestamp()
        );
        let log = bin.join("az-runs.log");
        let script = format!(
            "#!/bin/sh\necho run >> '{}'\n/bin/sleep {delay}\necho '{json}'\n",
            log.display()
        );
        let path = bin.join("az");
        std::fs::write(&path, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self { log }
    }

    /// How many times it ran.
    #[allow(clippy::disallowed_methods)] // The test reads its own log.
    pub fn runs(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }
}
