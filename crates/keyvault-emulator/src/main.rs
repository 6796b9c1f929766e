//! `keyvault-emulator [--bind ADDR] [--port N] [--tls [--cert-out FILE]]
//! [--advertised-host NAME] [--vault NAME]... [--seed FILE] [--data-dir DIR]
//! [--allow CLIENT=ops]... [--clock-offset SECONDS]`: runs a local Key Vault
//! emulator, prints the environment variables that point an application at
//! it (and, with `--tls`, the lines each SDK needs to trust its
//! certificate), and stops cleanly on Ctrl-C.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use keyvault_emulator::{Emulator, parse_rule};

/// A local Azure Key Vault (secrets) emulator with its own token issuer.
#[derive(Debug, Parser)]
#[command(name = "keyvault-emulator", version, about)]
struct Args {
    /// The address to listen on. Anything but loopback opens the vault to
    /// the network (use 0.0.0.0 inside a container).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: IpAddr,
    /// The port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve HTTPS with a self-signed certificate (written to a PEM file to trust).
    #[arg(long)]
    tls: bool,
    /// Where to write the TLS certificate (PEM); with --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert_out: Option<PathBuf>,
    /// The host name clients reach the emulator by (used in ids, the
    /// challenge and the certificate), e.g. `kv-emulator` in docker compose.
    #[arg(long, value_name = "NAME", default_value = "127.0.0.1")]
    advertised_host: String,
    /// Also serve a vault with this name at any host `NAME.<domain>`
    /// (repeatable). `NAME.vault.localhost` works without it.
    #[arg(long = "vault", value_name = "NAME")]
    vaults: Vec<String>,
    /// Load these secrets at start (JSON, or TOML when FILE ends in .toml;
    /// see docs/emulator.md).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Keep the vault in this directory across restarts (in memory otherwise).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Limit a client to some operations, e.g. `--allow reader-id=get,list`
    /// (repeatable; clients without a rule may do everything).
    #[arg(long = "allow", value_name = "CLIENT=OPS", value_parser = parse_rule)]
    access_rules: Vec<(String, Vec<keyvault_emulator::Operation>)>,
    /// Start the vault's clock (secret dates, purges; not tokens) this many
    /// seconds ahead (move it later with `POST /admin/clock`).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    clock_offset: u64,
}

/// Quotes a value for a POSIX shell `export` line.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Registers for Ctrl-C (SIGINT) now and returns the wait for it.
fn ctrl_c_listener() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            interrupt.recv().await;
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = Emulator::builder()
        .bind(args.bind)
        .port(args.port)
        .tls(args.tls)
        .advertised_host(&args.advertised_host)
        .clock_offset(Duration::from_secs(args.clock_offset));
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(seed) = &args.seed {
        builder = builder.seed_file(seed);
    }
    for name in &args.vaults {
        builder = builder.vault(name);
    }
    for (client, ops) in &args.access_rules {
        builder = builder.allow(client, ops.iter().copied());
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "keyvault-emulator: warning: listening on {}: the vault and its well-known credentials are open to the network",
            args.bind
        );
    }
    // Listen for Ctrl-C before announcing readiness, so an early Ctrl-C
    // still stops the emulator cleanly.
    let interrupted = match ctrl_c_listener() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("keyvault-emulator: cannot listen for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
    };
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
        let path = match (&args.cert_out, &args.data_dir) {
            (Some(path), _) => path.clone(),
            (None, Some(dir)) => dir.join("tls-cert.pem"),
            (None, None) => std::env::temp_dir().join(format!(
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
        let path = shell_quote(&path.display().to_string());
        println!(
            "# TLS certificate (self-signed; trust it as a root), for Rust/OpenSSL, Python and Node:"
        );
        println!("export SSL_CERT_FILE={path}");
        println!("export REQUESTS_CA_BUNDLE={path}");
        println!("export NODE_EXTRA_CA_CERTS={path}");
    }
    println!(
        "# Admin: {0}/admin/clock (POST {{\"advanceSeconds\": N}}), {0}/admin/faults",
        emulator.vault_url()
    );
    println!("# Press Ctrl-C to stop.");
    interrupted.await;
    eprintln!("keyvault-emulator: stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
