//! The command line, as clap parses it: global options, the `secret`
//! commands, `batch`, `completions`, and the lines of a batch.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The values `--credential` accepts: the same as `AZURE_TOKEN_CREDENTIALS`.
pub const CREDENTIAL_VALUES: [&str; 8] = [
    "dev",
    "prod",
    "environmentcredential",
    "workloadidentitycredential",
    "managedidentitycredential",
    "azureclicredential",
    "azurepowershellcredential",
    "azuredeveloperclicredential",
];

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
        value_parser = PossibleValuesParser::new(CREDENTIAL_VALUES)
    )]
    pub credential: Option<String>,
    /// How results are printed.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
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

/// Parses an RFC 3339 time (`2030-01-01T00:00:00Z`, `...+02:00`).
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
                    version: Some("v1".into())
                }
            }
        );
        let line = BatchLine::try_parse_from(["sleep", "0.5"]).unwrap();
        assert_eq!(line.op, BatchOp::Sleep { seconds: 0.5 });
        assert!(BatchLine::try_parse_from(["secret", "list", "--vault-url", "x"]).is_err());
        assert!(BatchLine::try_parse_from(["batch"]).is_err());
    }
}
