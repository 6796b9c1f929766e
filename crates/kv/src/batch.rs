//! `kv batch`: one operation per line of standard input (a JSON array of
//! the arguments), one result line per operation, in order, with one
//! client (so one credential and one token cache).

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::args::{BatchLine, BatchOp, OutputFormat, SecretCommand};
use crate::error::KvError;
use crate::ops::{self, Progress, Session, Stdin};
use crate::output;

/// The longest pause `["sleep","S"]` accepts, in seconds.
pub const MAX_SLEEP_SECONDS: f64 = 3600.0;

/// Why `secret set NAME -` is refused in a batch.
const STDIN_TAKEN: &str = "in `kv batch` standard input holds the operations: give the value \
                           in the line or use --file PATH";

/// Parses one line into its operation; a usage error says what is wrong.
///
/// # Errors
/// A usage [`KvError`] for a line that is not a JSON array of strings (or
/// numbers and booleans) that kv's arguments accept.
pub fn parse_line(line: &str) -> Result<BatchOp, KvError> {
    let items: Vec<Value> = serde_json::from_str(line).map_err(|e| {
        KvError::usage(format!(
            "the line is not a JSON array of arguments like [\"secret\",\"show\",\"NAME\"]: {e}"
        ))
    })?;
    let args = items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(KvError::usage(format!(
                "the arguments must be strings, not {other}"
            ))),
        })
        .collect::<Result<Vec<String>, KvError>>()?;
    BatchLine::try_parse_from(args)
        .map(|line| line.op)
        .map_err(|e| KvError::usage(e.render().to_string().trim().to_owned()))
}

/// Runs one batch operation.
///
/// # Errors
/// The operation's [`KvError`].
pub async fn run_op(
    session: &Session,
    op: BatchOp,
    progress: &mut Progress,
) -> Result<Value, KvError> {
    match op {
        BatchOp::Secret {
            command: SecretCommand::Show {
                value_only: true, ..
            },
        } => Err(KvError::usage(
            "--value-only prints a bare value, which a batch cannot: drop it, the result \
             has the value",
        )),
        BatchOp::Secret { command } => {
            ops::execute(session, command, Stdin::Unavailable(STDIN_TAKEN), progress).await
        }
        BatchOp::Sleep { seconds } => {
            if !(0.0..=MAX_SLEEP_SECONDS).contains(&seconds) {
                return Err(KvError::usage(format!(
                    "sleep takes 0 to {MAX_SLEEP_SECONDS} seconds, not {seconds}"
                )));
            }
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            Ok(json!({ "slept": seconds }))
        }
    }
}

/// Reads operations from `input` until its end, runs each in order and
/// prints each outcome. Blank lines are skipped. Returns whether every
/// operation succeeded (a line that does not parse is a failed operation).
///
/// # Errors
/// An I/O error when `input` cannot be read or an outcome cannot be
/// written; a failed operation is an outcome, not an error.
pub async fn run(
    session: &Session,
    format: OutputFormat,
    input: &mut (dyn AsyncRead + Unpin + Send),
    stdout: &mut (dyn Write + Send),
    stderr: &mut (dyn Write + Send),
    show_progress: bool,
) -> std::io::Result<bool> {
    let mut lines = BufReader::new(input).lines();
    let mut all_ok = true;
    let mut number = 0usize;
    while let Some(line) = lines.next_line().await? {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = match parse_line(&line) {
            Ok(op) => {
                let mut progress = Progress::new(show_progress);
                run_op(session, op, &mut progress).await
            }
            Err(mut e) => {
                e.message = format!("line {number}: {}", e.message);
                Err(e)
            }
        };
        all_ok &= outcome.is_ok();
        output::print(format, &outcome, stdout, stderr)?;
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operations() {
        assert_eq!(
            parse_line(r#"["secret","show","db-password"]"#).unwrap(),
            BatchOp::Secret {
                command: SecretCommand::Show {
                    name: "db-password".into(),
                    version: None,
                    value_only: false,
                }
            }
        );
        assert_eq!(
            parse_line(r#"["sleep", 2]"#).unwrap(),
            BatchOp::Sleep { seconds: 2.0 }
        );
        assert_eq!(
            parse_line(r#"["sleep","0.25"]"#).unwrap(),
            BatchOp::Sleep { seconds: 0.25 }
        );
    }

    #[test]
    fn bad_lines_are_usage_errors() {
        for bad in [
            "secret show x",
            r#"{"a":1}"#,
            r#"["secret",{"x":1}]"#,
            r#"["secret","nope"]"#,
            r#"["batch"]"#,
            r#"["secret","list","--vault-url","https://x.vault.azure.net"]"#,
        ] {
            let e = parse_line(bad).unwrap_err();
            assert!(e.usage, "{bad}");
            assert_eq!(e.code.as_deref(), Some("UsageError"));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_is_bounded() {
        let client = keyvault_secrets::SecretClient::new(
            "https://x.vault.azure.net",
            credential_core::token_credential_fn("test", |_, _| async {
                Err(credential_core::CredentialError::unavailable("t", "none"))
            }),
        )
        .unwrap();
        let session = Session {
            client,
            fs: credential_core::Fs::empty(),
            poll_interval: Duration::from_millis(1),
            clock: std::sync::Arc::new(credential_core::SystemClock),
        };
        let e = run_op(
            &session,
            BatchOp::Sleep { seconds: -1.0 },
            &mut Progress::none(),
        )
        .await
        .unwrap_err();
        assert!(e.message.contains("sleep takes"));
        let op = parse_line(r#"["secret","show","a","--value-only"]"#).unwrap();
        let e = run_op(&session, op, &mut Progress::none())
            .await
            .unwrap_err();
        assert!(e.usage);
        assert!(e.message.contains("--value-only"));
        let ok = run_op(
            &session,
            BatchOp::Sleep { seconds: 2.0 },
            &mut Progress::none(),
        )
        .await
        .unwrap();
        assert_eq!(ok, json!({"slept": 2.0}));
    }
}
