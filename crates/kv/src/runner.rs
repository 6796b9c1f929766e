//! `kv run`: reads the mapped secrets, then starts a program (no shell,
//! arguments as given) with them in its environment; the program's exit
//! status becomes kv's. A secret that cannot be read (missing, disabled,
//! forbidden) stops kv before the program starts, naming the secret.

use std::ffi::OsString;
use std::path::Path;

use futures::{StreamExt, TryStreamExt};

use crate::error::KvError;
use crate::ops::{self, Session};

/// Exit status when the program cannot be found (as shells do).
pub const EXIT_NOT_FOUND: u8 = 127;
/// Exit status when the program exists but cannot be started (as shells do).
pub const EXIT_CANNOT_START: u8 = 126;

/// One `VAR=secret-name[@VERSION]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The environment variable.
    pub var: String,
    /// The secret's name.
    pub name: String,
    /// The version, if pinned.
    pub version: Option<String>,
}

/// Parses `VAR=secret-name[@VERSION]`; the variable is letters, digits and
/// `_`, not starting with a digit.
///
/// # Errors
/// A usage [`KvError`] for text that is not `VAR=secret-name[@VERSION]` or a
/// variable name that is not letters, digits and `_`.
pub fn parse_mapping(text: &str) -> Result<Mapping, KvError> {
    let bad = |why: &str| {
        KvError::usage(format!(
            "'{text}' is not VAR=secret-name or VAR=secret-name@VERSION: {why}"
        ))
    };
    let (var, secret) = text.trim().split_once('=').ok_or_else(|| bad("no '='"))?;
    let var = var.trim();
    let valid_var = !var.is_empty()
        && !var.starts_with(|c: char| c.is_ascii_digit())
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_var {
        return Err(bad(
            "the variable must be letters, digits and _, not starting with a digit",
        ));
    }
    let (name, version) = match secret.trim().split_once('@') {
        Some((name, version)) if !version.is_empty() => (name, Some(version.to_owned())),
        Some(_) => return Err(bad("the version after '@' is empty")),
        None => (secret.trim(), None),
    };
    if name.is_empty() {
        return Err(bad("the secret name is empty"));
    }
    Ok(Mapping {
        var: var.to_owned(),
        name: name.to_owned(),
        version,
    })
}

/// Parses an env file: one mapping a line; blank lines and lines starting
/// with `#` are skipped. Errors name the file and line.
///
/// # Errors
/// A usage [`KvError`] naming the file and line of the first bad mapping.
pub fn parse_env_file(path: &Path, text: &str) -> Result<Vec<Mapping>, KvError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(i, line)| {
            parse_mapping(line).map_err(|mut e| {
                e.message = format!("{} line {}: {}", path.display(), i + 1, e.message);
                e
            })
        })
        .collect()
}

/// The mappings of `--env-file` then `--secret`; a variable given twice is
/// a usage error.
///
/// # Errors
/// A [`KvError`] when the env file cannot be read or holds a bad mapping, or
/// a usage error for a variable given twice.
pub async fn mappings(
    session: &Session,
    secrets: &[String],
    env_file: Option<&Path>,
) -> Result<Vec<Mapping>, KvError> {
    let mut all = Vec::new();
    if let Some(path) = env_file {
        let text = session.fs.read_to_string(path).await.map_err(|e| {
            KvError::new(
                "FileError",
                format!(
                    "cannot read the env file {}: {e}. Check the path given to --env-file.",
                    path.display()
                ),
            )
        })?;
        all.extend(parse_env_file(path, &text)?);
    }
    for text in secrets {
        all.push(parse_mapping(text)?);
    }
    if all.is_empty() {
        return Err(KvError::usage(
            "no secrets to set: give --secret VAR=secret-name or --env-file FILE",
        ));
    }
    for (i, m) in all.iter().enumerate() {
        if all[..i].iter().any(|earlier| earlier.var == m.var) {
            return Err(KvError::usage(format!(
                "the variable {} is mapped twice",
                m.var
            )));
        }
    }
    Ok(all)
}

/// Reads every mapped secret (a few at a time), in order: `(VAR, value)`.
/// The first failure names the variable and the secret.
///
/// # Errors
/// The first failed read's [`KvError`], naming the variable and the secret.
pub async fn read_all(
    session: &Session,
    mappings: &[Mapping],
) -> Result<Vec<(String, String)>, KvError> {
    futures::stream::iter(mappings)
        .map(|m| async move {
            ops::value(session, &m.name, m.version.clone())
                .await
                .map(|value| (m.var.clone(), value))
                .map_err(|mut e| {
                    e.message = format!(
                        "cannot set {}: {}\nThe program was not started.",
                        m.var, e.message
                    );
                    e
                })
        })
        .buffered(8)
        .try_collect()
        .await
}

/// Starts `command` (program, then arguments) with `vars` added to kv's
/// environment, waits, and gives its exit status (128 + the signal when a
/// signal ended it). The program inherits the standard streams. While it
/// runs, an interrupt (SIGINT) does not end kv: the program gets it too.
///
/// # Errors
/// The exit status kv should end with and a [`KvError`], when the program
/// cannot be started.
#[allow(clippy::disallowed_methods)] // `kv run` exists to start the user's program.
pub async fn launch(
    command: &[OsString],
    vars: Vec<(String, String)>,
) -> Result<u8, (u8, KvError)> {
    let Some((program, args)) = command.split_first() else {
        return Err((
            crate::EXIT_USAGE,
            KvError::usage("give the program to run after --"),
        ));
    };
    // Ctrl-C in a terminal reaches the whole process group: the program
    // decides what to do with it, and kv waits for it and reports its
    // status instead of dying first and leaving it behind.
    #[cfg(unix)]
    let _interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    let started = tokio::process::Command::new(program)
        .args(args)
        .envs(vars)
        .status()
        .await;
    let shown = program.to_string_lossy();
    match started {
        Ok(status) => Ok(exit_code(status)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err((
            EXIT_NOT_FOUND,
            KvError::new(
                "ProgramNotFound",
                format!(
                    "cannot start '{shown}': it was not found. Check the name, or give its path."
                ),
            ),
        )),
        Err(e) => Err((
            EXIT_CANNOT_START,
            KvError::new(
                "CannotStart",
                format!("cannot start '{shown}': {e}. Check that it is an executable file."),
            ),
        )),
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + (signal & 0x7f)).unwrap_or(1);
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse() {
        assert_eq!(
            parse_mapping("DB_PASSWORD=db-password").unwrap(),
            Mapping {
                var: "DB_PASSWORD".into(),
                name: "db-password".into(),
                version: None
            }
        );
        let pinned = parse_mapping(" API_KEY = api-key@0123abc ").unwrap();
        assert_eq!(pinned.var, "API_KEY");
        assert_eq!(pinned.name, "api-key");
        assert_eq!(pinned.version.as_deref(), Some("0123abc"));
        for bad in ["noequals", "=x", "1A=x", "A-B=x", "A=", "A=x@"] {
            let e = parse_mapping(bad).unwrap_err();
            assert!(e.usage, "{bad}");
            assert!(e.message.contains(bad.trim()), "{}", e.message);
        }
    }

    #[test]
    fn env_files_skip_comments_and_name_the_bad_line() {
        let path = Path::new("app.env");
        let all = parse_env_file(path, "# secrets\n\nA=a\n  # indented comment\nB=b@v\n").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].version.as_deref(), Some("v"));
        let e = parse_env_file(path, "A=a\nB\n").unwrap_err();
        assert!(e.message.starts_with("app.env line 2:"), "{}", e.message);
    }
}
