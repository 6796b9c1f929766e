//! Errors of starting and running an emulator.

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for (port 0 = any free port).
        addr: std::net::SocketAddr,
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
    /// The seed file could not be read or holds an invalid secret.
    #[error("seed file {0}")]
    Seed(String),
    /// The configuration is not usable.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
}
