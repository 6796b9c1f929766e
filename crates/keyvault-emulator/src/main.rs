//! `keyvault-emulator [--port N] [--tls] [--data-dir DIR]`: runs a local
//! Key Vault emulator, prints the environment variables that point an
//! application at it, and stops cleanly on Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use keyvault_emulator::Emulator;

/// A local Azure Key Vault (secrets) emulator with its own token issuer.
#[derive(Debug, Parser)]
#[command(name = "keyvault-emulator", version, about)]
struct Args {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve HTTPS with a self-signed certificate (written to a PEM file to trust).
    #[arg(long)]
    tls: bool,
    /// Keep the vault in this directory across restarts (in memory otherwise).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Quotes a value for a POSIX shell `export` line.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = Emulator::builder().port(args.port).tls(args.tls);
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("keyvault-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("# Key Vault emulator listening at {}", emulator.vault_url());
    println!("# Paste these lines into a shell to point an application at it:");
    for (name, value) in emulator.env_vars() {
        println!("export {name}={}", shell_quote(&value));
    }
    if let Some(pem) = emulator.certificate_pem() {
        let path = match &args.data_dir {
            Some(dir) => dir.join("tls-cert.pem"),
            None => std::env::temp_dir().join(format!(
                "keyvault-emulator-{}-cert.pem",
                emulator.local_addr().port()
            )),
        };
        if let Err(e) = std::fs::write(&path, pem) {
            eprintln!(
                "keyvault-emulator: cannot write the certificate to {}: {e}",
                path.display()
            );
            emulator.shutdown().await;
            return ExitCode::FAILURE;
        }
        println!(
            "# TLS certificate (self-signed; trust it as a root): {}",
            path.display()
        );
        println!(
            "export SSL_CERT_FILE={}",
            shell_quote(&path.display().to_string())
        );
    }
    println!("# Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("keyvault-emulator: cannot wait for Ctrl-C: {e}");
    }
    eprintln!("keyvault-emulator: stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
