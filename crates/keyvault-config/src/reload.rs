//! [`ReloadHandle`]: re-reads the vault every interval and publishes each
//! new configuration through a `tokio::sync::watch` channel.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::error::ConfigError;
use crate::load::{KeyVaultConfig, ReloadReport};
use crate::snapshot::Snapshot;

/// Keeps a configuration current: a task on the tokio runtime re-lists the
/// vault every interval, reads again only the secrets whose `updated`
/// changed, and publishes the new [`Snapshot`] to every
/// [`subscribe`](Self::subscribe)r when anything changed. A failed reload
/// keeps the last good configuration, logs a warning and is kept in
/// [`last_error`](Self::last_error). Dropping the handle stops the task.
pub struct ReloadHandle {
    reloader: Arc<Reloader>,
    receiver: watch::Receiver<Snapshot>,
    task: tokio::task::JoinHandle<()>,
}

struct Reloader {
    config: KeyVaultConfig,
    sender: watch::Sender<Snapshot>,
    /// One reload at a time (the timer's or `reload_now`).
    gate: tokio::sync::Mutex<()>,
    last_error: Mutex<Option<ConfigError>>,
}

impl fmt::Debug for ReloadHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadHandle")
            .field("config", &self.reloader.config)
            .field("current", &*self.receiver.borrow())
            .finish_non_exhaustive()
    }
}

impl Drop for ReloadHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KeyVaultConfig {
    /// Loads the configuration, then reloads it every `interval` on the
    /// current tokio runtime.
    ///
    /// # Errors
    /// As [`KeyVaultConfig::load`], when the first load fails; a later
    /// reload's error is kept in [`ReloadHandle::last_error`], not returned.
    pub async fn watch(&self, interval: Duration) -> Result<ReloadHandle, ConfigError> {
        if interval.is_zero() {
            return Err(ConfigError::InvalidOptions {
                message: "the reload interval must be longer than zero".into(),
            });
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| ConfigError::InvalidOptions {
                message: "watch() needs a tokio runtime: call it from async code running on tokio"
                    .into(),
            })?;
        let first = self.load().await?;
        let (sender, receiver) = watch::channel(first);
        let reloader = Arc::new(Reloader {
            config: self.clone(),
            sender,
            gate: tokio::sync::Mutex::new(()),
            last_error: Mutex::new(None),
        });
        let timer = Arc::clone(&reloader);
        let task = runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let _ = timer.reload().await;
            }
        });
        Ok(ReloadHandle {
            reloader,
            receiver,
            task,
        })
    }
}

impl Reloader {
    async fn reload(&self) -> Result<ReloadReport, ConfigError> {
        let _one = self.gate.lock().await;
        let current = self.sender.borrow().clone();
        let result = self.config.refresh(Some(&current)).await;
        let mut last_error = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((snapshot, report)) => {
                *last_error = None;
                // Always keep the newest `updated` times; wake watchers only
                // when the configuration changed.
                self.sender.send_if_modified(|slot| {
                    *slot = snapshot;
                    report.changed
                });
                tracing::debug!(
                    fetched = report.fetched,
                    removed = report.removed,
                    changed = report.changed,
                    "reloaded configuration from Key Vault"
                );
                Ok(report)
            }
            Err(error) => {
                let cause = std::error::Error::source(&error)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                tracing::warn!(error = %error, cause = %cause, "reloading configuration from Key Vault failed; keeping the last good configuration");
                *last_error = Some(error.clone());
                Err(error)
            }
        }
    }
}

impl ReloadHandle {
    /// A receiver of every new configuration (it starts with the current).
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.receiver.clone()
    }

    /// The current configuration.
    pub fn current(&self) -> Snapshot {
        self.receiver.borrow().clone()
    }

    /// Reloads now (waiting for a reload in progress first).
    ///
    /// # Errors
    /// As [`KeyVaultConfig::load`]; the last good configuration stays in place.
    pub async fn reload_now(&self) -> Result<ReloadReport, ConfigError> {
        self.reloader.reload().await
    }

    /// The error of the last reload, if it failed.
    pub fn last_error(&self) -> Option<ConfigError> {
        self.reloader
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
