//! Secrets as application configuration. Run:
//! `cargo run -p examples --example app_config`
//!
//! Seeds a few secrets, loads them into a typed `struct` through figment,
//! changes one and shows the reload. With `AZURE_KEYVAULT_URL` set it uses
//! that vault and your real sign-in; without it, a local Key Vault emulator.

use std::process::ExitCode;

use credential_core::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let mut out = std::io::stdout();
    match examples::app_config::run(&Env::real(), &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("The walkthrough failed: {error}");
            ExitCode::FAILURE
        }
    }
}
