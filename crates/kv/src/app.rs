//! [`run`]: the whole program, with the environment, files, clock, HTTP
//! client, processes and standard streams given to it.

use std::ffi::OsString;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use credential_core::{CredentialError, PersistentTokenCache, ProviderContext};
use credential_default::{AZURE_TOKEN_CREDENTIALS, DefaultAzureCredential};
use keyvault_secrets::{DEFAULT_POLL_INTERVAL, SecretClient};
use serde_json::Value;
use tokio::io::AsyncRead;
use tracing::instrument::WithSubscriber;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::args::{
    AuthCommand, Cli, Command, ExportFormat, GlobalArgs, OutputFormat, RunArgs, SecretCommand,
};
use crate::error::KvError;
use crate::ops::{self, Progress, Session, Stdin};
use crate::token_cache;
use crate::trace::{self, LoggedHttpClient};
use crate::{auth, batch, export, output, runner, vault};

/// The environment variable for the poll interval of delete and recover,
/// in milliseconds (for tests and slow vaults; `--poll-interval-ms` wins).
pub const KV_POLL_INTERVAL_MS: &str = "KV_POLL_INTERVAL_MS";

/// Exit status: every operation succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit status: an operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the command line (or a required option) was wrong.
pub const EXIT_USAGE: u8 = 2;

/// The standard streams of a run.
pub struct Io<'a> {
    /// Standard input (values for `set NAME -`, operations for `batch`).
    pub stdin: &'a mut (dyn AsyncRead + Unpin + Send),
    /// Standard output (results).
    pub stdout: &'a mut (dyn Write + Send),
    /// Standard error (usage errors, table-mode errors, warnings).
    pub stderr: &'a mut (dyn Write + Send),
    /// Whether standard output is a terminal (then the default output is a
    /// table).
    pub stdout_is_terminal: bool,
    /// Whether standard error is a terminal (a spinner is shown only then).
    pub stderr_is_terminal: bool,
    /// Where `--debug` and `RUST_LOG` logs go (standard error).
    pub log: BoxMakeWriter,
}

/// Runs kv with these arguments (the first is the program name) and
/// returns the exit status.
pub async fn run(argv: Vec<OsString>, ctx: ProviderContext, io: Io<'_>) -> u8 {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return if e.use_stderr() {
                let _ = write!(io.stderr, "{text}");
                EXIT_USAGE
            } else {
                let _ = write!(io.stdout, "{text}");
                EXIT_OK
            };
        }
    };
    let format = cli.global.output.unwrap_or(if io.stdout_is_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    });
    let filter = match trace::filter(cli.global.debug, &ctx.env) {
        Ok(filter) => filter,
        Err(e) => return finish(format, &Err(e), io.stdout, io.stderr),
    };
    let http = LoggedHttpClient::wrap(Arc::clone(&ctx.http), Arc::clone(&ctx.clock));
    let ctx = ctx.with_http(http);
    let streams = Streams {
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        // No spinner between log lines.
        stderr_is_terminal: io.stderr_is_terminal && filter.is_none(),
    };
    match filter {
        Some(filter) => {
            dispatch_command(cli, format, ctx, streams)
                .with_subscriber(trace::subscriber(filter, io.log))
                .await
        }
        None => dispatch_command(cli, format, ctx, streams).await,
    }
}

/// The streams a command uses.
struct Streams<'a> {
    stdin: &'a mut (dyn AsyncRead + Unpin + Send),
    stdout: &'a mut (dyn Write + Send),
    stderr: &'a mut (dyn Write + Send),
    stderr_is_terminal: bool,
}

