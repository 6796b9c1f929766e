//! Fakes for tests (feature `test-util`): a scripted process runner, a
//! log capture that checks no secret was logged, and two helpers the
//! benches share ([`poll_ready`], [`on_threads`]).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tracing_subscriber::fmt::MakeWriter;

use crate::process::{ProcessError, ProcessOutput, ProcessRequest, ProcessRunner};

/// A process runner that answers from a script and records every request.
#[derive(Debug, Clone, Default)]
pub struct ScriptedProcessRunner {
    script: Arc<Mutex<VecDeque<Result<ProcessOutput, ScriptedFailure>>>>,
    requests: Arc<Mutex<Vec<ProcessRequest>>>,
}

/// A failure a [`ScriptedProcessRunner`] can play back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptedFailure {
    /// The program is not installed.
    NotFound,
    /// The program ran past its timeout.
    TimedOut,
}

impl ScriptedProcessRunner {
    /// A runner with an empty script (every run is `NotFound`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a successful run's output.
    pub fn push_output(&self, exit_code: i32, stdout: &str, stderr: &str) -> &Self {
        self.lock_script().push_back(Ok(ProcessOutput {
            exit_code: Some(exit_code),
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }));
        self
    }

    /// Queues a failure.
    pub fn push_failure(&self, failure: ScriptedFailure) -> &Self {
        self.lock_script().push_back(Err(failure));
        self
    }

    /// Every request run so far.
    pub fn requests(&self) -> Vec<ProcessRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock_script(
        &self,
    ) -> std::sync::MutexGuard<'_, VecDeque<Result<ProcessOutput, ScriptedFailure>>> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl ProcessRunner for ScriptedProcessRunner {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request.clone());
        match self.lock_script().pop_front() {
            Some(Ok(output)) => Ok(output),
            Some(Err(ScriptedFailure::TimedOut)) => Err(ProcessError::TimedOut {
                program: request.program,
                timeout: request.timeout,
            }),
            Some(Err(ScriptedFailure::NotFound)) | None => Err(ProcessError::NotFound {
                program: request.program,
            }),
        }
    }
}

/// Captures `tracing` output (every level) while a guard lives.
///
/// ```
/// let logs = credential_core::test_util::LogCapture::start();
/// tracing::info!(user = "alice", "signed in");
/// assert!(logs.contents().contains("signed in"));
/// logs.assert_absent(&["hunter2"]);
/// ```
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferWriter {
    type Writer = BufferWriter;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogCapture {
    /// Starts capturing on this thread (use a current-thread runtime).
    pub fn start() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(BufferWriter(Arc::clone(&buffer)))
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything logged so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Panics if any of `secrets` appears in the captured logs.
    pub fn assert_absent(&self, secrets: &[&str]) {
        let contents = self.contents();
        for secret in secrets {
            assert!(
                !contents.contains(secret),
                "a secret appeared in the logs:\n{contents}"
            );
        }
    }
}

/// An HTTP client that answers from a script and records every request, for
/// tests that need exact control (paused-time retry schedules, where a real
/// socket would let tokio's clock jump past reqwest's timeouts).
#[derive(Debug, Clone, Default)]
pub struct ScriptedHttpClient {
    script: Arc<Mutex<VecDeque<Result<crate::HttpResponse, crate::TransportError>>>>,
    requests: Arc<Mutex<Vec<crate::HttpRequest>>>,
}

impl ScriptedHttpClient {
    /// A client with an empty script (every request fails to connect).
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a response with `status`, `headers` and `body`.
    pub fn push_response(&self, status: u16, headers: &[(&str, &str)], body: &str) -> &Self {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                map.insert(name, value);
            }
        }
        let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::IM_A_TEAPOT);
        self.lock_script().push_back(Ok(crate::HttpResponse {
            status,
            headers: map,
            body: bytes::Bytes::from(body.to_owned()),
        }));
        self
    }

    /// Queues a transport failure.
    pub fn push_error(&self, kind: crate::TransportErrorKind) -> &Self {
        self.lock_script()
            .push_back(Err(crate::TransportError::new(kind, "scripted failure")));
        self
    }

    /// Every request sent so far.
    pub fn requests(&self) -> Vec<crate::HttpRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock_script(
        &self,
    ) -> std::sync::MutexGuard<'_, VecDeque<Result<crate::HttpResponse, crate::TransportError>>>
    {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl crate::HttpClient for ScriptedHttpClient {
    async fn send(
        &self,
        request: crate::HttpRequest,
    ) -> Result<crate::HttpResponse, crate::TransportError> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
        self.lock_script().pop_front().unwrap_or_else(|| {
            Err(crate::TransportError::new(
                crate::TransportErrorKind::Connect,
                "the scripted HTTP client has no more responses",
            ))
        })
    }
}

/// Polls a future once with a no-op waker and returns its output. For
/// benches of paths that never wait (a warm cache, an in-memory transport).
///
/// # Panics
/// If the future is not ready at once: the path under measurement waited.
pub fn poll_ready<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future under measurement had to wait"),
    }
}

/// Runs `f` `iters` times on each of `threads` threads at once (released
/// together by a barrier) and returns the slowest thread's time: the time
/// per call on each thread when divided by `iters`.
///
/// # Panics
/// If a thread panics.
#[allow(clippy::disallowed_methods)] // a bench's stopwatch, not a credential's clock
pub fn on_threads(
    threads: usize,
    iters: u64,
    f: impl Fn() + Send + Sync + Clone + 'static,
) -> std::time::Duration {
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let f = f.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    f();
                }
                start.elapsed()
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| match handle.join() {
            Ok(elapsed) => elapsed,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .max()
        .unwrap_or_default()
}
