//! The vault's state: secrets, their versions and soft-delete state, and the
//! atomic JSON persistence of it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;

/// One version of a secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Version {
    /// 32 lowercase hex characters.
    pub id: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
}

/// Soft-delete facts of a deleted secret.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Deleted {
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
}

/// A transition that has been acknowledged but is not visible yet (so
/// pollers see a 404 first). Never persisted: after a restart it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    /// Deleted, but not yet listed under `/deletedsecrets`.
    Deleting(tokio::time::Instant),
    /// Recovered, but not yet visible under `/secrets`.
    Recovering(tokio::time::Instant),
}

/// A secret: its name as first created, its versions (oldest first) and
/// its soft-delete state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub versions: Vec<Version>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
    #[serde(skip)]
    pub pending: Option<Pending>,
}

/// Where an entry stands right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Visible under `/secrets`.
    Active,
    /// Delete acknowledged, not yet listed as deleted.
    BeingDeleted,
    /// Visible under `/deletedsecrets`.
    Deleted,
    /// Recover acknowledged, not yet visible under `/secrets`.
    BeingRecovered,
}

impl Entry {
    /// The state at `now`, finishing any pending transition whose time has come.
    pub(crate) fn state(&mut self, now: tokio::time::Instant) -> State {
        match self.pending {
            Some(Pending::Deleting(at)) if now < at => return State::BeingDeleted,
            Some(Pending::Recovering(at)) if now < at => return State::BeingRecovered,
            Some(_) => self.pending = None,
            None => {}
        }
        if self.deleted.is_some() {
            State::Deleted
        } else {
            State::Active
        }
    }

    /// The newest version.
    pub(crate) fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }
}

/// All secrets, keyed by lowercased name (names are case-insensitive).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Store {
    /// Format marker for the data file.
    #[serde(default)]
    pub format: u32,
    pub secrets: BTreeMap<String, Entry>,
    /// The earliest scheduled purge date of a deleted secret, when known
    /// (`None`: scan on the next check), so most requests skip the scan.
    #[serde(skip)]
    pub purge_due_at: Option<i64>,
}

/// The default vault's data file inside the data directory.
pub(crate) const DATA_FILE: &str = "vault.json";

/// The data file of the vault named `vault` (`""` is the default vault).
pub(crate) fn data_file(vault: &str) -> String {
    if vault.is_empty() {
        DATA_FILE.to_owned()
    } else {
        format!("vault-{vault}.json")
    }
}

impl Store {
    /// Loads `dir/file`, or an empty store if there is none.
    pub(crate) async fn load(dir: &Path, file: &str) -> Result<Self, EmulatorError> {
        let path = dir.join(file);
        match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                EmulatorError::DataDir(format!(
                    "{} is not a valid emulator data file ({e}); move it away to start empty",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                format: 1,
                ..Self::default()
            }),
            Err(e) => Err(EmulatorError::DataDir(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Loads every vault kept in `dir`: the default one and each
    /// `vault-NAME.json`, keyed by name (`""` for the default vault).
    pub(crate) async fn load_all(dir: &Path) -> Result<BTreeMap<String, Self>, EmulatorError> {
        let mut stores = BTreeMap::new();
        stores.insert(String::new(), Self::load(dir, DATA_FILE).await?);
        let mut entries = tokio::fs::read_dir(dir)
            .await
            .map_err(|e| EmulatorError::DataDir(format!("cannot list {}: {e}", dir.display())))?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file
                .strip_prefix("vault-")
                .and_then(|f| f.strip_suffix(".json"))
                && crate::vaults::valid_vault_name(name)
            {
                stores.insert(name.to_owned(), Self::load(dir, &file).await?);
            }
        }
        Ok(stores)
    }

    /// Writes the whole store to `dir/file` atomically: a temporary
    /// file in the same directory, fsync, rename over the old file, fsync
    /// of the directory. A crash leaves the old or the new file, never half.
    pub(crate) fn persist(&self, dir: &Path, file: &str) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(dir, file, &bytes)
    }

    /// Removes the deleted secrets whose scheduled purge date has come (the
    /// service purges them then). Returns whether any went.
    pub(crate) fn purge_due(&mut self, now: i64) -> bool {
        if self.purge_due_at.is_some_and(|at| now < at) {
            return false;
        }
        let before = self.secrets.len();
        self.secrets.retain(|_, e| {
            e.pending.is_some() || e.deleted.is_none_or(|d| d.scheduled_purge_date > now)
        });
        let next = self
            .secrets
            .values()
            .filter_map(|e| e.deleted.map(|d| d.scheduled_purge_date))
            .min()
            .unwrap_or(i64::MAX);
        self.purge_due_at = Some(next);
        self.secrets.len() != before
    }

    /// Notes a new deletion scheduled to be purged at `scheduled`.
    pub(crate) fn note_deleted(&mut self, scheduled: i64) {
        if let Some(at) = self.purge_due_at {
            self.purge_due_at = Some(at.min(scheduled));
        }
    }
}

/// Writes `dir/name` atomically (temp file, fsync, rename, fsync dir).
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let target: PathBuf = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)?;
        // Make the rename itself durable (best effort: not every platform
        // can open a directory).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