async fn dispatch_command(
    cli: Cli,
    format: OutputFormat,
    ctx: ProviderContext,
    io: Streams<'_>,
) -> u8 {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kv", io.stdout);
            EXIT_OK
        }
        Command::Secret {
            command:
                SecretCommand::Show {
                    name,
                    version,
                    value_only: true,
                },
        } => {
            let cache = token_cache::open(&cli.global, &ctx, io.stderr);
            let outcome = match connect(&cli.global, ctx, cache) {
                Ok(session) => ops::value(&session, &name, version).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(value) => {
                    let written = io
                        .stdout
                        .write_all(value.as_bytes())
                        .and_then(|()| io.stdout.flush());
                    if written.is_ok() {
                        EXIT_OK
                    } else {
                        EXIT_FAILED
                    }
                }
                Err(e) => fail_on_stderr(&e, io.stderr),
            }
        }
        Command::Cache { command } => {
            let outcome = token_cache::run(command, &ctx).await;
            finish(format, &outcome, io.stdout, io.stderr)
        }
        Command::Secret { command } => {
            let cache = token_cache::open(&cli.global, &ctx, io.stderr);
            let outcome = match connect(&cli.global, ctx, cache) {
                Ok(session) => {
                    let mut progress = Progress::new(io.stderr_is_terminal);
                    ops::execute(&session, command, Stdin::Reader(io.stdin), &mut progress).await
                }
                Err(e) => Err(e),
            };
            finish(format, &outcome, io.stdout, io.stderr)
        }
        Command::Batch => match connect(
            &cli.global,
            ctx.clone(),
            token_cache::open(&cli.global, &ctx, io.stderr),
        ) {
            Ok(session) => {
                let ran = batch::run(
                    &session,
                    format,
                    io.stdin,
                    io.stdout,
                    io.stderr,
                    io.stderr_is_terminal,
                )
                .await;
                match ran {
                    Ok(true) => EXIT_OK,
                    Ok(false) => EXIT_FAILED,
                    Err(e) => {
                        let _ = writeln!(io.stderr, "kv: cannot read or write the batch: {e}");
                        EXIT_FAILED
                    }
                }
            }
            Err(e) => finish(format, &Err(e), io.stdout, io.stderr),
        },
        Command::Auth {
            command: AuthCommand::Status { scope },
        } => {
            let mut progress = Progress::new(io.stderr_is_terminal);
            progress.start("Signing in");
            let outcome = auth::status(&cli.global, ctx, &scope).await;
            progress.finish();
            finish(format, &outcome, io.stdout, io.stderr)
        }
        Command::Run(args) => run_program(&cli.global, ctx, &args, io.stderr).await,
        Command::Export { prefix, format } => {
            let prefix = prefix.unwrap_or_default();
            export_secrets(&cli.global, ctx, &prefix, format, io.stdout, io.stderr).await
        }
    }
}

/// `kv run`: reads the mapped secrets, then runs the program and gives its
/// exit status.
async fn run_program(
    global: &GlobalArgs,
    ctx: ProviderContext,
    args: &RunArgs,
    stderr: &mut (dyn Write + Send),
) -> u8 {
    let cache = token_cache::open(global, &ctx, stderr);
    let session = match connect(global, ctx, cache) {
        Ok(session) => session,
        Err(e) => return fail_on_stderr(&e, stderr),
    };
    let vars = match runner::mappings(&session, &args.secrets, args.env_file.as_deref()).await {
        Ok(mappings) => runner::read_all(&session, &mappings).await,
        Err(e) => Err(e),
    };
    match vars {
        Ok(vars) => match runner::launch(&args.command, vars).await {
            Ok(code) => code,
            Err((code, e)) => {
                fail_on_stderr(&e, stderr);
                code
            }
        },
        Err(e) => fail_on_stderr(&e, stderr),
    }
}

/// `kv export`: the values on standard output, a warning on standard error.
async fn export_secrets(
    global: &GlobalArgs,
    ctx: ProviderContext,
    prefix: &str,
    format: ExportFormat,
    stdout: &mut (dyn Write + Send),
    stderr: &mut (dyn Write + Send),
) -> u8 {
    let cache = token_cache::open(global, &ctx, stderr);
    let exported = match connect(global, ctx, cache) {
        Ok(session) => export::export(&session, prefix, format).await,
        Err(e) => Err(e),
    };
    let exported = match exported {
        Ok(exported) => exported,
        Err(e) => return fail_on_stderr(&e, stderr),
    };
    let _ = writeln!(
        stderr,
        "kv: warning: printing the values of {} secrets on standard output; \
         keep them out of logs and shell history",
        exported.count
    );
    for name in &exported.skipped {
        let _ = writeln!(stderr, "kv: skipped disabled secret '{name}'");
    }
    match stdout
        .write_all(exported.text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_FAILED,
    }
}

