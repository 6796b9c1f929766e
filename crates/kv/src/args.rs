//! The command line, as clap parses it: global options, the `secret`
//! commands, `batch`, `completions`, and the lines of a batch.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The values `--credential` accepts, listed in `--help`: those of
/// `AZURE_TOKEN_CREDENTIALS`, from `credential_default` (`dev`, `prod`, and
/// each `CredentialKind`'s name).
fn credential_values() -> PossibleValuesParser {
    PossibleValuesParser::new(credential_default::token_credentials_values())
}

/// `kv`: Key Vault secrets from a terminal or a script.
#[derive(Debug, Parser)]
#[command(
    name = "kv",
    version,
    about = "Key Vault secrets from a terminal or a script, signed in through DefaultAzureCredential",
    after_help = "Output: one JSON object per operation on standard output \
                  ({\"ok\":true,\"result\":...} or {\"ok\":false,\"error\":...}).\n\
                  Exit status: 0 when every operation succeeded, 1 when one failed, 2 for a usage error."
)]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every command (given before or after it).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The vault URL, e.g. https://myvault.vault.azure.net (default: AZURE_KEYVAULT_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub vault_url: Option<String>,
    /// The vault name in the public cloud (https://NAME.vault.azure.net).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "vault_url")]
    pub vault_name: Option<String>,
    /// Use one link of DefaultAzureCredential (the values of AZURE_TOKEN_CREDENTIALS).
    #[arg(
        long,
        global = true,
        value_name = "CREDENTIAL",
        ignore_case = true,
        value_parser = credential_values()
    )]
    pub credential: Option<String>,
    /// How results are printed (default: table when standard output is a
    /// terminal, JSON otherwise).
    #[arg(long, global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// Log what kv does to standard error: each HTTP request and response,
    /// retries, the credential chain's attempts and challenge handling
    /// (RUST_LOG, e.g. RUST_LOG=trace or RUST_LOG=credential_core=trace,
    /// chooses finer; never secret values or tokens).
    #[arg(long, global = true)]
    pub debug: bool,
    /// The interval between two polls of delete and recover, in milliseconds
    /// (default 2000, or KV_POLL_INTERVAL_MS).
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub poll_interval_ms: Option<u64>,
    /// Sign in afresh: neither read nor write kv's persistent token cache.
    #[arg(long, global = true)]
    pub no_token_cache: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per operation.
    Json,
    /// A readable table.
    Table,
}

/// A top-level command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with secrets.
    Secret {
        /// The secret command.
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Run many operations with one sign-in: one JSON array of arguments per
    /// line of standard input, e.g. ["secret","show","db-password"] or ["sleep","2"].
    Batch,
    /// Who kv signs in as.
    Auth {
        /// The auth command.
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Run a program with secrets in its environment:
    /// kv run --secret DB_PASSWORD=db-password -- ./my-app args...
    Run(RunArgs),
    /// Print the enabled secrets (optionally those whose name starts with a
    /// prefix) for other tools, as dotenv lines or one JSON object.
    Export {
        /// Only secrets whose name starts with this (it is dropped from the keys).
        #[arg(long, value_name = "PREFIX")]
        prefix: Option<String>,
        /// The format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Dotenv)]
        format: ExportFormat,
    },
    /// Manage kv's persistent token cache.
    Cache {
        /// The cache command.
        #[command(subcommand)]
        command: crate::token_cache::CacheCommand,
    },
    /// Print a completion script for a shell.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `kv auth` commands.
#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum AuthCommand {
    /// Which credential signs in, why the earlier ones were skipped, and who
    /// the token says you are (never the token). Exit status 1 when no
    /// credential signs in.
    Status {
        /// The scope to ask a token for.
        #[arg(long, default_value = DEFAULT_SCOPE)]
        scope: String,
    },
}

/// Key Vault's scope in the public cloud.
pub const DEFAULT_SCOPE: &str = "https://vault.azure.net/.default";

/// `kv run`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct RunArgs {
    /// VAR=secret-name or VAR=secret-name@VERSION (repeatable).
    #[arg(long = "secret", value_name = "VAR=NAME[@VERSION]")]
    pub secrets: Vec<String>,
    /// A file of VAR=secret-name or VAR=secret-name@VERSION lines (# comments and blank lines skipped).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The program and its arguments, passed as given (no shell).
    #[arg(required = true, last = true, value_name = "PROGRAM")]
    pub command: Vec<std::ffi::OsString>,
}

