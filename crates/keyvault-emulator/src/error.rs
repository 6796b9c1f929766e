//! Errors of starting and running an emulator.

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0 = any free port).
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory could not be used.
    #[error("data directory: {0}")]
    DataDir(String),
    /// The TLS certificate or configuration could not be made.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The configuration is not usable.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
}