/// Prints an error on standard error only (standard output belongs to a
/// value, an export or the program of `kv run`) and says the exit status.
fn fail_on_stderr(error: &KvError, stderr: &mut (dyn Write + Send)) -> u8 {
    let _ = writeln!(stderr, "kv: error: {}", output::describe(error));
    if error.usage { EXIT_USAGE } else { EXIT_FAILED }
}

/// Prints the outcome and says the exit status.
fn finish(
    format: OutputFormat,
    outcome: &Result<Value, KvError>,
    stdout: &mut (dyn Write + Send),
    stderr: &mut (dyn Write + Send),
) -> u8 {
    let printed = output::print(format, outcome, stdout, stderr);
    match (outcome, printed) {
        (_, Err(_)) => EXIT_FAILED,
        (Ok(_), Ok(())) => EXIT_OK,
        (Err(e), Ok(())) if e.usage => EXIT_USAGE,
        (Err(_), Ok(())) => EXIT_FAILED,
    }
}

/// The poll interval: `--poll-interval-ms`, else `KV_POLL_INTERVAL_MS`, else 2 s.
fn poll_interval(global: &GlobalArgs, ctx: &ProviderContext) -> Result<Duration, KvError> {
    if let Some(ms) = global.poll_interval_ms {
        return Ok(Duration::from_millis(ms));
    }
    match ctx.env.get(KV_POLL_INTERVAL_MS) {
        None => Ok(DEFAULT_POLL_INTERVAL),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                KvError::usage(format!(
                    "{KV_POLL_INTERVAL_MS} must be a number of milliseconds, not '{text}'"
                ))
            }),
    }
}

/// The context the credential sees: `--credential` becomes
/// `AZURE_TOKEN_CREDENTIALS` (over any value in the environment).
pub fn credential_context(global: &GlobalArgs, ctx: ProviderContext) -> ProviderContext {
    match &global.credential {
        Some(pick) => {
            let env = ctx
                .env
                .with_var(AZURE_TOKEN_CREDENTIALS, pick.to_ascii_lowercase());
            ctx.with_env(env)
        }
        None => ctx,
    }
}

/// The credential: `DefaultAzureCredential`, narrowed by `--credential`.
///
/// # Errors
/// An `InvalidCredentialConfiguration` [`KvError`] when the credential
/// cannot be set up (an invalid `AZURE_TOKEN_CREDENTIALS`, for instance).
pub fn credential(
    global: &GlobalArgs,
    ctx: ProviderContext,
) -> Result<DefaultAzureCredential, KvError> {
    credential_with_cache(global, ctx, None)
}

/// The credential, with the persistent token cache if there is one.
fn credential_with_cache(
    global: &GlobalArgs,
    ctx: ProviderContext,
    cache: Option<PersistentTokenCache>,
) -> Result<DefaultAzureCredential, KvError> {
    let mut builder =
        DefaultAzureCredential::builder().with_context(credential_context(global, ctx));
    if let Some(cache) = cache {
        builder = builder.with_persistent_token_cache(cache);
    }
    builder.build().map_err(|e| construction_error(&e))
}

/// The vault, the credential (with the persistent token cache, if any) and
/// the client: one of each per run.
///
/// # Errors
/// A [`KvError`] when no vault is named or its URL is invalid, the
/// credential cannot be set up, or the client cannot be built.
pub fn connect(
    global: &GlobalArgs,
    ctx: ProviderContext,
    cache: Option<PersistentTokenCache>,
) -> Result<Session, KvError> {
    let url = vault::resolve(global, &ctx.env)?;
    let interval = poll_interval(global, &ctx)?;
    let credential = credential_with_cache(global, ctx.clone(), cache)?;
    let client = SecretClient::builder(url.clone(), credential)
        .with_http_client(Arc::clone(&ctx.http))
        .with_poll_interval(interval)
        .build()
        .map_err(|e| vault::invalid_url(&url, &e))?;
    Ok(Session {
        client,
        fs: ctx.fs.clone(),
        poll_interval: interval,
        clock: Arc::clone(&ctx.clock),
    })
}