/// `kv export` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `KEY='value'` lines (KEY: the name without the prefix, upper case, `-` as `_`).
    Dotenv,
    /// One JSON object, name (without the prefix) to value.
    Json,
}

/// The characters `secret rotate` draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Alphabet {
    /// A-Z, a-z, 0-9.
    Alphanumeric,
    /// Alphanumeric plus the printable ASCII punctuation.
    Printable,
    /// 0-9, a-f.
    Hex,
}

/// One operation on secrets.
#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum SecretCommand {
    /// Create a secret, or a new version of it.
    Set {
        /// The secret's name.
        name: String,
        /// The value; `-` reads it from standard input (one trailing newline is dropped).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        value: Option<String>,
        /// Read the value from this file (exactly, as UTF-8).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Properties of the new version.
        #[command(flatten)]
        properties: PropertyArgs,
    },
    /// Show a secret (the latest version unless --version).
    Show {
        /// The secret's name.
        name: String,
        /// A version.
        #[arg(long)]
        version: Option<String>,
        /// Print the value alone, exactly as stored, with no trailing newline.
        #[arg(long)]
        value_only: bool,
    },
    /// Set a new version with a generated value; prints the new version (not
    /// the value unless --show-value).
    Rotate {
        /// The secret's name (it must exist).
        name: String,
        /// The value's length in characters.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(8..=4096))]
        length: u16,
        /// The characters to draw from.
        #[arg(long, value_enum, default_value_t = Alphabet::Alphanumeric)]
        alphabet: Alphabet,
        /// Copy the content type and tags of the current version.
        #[arg(long)]
        copy_properties: bool,
        /// The new version expires after this long: 90d, 12h, 30m or 3600s.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        expires_in: Option<Duration>,
        /// Disable the version that was current.
        #[arg(long)]
        disable_previous: bool,
        /// Also print the new value.
        #[arg(long)]
        show_value: bool,
    },
    /// Change a version's properties (the latest unless --version).
    Update {
        /// The secret's name.
        name: String,
        /// A version.
        #[arg(long)]
        version: Option<String>,
        /// The properties to change.
        #[command(flatten)]
        properties: PropertyArgs,
    },
    /// List the secrets (latest versions, without values).
    List {
        /// Items per page asked of the vault (1-25).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=25))]
        max_page_size: Option<u32>,
    },
    /// List the versions of a secret.
    ListVersions {
        /// The secret's name.
        name: String,
        /// Items per page asked of the vault (1-25).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=25))]
        max_page_size: Option<u32>,
    },
    /// List the deleted secrets.
    ListDeleted {
        /// Items per page asked of the vault (1-25).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=25))]
        max_page_size: Option<u32>,
    },
    /// Delete a secret and wait until the deletion is done.
    Delete {
        /// The secret's name.
        name: String,
    },
    /// Show a deleted secret.
    ShowDeleted {
        /// The secret's name.
        name: String,
    },
    /// Recover a deleted secret and wait until it is back.
    Recover {
        /// The secret's name.
        name: String,
    },
    /// Permanently delete a deleted secret.
    Purge {
        /// The secret's name.
        name: String,
    },
    /// Write a backup of every version of a secret to a file.
    Backup {
        /// The secret's name.
        name: String,
        /// The file to write (created with owner-only permissions).
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
    },
    /// Restore a secret from a backup file.
    Restore {
        /// The backup file.
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
    },
}

