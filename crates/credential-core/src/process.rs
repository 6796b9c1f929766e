//! [`ProcessRunner`]: the seam for launching developer tools (`az`, `azd`,
//! `pwsh`). Programs are started with an argument vector, never through a shell.

use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// One program launch.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessRequest {
    /// The program: a path found on `PATH` by the caller.
    pub program: PathBuf,
    /// The arguments, passed as they are (no shell, no quoting).
    pub args: Vec<String>,
    /// Variables to add to (or override in) the child's environment.
    pub env: Vec<(String, String)>,
    /// The working directory, if not inherited.
    pub current_dir: Option<PathBuf>,
    /// How long to wait before killing the process.
    pub timeout: Duration,
}

impl ProcessRequest {
    /// A request to run `program` with `args` and a 10 s timeout.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            current_dir: None,
            timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for ProcessRequest {
    /// Shows the program and arguments, and only the names of added variables.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env_names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ProcessRequest")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env", &env_names)
            .field("current_dir", &self.current_dir)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What a finished process produced.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessOutput {
    /// The exit code; `None` when the process was killed by a signal.
    pub exit_code: Option<i32>,
    /// Standard output, decoded as UTF-8 (invalid sequences replaced).
    pub stdout: String,
    /// Standard error, decoded as UTF-8 (invalid sequences replaced).
    pub stderr: String,
}

impl ProcessOutput {
    /// The output of a process that exited with `exit_code` (`None`: killed
    /// by a signal), for a [`ProcessRunner`] of one's own.
    pub fn new(
        exit_code: Option<i32>,
        stdout: impl Into<String>,
        stderr: impl Into<String>,
    ) -> Self {
        Self {
            exit_code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

impl fmt::Debug for ProcessOutput {
    /// Shows sizes only: output may hold a token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessOutput")
            .field("exit_code", &self.exit_code)
            .field("stdout_len", &self.stdout.len())
            .field("stderr_len", &self.stderr.len())
            .finish()
    }
}

/// Why a process produced no output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program does not exist or cannot be executed.
    #[error("program not found: {program}")]
    NotFound {
        /// The program asked for.
        program: PathBuf,
    },
    /// The process ran past its timeout and was killed.
    #[error("{program} did not finish within {timeout:?} and was stopped")]
    TimedOut {
        /// The program.
        program: PathBuf,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// Launching or waiting failed for another reason.
    #[error("could not run {}", program.display())]
    Io {
        /// The program.
        program: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Launches processes.
#[async_trait]
pub trait ProcessRunner: Send + Sync + fmt::Debug {
    /// Runs the program to completion (or until its timeout, when it is killed).
    ///
    /// # Errors
    /// [`ProcessError::NotFound`] when the program cannot be found or executed,
    /// [`ProcessError::TimedOut`] when it ran past `request.timeout` (it is
    /// killed), [`ProcessError::Io`] when launching or waiting failed otherwise.
    /// A non-zero exit is an output, not an error.
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError>;
}

/// A process runner shared between a context and its credentials.
pub type SharedProcessRunner = Arc<dyn ProcessRunner>;

/// Launches real processes with `tokio::process`: standard input closed,
/// output captured, killed on timeout or when the future is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemProcessRunner;

#[async_trait]
impl ProcessRunner for SystemProcessRunner {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        #[allow(clippy::disallowed_methods)] // The one real implementation.
        let mut command = tokio::process::Command::new(&request.program);
        command
            .args(&request.args)
            .envs(request.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &request.current_dir {
            command.current_dir(dir);
        }
        let child = command.spawn().map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                ProcessError::NotFound {
                    program: request.program.clone(),
                }
            }
            _ => ProcessError::Io {
                program: request.program.clone(),
                source,
            },
        })?;
        // Dropping the `wait_with_output` future on timeout drops the child,
        // and `kill_on_drop` kills it.
        match tokio::time::timeout(request.timeout, child.wait_with_output()).await {
            Err(_) => Err(ProcessError::TimedOut {
                program: request.program,
                timeout: request.timeout,
            }),
            Ok(Err(source)) => Err(ProcessError::Io {
                program: request.program,
                source,
            }),
            Ok(Ok(output)) => Ok(ProcessOutput {
                exit_code: output.status.code(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }),
        }
    }
}

/// A runner that finds no program at all: the isolated context's default
/// (feature `test-util`).
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProcessRunner;

#[cfg(any(test, feature = "test-util"))]
#[async_trait]
impl ProcessRunner for NoProcessRunner {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        Err(ProcessError::NotFound {
            program: request.program,
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_without_shell_and_captures_output() {
        // `$HOME` would expand in a shell; here it is passed literally.
        let out = SystemProcessRunner
            .run(ProcessRequest::new("/bin/echo", ["a b", "$HOME;", "`id`"]))
            .await
            .unwrap();
        assert!(out.success());
        assert_eq!(out.stdout, "a b $HOME; `id`\n");
    }

    #[tokio::test]
    async fn missing_program_is_not_found() {
        let err = SystemProcessRunner
            .run(ProcessRequest::new("/nonexistent/az", Vec::<String>::new()))
            .await
            .unwrap_err();
        assert!(matches!(err, ProcessError::NotFound { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn timeout_kills() {
        let mut request = ProcessRequest::new("/bin/sleep", ["30"]);
        request.timeout = Duration::from_millis(100);
        let err = SystemProcessRunner.run(request).await.unwrap_err();
        assert!(matches!(err, ProcessError::TimedOut { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn env_and_exit_code() {
        let mut request = ProcessRequest::new("/bin/sh", ["-c", "echo \"$FOO\" >&2; exit 3"]);
        request.env.push(("FOO".into(), "bar".into()));
        let out = SystemProcessRunner.run(request).await.unwrap();
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.stderr, "bar\n");
    }
}
