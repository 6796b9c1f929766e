//! Sign in with the browser, then read a secret. Run:
//! `cargo run -p examples --example sign_in_browser`
//!
//! Without `AZURE_KEYVAULT_URL` it runs against a local Key Vault emulator
//! and its test user; with it, against your tenant and vault
//! (`AZURE_TENANT_ID` and `AZURE_CLIENT_ID` optional).

use std::process::ExitCode;

use credential_core::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let mut out = std::io::stdout();
    match examples::sign_in::browser(&Env::real(), &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("The sign-in example failed: {error}");
            ExitCode::FAILURE
        }
    }
}
