//! The quick-start. Run: `cargo run -p examples --example quickstart`
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in
//! (environment variables, managed identity, `az login`, ...); without it, a
//! local Key Vault emulator.

use std::process::ExitCode;

use credential_core::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let mut out = std::io::stdout();
    match examples::quickstart::run(&Env::real(), &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("The quick-start failed: {error}");
            ExitCode::FAILURE
        }
    }
}
