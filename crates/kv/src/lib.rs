//! `kv`: a command-line tool for Azure Key Vault secrets, signed in through
//! [`credential_default::DefaultAzureCredential`].
//!
//! ```text
//! kv secret set NAME VALUE|- [--file PATH] [--content-type CT] [--tags k=v,...]
//!               [--expires RFC3339] [--not-before RFC3339] [--enabled true|false]
//! kv secret show NAME [--version V] [--value-only]
//! kv secret rotate NAME [--length N] [--alphabet alphanumeric|printable|hex]
//!               [--copy-properties] [--expires-in 90d] [--disable-previous] [--show-value]
//! kv secret update NAME [--version V] [property options as for set]
//! kv secret list | list-versions NAME | list-deleted   [--max-page-size N]
//! kv secret delete NAME | show-deleted NAME | recover NAME | purge NAME
//! kv secret backup NAME --file PATH | restore --file PATH
//! kv batch          (one JSON array of arguments per line of standard input)
//! kv auth status [--scope SCOPE]
//! kv run [--secret VAR=NAME[@VERSION]]... [--env-file FILE] -- PROGRAM ARGS...
//! kv export [--prefix PREFIX] [--format dotenv|json]
//! kv completions SHELL
//! kv cache clear    (empty kv's persistent token cache)
//! ```
//!
//! Global options: `--vault-url URL`, `--vault-name NAME` (public cloud;
//! default `AZURE_KEYVAULT_URL`), `--credential KIND` (one link of the
//! default chain, as `AZURE_TOKEN_CREDENTIALS`), `--output json|table`
//! (default: a table when standard output is a terminal, JSON otherwise),
//! `--debug` (logs on standard error; `RUST_LOG` chooses finer, e.g.
//! `RUST_LOG=trace` or `RUST_LOG=kv=debug,credential_core=trace`),
//! `--no-token-cache`.
//!
//! Tokens are kept between runs in a persistent cache named `kv` (see
//! [`token_cache`]): a second run while the token is valid starts no `az`.
//!
//! # Seeing what kv does
//! - `--debug` logs each HTTP request and response (method, URL with only
//!   the `api-version` query value, status, request ids, duration), the
//!   server's `Retry-After`, retries and their waits, the credential chain's
//!   attempts, and the vault's authentication challenge. Never a secret
//!   value, token, client secret or assertion: bodies and `Authorization`
//!   are not logged (a request says only `authorized=true`).
//! - `kv auth status` says which credential signs in, why each earlier link
//!   of the chain was skipped (one line each), and what the token says:
//!   tenant, object id, user principal name or app id, expiry (the token is
//!   never printed). Exit status 0 when signed in; 1 (code `NotSignedIn`)
//!   otherwise, with every attempt and the fix (`az login`, which
//!   variables).
//! - Delete and recover show a spinner with the elapsed time on standard
//!   error when it is a terminal, nothing otherwise.
//!
//! # Values for scripts and programs
//! - `secret show NAME --value-only` prints the value alone, byte for byte,
//!   with no trailing newline: `$(kv secret show db --value-only)`. Errors
//!   go to standard error (`kv: error: ...`). Refused in `kv batch`.
//! - `secret rotate NAME` sets a new version of an existing secret with a
//!   value from the operating system's secure random generator (uniform over
//!   the alphabet), optionally copying the content type and tags, with an
//!   expiry (`--expires-in`), and disabling the previous version; it prints
//!   the new version's properties, `previousVersion` and `previousDisabled`,
//!   and the value only with `--show-value`.
//! - `kv run` reads every mapped secret first (a missing, disabled or
//!   forbidden one stops it before the program starts, naming the variable
//!   and the secret), then starts the program directly (no shell; the
//!   arguments are passed as given) with kv's environment plus the mapped
//!   variables and the standard streams inherited. Its exit status becomes
//!   kv's (128 + N when signal N ended it); 127 when the program is not
//!   found, 126 when it cannot be started; kv's own errors go to standard
//!   error with status 1 (2 for usage). An interrupt (Ctrl-C, which a
//!   terminal sends to both) does not end kv: it waits for the program and
//!   gives its status. Other signals are not forwarded.
//! - `kv export` prints the enabled secrets (with `--prefix`, those whose
//!   name starts with it, the prefix dropped) as dotenv lines (`KEY='value'`,
//!   the key upper case with `-` as `_`; values with `'` or line breaks in
//!   double quotes with `\`, `"`, `$`, `\n`, `\r` escaped) or one JSON
//!   object keyed by name, with a warning on standard error that values are
//!   being printed, and a line for each disabled secret skipped.
//!
//! Every operation prints one JSON object on standard output,
//! `{"ok":true,"result":...}` or
//! `{"ok":false,"error":{"message","statusCode","code"}}`; secrets use the
//! Azure SDKs' camelCase names and RFC 3339 times. Exit status: 0 when every
//! operation succeeded, 1 when one failed, 2 for a usage error.
//!
//! The program is [`run`]: it takes the arguments, a
//! [`credential_core::ProviderContext`] (environment, files, clock, HTTP,
//! processes) and the standard streams, so everything but `main` is
//! testable without the real system.
//!
//! # Where we differ on purpose from `az keyvault secret`
//! - **Output** is one `{"ok":...}` envelope per operation (also for
//!   errors, on standard output), not the bare object, so a script can tell
//!   success from failure line by line in `kv batch`.
//! - **`VALUE` `-`** reads standard input and drops **one** trailing newline
//!   (so `echo value | kv secret set NAME -` stores `value`); `--file` is
//!   read exactly, as UTF-8 (az's `--file` also knows base64/binary
//!   encodings; kv does not).
//! - **`backup --file`** refuses to overwrite an existing file and creates
//!   the file readable by its owner only.
//! - **`delete` and `recover` wait** until the operation is done (az returns
//!   at once).
//! - **Usage errors** (clap's) go to standard error only, with status 2; a
//!   missing vault is a usage error printed as an operation error (status 2).
//!   In `kv batch`, a line that does not parse is a failed operation
//!   (status 1 at the end) and the batch carries on; `secret set NAME -` is
//!   refused there (standard input holds the operations).
//! - **Errors a user can act on** (wrong vault URL, no credential, 403,
//!   not found) say what to do (with `--output table`, on standard error); `code` is the vault's error code or kv's own
//!   (`UsageError`, `InvalidVaultUrl`, `VaultUnreachable`, `NotKeyVault`,
//!   `CredentialUnavailable`, `AuthenticationFailed`,
//!   `InvalidCredentialConfiguration`, `InvalidInput`, `FileError`).

mod app;
pub mod args;
pub mod auth;
pub mod batch;
pub mod error;
pub mod export;
pub mod generate;
pub mod ops;
pub mod output;
pub mod progress;
pub mod runner;
pub mod token_cache;
pub mod trace;
pub mod vault;

pub use app::{
    EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io, KV_POLL_INTERVAL_MS, connect, credential,
    credential_context, run,
};
pub use args::Cli;
pub use error::KvError;
