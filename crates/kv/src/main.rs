//! The `kv` binary: the real system handed to [`kv::run`].

use std::io::IsTerminal;
use std::process::ExitCode;

use credential_core::ProviderContext;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut stdin = tokio::io::stdin();
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let stdout_is_terminal = stdout.is_terminal();
    let stderr_is_terminal = stderr.is_terminal();
    let io = kv::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_terminal,
        stderr_is_terminal,
        log: tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr),
    };
    ExitCode::from(kv::run(std::env::args_os().collect(), ProviderContext::system(), io).await)
}
