//! `kv`: a command-line tool for Azure Key Vault secrets, signed in through
//! [`credential_default::DefaultAzureCredential`].
//!
//! ```text
//! kv secret set NAME VALUE|- [--file PATH] [--content-type CT] [--tags k=v,...]
//!               [--expires RFC3339] [--not-before RFC3339] [--enabled true|false]
//! kv secret show NAME [--version V]
//! kv secret update NAME [--version V] [property options as for set]
//! kv secret list | list-versions NAME | list-deleted   [--max-page-size N]
//! kv secret delete NAME | show-deleted NAME | recover NAME | purge NAME
//! kv secret backup NAME --file PATH | restore --file PATH
//! kv batch          (one JSON array of arguments per line of standard input)
//! kv completions SHELL
//! kv cache clear    (empty kv's persistent token cache)
//! ```
//!
//! Global options: `--vault-url URL`, `--vault-name NAME` (public cloud;
//! default `AZURE_KEYVAULT_URL`), `--credential KIND` (one link of the
//! default chain, as `AZURE_TOKEN_CREDENTIALS`), `--output json|table`,
//! `--no-token-cache`.
//!
//! Tokens are kept between runs in a persistent cache named `kv` (see
//! [`token_cache`]): a second run while the token is valid starts no `az`.
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
//!   not found) say what to do; `code` is the vault's error code or kv's own
//!   (`UsageError`, `InvalidVaultUrl`, `VaultUnreachable`, `NotKeyVault`,
//!   `CredentialUnavailable`, `AuthenticationFailed`,
//!   `InvalidCredentialConfiguration`, `InvalidInput`, `FileError`).

mod app;
pub mod args;
pub mod batch;
pub mod error;
pub mod ops;
pub mod output;
pub mod token_cache;
pub mod vault;

pub use app::{
    EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io, KV_POLL_INTERVAL_MS, connect, credential_context, run,
};
pub use args::Cli;
pub use error::KvError;