/// The properties `set` and `update` take.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct PropertyArgs {
    /// The content type, e.g. text/plain.
    #[arg(long, value_name = "CT")]
    pub content_type: Option<String>,
    /// Tags as k=v,k2=v2 (an empty string removes every tag on update).
    #[arg(long, value_name = "k=v,...", value_parser = parse_tags)]
    pub tags: Option<Tags>,
    /// When the secret expires (RFC 3339, e.g. 2030-01-01T00:00:00Z).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub expires: Option<OffsetDateTime>,
    /// When the secret becomes usable (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub not_before: Option<OffsetDateTime>,
    /// Whether the secret may be read.
    #[arg(long, value_name = "true|false", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
}

/// Parsed `--tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub HashMap<String, String>);

/// Parses `k=v,k2=v2` (values may be empty and may contain `=`; keys may not
/// be empty nor repeated). An empty string is no tags.
///
/// # Errors
/// What is wrong (an empty or repeated key), for clap to print.
pub fn parse_tags(text: &str) -> Result<Tags, String> {
    let mut tags = HashMap::new();
    for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("the tag '{pair}' is not k=v"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("the tag '{pair}' has no key"));
        }
        if tags.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(format!("the tag '{key}' is given twice"));
        }
    }
    Ok(Tags(tags))
}

/// Parses a duration: a whole number with `d`, `h`, `m` or `s` (`90d`).
///
/// # Errors
/// What is wrong (not a whole number with a known unit), for clap to print.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not a duration like 90d, 12h, 30m or 3600s");
    let unit = text.chars().last().ok_or_else(bad)?;
    let seconds_per = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(bad()),
    };
    let count: u64 = text[..text.len() - 1].parse().map_err(|_| bad())?;
    count
        .checked_mul(seconds_per)
        .filter(|s| *s > 0 && *s <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("'{text}' must be more than 0 and at most 100 years"))
}

/// Parses an RFC 3339 time (`2030-01-01T00:00:00Z`, `...+02:00`).
///
/// # Errors
/// What is wrong (not RFC 3339), for clap to print.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|e| format!("'{text}' is not an RFC 3339 time like 2030-01-01T00:00:00Z ({e})"))
}

/// One line of `kv batch`: a secret operation or a pause.
#[derive(Debug, Parser)]
#[command(
    name = "batch line",
    no_binary_name = true,
    disable_version_flag = true
)]
pub struct BatchLine {
    /// The operation.
    #[command(subcommand)]
    pub op: BatchOp,
}

