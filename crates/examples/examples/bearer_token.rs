//! A bearer token provider for non-Azure clients. Run:
//! `cargo run -p examples --example bearer_token`
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in;
//! without it, a local Key Vault emulator.

use std::process::ExitCode;

use credential_core::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let mut out = std::io::stdout();
    match examples::bearer_token::run(&Env::real(), &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("The bearer token example failed: {error}");
            ExitCode::FAILURE
        }
    }
}