fn construction_error(error: &CredentialError) -> KvError {
    KvError::new(
        "InvalidCredentialConfiguration",
        format!(
            "cannot set up DefaultAzureCredential: {}. Check {AZURE_TOKEN_CREDENTIALS} \
             and --credential",
            crate::error::report(error)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_core::Env;

    async fn run_with(args: &[&str], env: Env, stdin: &[u8]) -> (u8, String, String) {
        run_on(args, env, stdin, false).await
    }

    async fn run_on(
        args: &[&str],
        env: Env,
        stdin: &[u8],
        stdout_is_terminal: bool,
    ) -> (u8, String, String) {
        let mut argv = vec![OsString::from("kv")];
        argv.extend(args.iter().map(OsString::from));
        let ctx = ProviderContext::isolated().with_env(env);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut input = stdin;
        let code = run(
            argv,
            ctx,
            Io {
                stdin: &mut input,
                stdout: &mut out,
                stderr: &mut err,
                stdout_is_terminal,
                stderr_is_terminal: false,
                log: BoxMakeWriter::new(std::io::sink),
            },
        )
        .await;
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[tokio::test]
    async fn usage_errors_exit_2_on_stderr() {
        let (code, out, err) = run_with(&["secret", "frobnicate"], Env::empty(), b"").await;
        assert_eq!(code, EXIT_USAGE);
        assert!(out.is_empty());
        assert!(err.contains("frobnicate"), "{err}");
    }

    #[tokio::test]
    async fn help_goes_to_stdout_with_status_0() {
        let (code, out, _) = run_with(&["--help"], Env::empty(), b"").await;
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("secret"));
        assert!(out.contains("batch"));
    }

    #[tokio::test]
    async fn no_vault_is_a_usage_error_in_json() {
        let (code, out, _) = run_with(&["secret", "list"], Env::empty(), b"").await;
        assert_eq!(code, EXIT_USAGE);
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["code"], "UsageError");
    }

    #[tokio::test]
    async fn a_terminal_gets_a_table_unless_output_says_json() {
        let (code, out, err) = run_on(&["secret", "list"], Env::empty(), b"", true).await;
        assert_eq!(code, EXIT_USAGE);
        assert!(out.is_empty());
        assert!(err.starts_with("error: which vault?"), "{err}");
        let (_, out, _) = run_on(
            &["--output", "json", "secret", "list"],
            Env::empty(),
            b"",
            true,
        )
        .await;
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["error"]["code"], "UsageError");
    }

    #[tokio::test]
    async fn malformed_vault_url_exits_1() {
        let (code, out, _) = run_with(
            &["--vault-url", "ftp://example.com", "secret", "list"],
            Env::empty(),
            b"",
        )
        .await;
        assert_eq!(code, EXIT_FAILED);
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["error"]["code"], "InvalidVaultUrl");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ftp://example.com")
        );
    }

    #[tokio::test]
    async fn bad_poll_interval_env_is_a_usage_error() {
        let env = Env::from_pairs([
            ("AZURE_KEYVAULT_URL", "https://x.vault.azure.net"),
            (KV_POLL_INTERVAL_MS, "soon"),
        ]);
        let (code, out, _) = run_with(&["secret", "list"], env, b"").await;
        assert_eq!(code, EXIT_USAGE);
        assert!(out.contains(KV_POLL_INTERVAL_MS));
    }

    #[tokio::test]
    async fn completions_print_a_script() {
        let (code, out, _) = run_with(&["completions", "bash"], Env::empty(), b"").await;
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("_kv()"), "{out}");
        assert!(out.contains("list-deleted"));
    }

    #[test]
    fn credential_flag_becomes_the_selection_variable() {
        let cli =
            Cli::try_parse_from(["kv", "--credential", "AzureCliCredential", "secret", "list"])
                .unwrap();
        let ctx = credential_context(
            &cli.global,
            ProviderContext::isolated()
                .with_env(Env::from_pairs([(AZURE_TOKEN_CREDENTIALS, "prod")])),
        );
        assert_eq!(
            ctx.env.get(AZURE_TOKEN_CREDENTIALS).as_deref(),
            Some("azureclicredential")
        );
    }

    #[tokio::test]
    async fn invalid_selection_in_the_environment_is_reported() {
        let env = Env::from_pairs([
            ("AZURE_KEYVAULT_URL", "https://x.vault.azure.net"),
            (AZURE_TOKEN_CREDENTIALS, "everything"),
        ]);
        let (code, out, _) = run_with(&["secret", "list"], env, b"").await;
        assert_eq!(code, EXIT_FAILED);
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["error"]["code"], "InvalidCredentialConfiguration");
    }
}
