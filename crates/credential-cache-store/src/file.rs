//! The cache file on disk: owner-only permissions checked on every read,
//! atomic replacement (temporary file + rename) and a cross-process lock
//! with a bounded wait. Blocking: callers run it on a blocking thread.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use credential_core::CacheStoreError;

/// How long to sleep between two attempts at the lock.
const LOCK_RETRY: Duration = Duration::from_millis(5);

/// One named cache's files: `<dir>/<name>.cache` and its lock `<name>.lock`.
#[derive(Debug, Clone)]
pub(crate) struct CacheFile {
    pub(crate) dir: PathBuf,
    pub(crate) path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
}

/// Holds the cross-process lock until dropped (closing the file releases it,
/// also when the process dies).
pub(crate) struct LockGuard {
    _file: File,
}

pub(crate) fn io_error(action: &'static str, path: &Path, source: io::Error) -> CacheStoreError {
    CacheStoreError::Io {
        action,
        path: path.display().to_string(),
        source: Arc::new(source),
    }
}

impl CacheFile {
    pub(crate) fn new(dir: PathBuf, name: &str, lock_timeout: Duration) -> Self {
        Self {
            path: dir.join(format!("{name}.cache")),
            lock_path: dir.join(format!("{name}.lock")),
            dir,
            lock_timeout,
        }
    }

    /// Creates the directory (0700) if needed and checks that only its
    /// owner can use it.
    pub(crate) fn ensure_dir(&self) -> Result<(), CacheStoreError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| io_error("create the directory of", &self.dir, e))?;
        let metadata =
            std::fs::metadata(&self.dir).map_err(|e| io_error("inspect", &self.dir, e))?;
        check_owner_only(&self.dir, &metadata)
    }

    /// The file's bytes, `None` if there is no file. A file that others can
    /// read is refused.
    pub(crate) fn read(&self) -> Result<Option<Vec<u8>>, CacheStoreError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &self.path, e)),
        };
        let metadata = file
            .metadata()
            .map_err(|e| io_error("inspect", &self.path, e))?;
        check_owner_only(&self.path, &metadata)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error("read", &self.path, e))?;
        Ok(Some(bytes))
    }

    /// Takes the cross-process lock, waiting at most the lock timeout.
    pub(crate) fn lock(&self) -> Result<LockGuard, CacheStoreError> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&self.lock_path)
            .map_err(|e| io_error("lock", &self.lock_path, e))?;
        let mut waited = Duration::ZERO;
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(LockGuard { _file: file }),
                Err(fs4::TryLockError::WouldBlock) if waited < self.lock_timeout => {
                    std::thread::sleep(LOCK_RETRY);
                    waited += LOCK_RETRY;
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(CacheStoreError::LockTimeout {
                        path: self.lock_path.display().to_string(),
                        waited_ms: waited.as_millis(),
                    });
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(io_error("lock", &self.lock_path, e));
                }
            }
        }
    }

    /// Replaces the file with `bytes` atomically: readers see the old file
    /// or the new one, whole. Call with the lock held.
    pub(crate) fn replace(&self, bytes: &[u8], _lock: &LockGuard) -> Result<(), CacheStoreError> {
        // tempfile creates the file 0600 on Unix.
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)
            .map_err(|e| io_error("write", &self.dir, e))?;
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| io_error("write", temp.path(), e))?;
        temp.persist(&self.path)
            .map_err(|e| io_error("replace", &self.path, e.error))?;
        Ok(())
    }

    /// Removes the file (absent is fine). Call with the lock held.
    pub(crate) fn delete(&self, _lock: &LockGuard) -> Result<(), CacheStoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &self.path, e)),
        }
    }
}

/// Refuses a file or directory that group or others may use.
#[cfg(unix)]
fn check_owner_only(path: &Path, metadata: &std::fs::Metadata) -> Result<(), CacheStoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(CacheStoreError::InsecurePermissions {
        path: path.display().to_string(),
        mode,
        fix: if metadata.is_dir() {
            "only its owner may use it: run `chmod 700` on it, or delete it"
        } else {
            "only its owner may read it: run `chmod 600` on it, or delete it"
        },
    })
}

/// On Windows the cache lives in the user's own `%LOCALAPPDATA%`, whose
/// ACL already admits only the user.
#[cfg(not(unix))]
fn check_owner_only(_path: &Path, _metadata: &std::fs::Metadata) -> Result<(), CacheStoreError> {
    Ok(())
}