/// What one batch line asks for.
#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum BatchOp {
    /// A secret operation.
    Secret {
        /// The secret command.
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Pause for some seconds (fractions allowed).
    Sleep {
        /// Seconds, 0 to 3600.
        seconds: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        BatchLine::command().debug_assert();
    }

    #[test]
    fn parses_set_with_every_property() {
        let cli = Cli::try_parse_from([
            "kv",
            "secret",
            "set",
            "db",
            "v",
            "--content-type",
            "text/plain",
            "--tags",
            "a=1,b=x=y",
            "--expires",
            "2030-01-01T00:00:00Z",
            "--not-before",
            "2029-01-01T02:00:00+02:00",
            "--enabled",
            "false",
            "--vault-name",
            "myvault",
        ])
        .unwrap();
        assert_eq!(cli.global.vault_name.as_deref(), Some("myvault"));
        let Command::Secret {
            command:
                SecretCommand::Set {
                    name,
                    value,
                    file,
                    properties,
                },
        } = cli.command
        else {
            panic!("not set");
        };
        assert_eq!(
            (name.as_str(), value.as_deref(), file),
            ("db", Some("v"), None)
        );
        assert_eq!(properties.content_type.as_deref(), Some("text/plain"));
        assert_eq!(properties.tags.unwrap().0["b"], "x=y");
        assert_eq!(properties.expires.unwrap().unix_timestamp(), 1_893_456_000);
        assert_eq!(
            properties.not_before.unwrap().unix_timestamp(),
            1_861_920_000
        );
        assert_eq!(properties.enabled, Some(false));
    }

    #[test]
    fn set_needs_exactly_one_value_source() {
        assert!(Cli::try_parse_from(["kv", "secret", "set", "db"]).is_err());
        assert!(Cli::try_parse_from(["kv", "secret", "set", "db", "v", "--file", "f"]).is_err());
        assert!(Cli::try_parse_from(["kv", "secret", "set", "db", "--file", "f"]).is_ok());
        assert!(Cli::try_parse_from(["kv", "secret", "set", "db", "-"]).is_ok());
    }

    #[test]
    fn refuses_bad_values() {
        for bad in [
            vec!["kv", "secret", "list", "--max-page-size", "26"],
            vec!["kv", "secret", "list", "--max-page-size", "0"],
            vec!["kv", "secret", "update", "a", "--enabled", "yes"],
            vec!["kv", "secret", "update", "a", "--expires", "tomorrow"],
            vec!["kv", "secret", "update", "a", "--tags", "novalue"],
            vec!["kv", "secret", "show", "a", "--credential", "bogus"],
            vec![
                "kv",
                "--vault-url",
                "u",
                "--vault-name",
                "n",
                "secret",
                "list",
            ],
            vec!["kv", "secret", "backup", "a"],
            vec!["kv", "completions", "cmd"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn credential_values_come_from_credential_kind() {
        let command = Cli::command();
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == "credential")
            .unwrap();
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(values[..2], ["dev", "prod"]);
        let kinds: Vec<String> = credential_default::CredentialKind::all()
            .map(|k| k.name().to_ascii_lowercase())
            .collect();
        assert_eq!(values[2..], kinds[..]);
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("azuredeveloperclicredential"), "{help}");
    }

    #[test]
    fn credential_is_case_insensitive() {
        let cli = Cli::try_parse_from([
            "kv",
            "--credential",
            "EnvironmentCredential",
            "secret",
            "list",
        ])
        .unwrap();
        assert_eq!(
            cli.global.credential.unwrap().to_ascii_lowercase(),
            "environmentcredential"
        );
    }

    #[test]
    fn durations_parse() {
        assert_eq!(
            parse_duration("90d").unwrap(),
            Duration::from_secs(90 * 86_400)
        );
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1_800));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        for bad in ["", "d", "90", "9x", "-1d", "0d", "1.5h", "99999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn run_takes_the_program_after_two_dashes() {
        let cli = Cli::try_parse_from([
            "kv", "run", "--secret", "A=a", "--secret", "B=b@v1", "--", "prog", "x y", "--flag",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run");
        };
        assert_eq!(run.secrets, ["A=a", "B=b@v1"]);
        assert_eq!(run.command, ["prog", "x y", "--flag"]);
        assert!(Cli::try_parse_from(["kv", "run", "--secret", "A=a"]).is_err());
    }

    #[test]
    fn tags_parse() {
        assert_eq!(parse_tags("").unwrap(), Tags::default());
        let tags = parse_tags("a=1, b = 2 ,c=").unwrap().0;
        assert_eq!(tags["a"], "1");
        assert_eq!(tags["b"], " 2 ");
        assert_eq!(tags["c"], "");
        assert!(parse_tags("=1").unwrap_err().contains("no key"));
        assert!(parse_tags("a=1,a=2").unwrap_err().contains("twice"));
    }

    #[test]
    fn batch_lines_parse_and_refuse_global_options() {
        let line = BatchLine::try_parse_from(["secret", "show", "db", "--version", "v1"]).unwrap();
        assert_eq!(
            line.op,
            BatchOp::Secret {
                command: SecretCommand::Show {
                    name: "db".into(),
                    version: Some("v1".into()),
                    value_only: false,
                }
            }
        );
        let line = BatchLine::try_parse_from(["sleep", "0.5"]).unwrap();
        assert_eq!(line.op, BatchOp::Sleep { seconds: 0.5 });
        assert!(BatchLine::try_parse_from(["secret", "list", "--vault-url", "x"]).is_err());
        assert!(BatchLine::try_parse_from(["batch"]).is_err());
    }
}
