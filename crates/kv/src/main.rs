//! The `kv` binary: the real system handed to [`kv::run`].

use std::io::IsTerminal;
use std::process::ExitCode;

use credential_core::ProviderContext;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut stdin = tokio::io::stdin();
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let stderr_is_terminal = stderr.is_terminal();
    let io = kv::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stderr_is_terminal,
    };
    ExitCode::from(kv::run(std::env::args_os().collect(), ProviderContext::system(), io).await)
}
