//! [`Fs`]: the filesystem seam.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where credentials read files from (certificates, federated tokens, the
/// Azure Arc key file).
///
/// [`Fs::real`] reads the disk, off the async runtime's threads; [`Fs::from_files`]
/// is an in-memory map for tests.
///
/// ```
/// use credential_core::Fs;
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let fs = Fs::from_files([("/var/run/token", "eyJ...")]);
/// assert_eq!(rt.block_on(fs.read_to_string("/var/run/token".as_ref())).unwrap(), "eyJ...");
/// assert!(rt.block_on(fs.read("/missing".as_ref())).is_err());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Fs {
    /// The real filesystem.
    #[default]
    Real,
    /// A fixed set of files.
    Map(Arc<HashMap<PathBuf, Vec<u8>>>),
}

impl Fs {
    /// The real filesystem.
    pub fn real() -> Self {
        Self::Real
    }

    /// A filesystem holding exactly these files.
    pub fn from_files<P, C>(files: impl IntoIterator<Item = (P, C)>) -> Self
    where
        P: Into<PathBuf>,
        C: Into<Vec<u8>>,
    {
        Self::Map(Arc::new(
            files
                .into_iter()
                .map(|(p, c)| (p.into(), c.into()))
                .collect(),
        ))
    }

    /// A filesystem with no files.
    pub fn empty() -> Self {
        Self::Map(Arc::default())
    }

    /// The bytes of a file.
    ///
    /// # Errors
    /// The I/O error: no such file, no permission, or (for the in-memory
    /// variant) a path that is not in the map.
    pub async fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self {
            Self::Real => {
                let path = path.to_owned();
                #[allow(clippy::disallowed_methods)] // The one real implementation.
                let read = move || std::fs::read(path);
                tokio::task::spawn_blocking(read)
                    .await
                    .map_err(io::Error::other)?
            }
            Self::Map(files) => files.get(path).cloned().ok_or_else(|| not_found(path)),
        }
    }

    /// The contents of a UTF-8 text file.
    ///
    /// # Errors
    /// As [`read`](Self::read), and [`io::ErrorKind::InvalidData`] when the
    /// file is not UTF-8.
    pub async fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let bytes = self.read(path).await?;
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file is not valid UTF-8"))
    }

    /// The size in bytes of a regular file, without reading it.
    ///
    /// # Errors
    /// As [`read`](Self::read), and an error when the path is not a regular file.
    pub async fn file_size(&self, path: &Path) -> io::Result<u64> {
        match self {
            Self::Real => {
                let path = path.to_owned();
                let stat = move || {
                    let meta = std::fs::metadata(path)?;
                    if meta.is_file() {
                        Ok(meta.len())
                    } else {
                        Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"))
                    }
                };
                tokio::task::spawn_blocking(stat)
                    .await
                    .map_err(io::Error::other)?
            }
            Self::Map(files) => files
                .get(path)
                .map(|c| c.len() as u64)
                .ok_or_else(|| not_found(path)),
        }
    }

    /// Whether a regular file exists at `path` (synchronous: a `stat`).
    pub fn is_file(&self, path: &Path) -> bool {
        match self {
            Self::Real => path.is_file(),
            Self::Map(files) => files.contains_key(path),
        }
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no such file: {}", path.display()),
    )
}

impl fmt::Debug for Fs {
    /// Shows file names only: contents may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Real => f.write_str("Fs::Real"),
            Self::Map(files) => {
                let mut names: Vec<&PathBuf> = files.keys().collect();
                names.sort();
                f.debug_tuple("Fs::Map").field(&names).finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn map_reads_and_sizes() {
        let fs = Fs::from_files([("/a", b"hello".to_vec())]);
        assert_eq!(fs.read_to_string(Path::new("/a")).await.unwrap(), "hello");
        assert_eq!(fs.file_size(Path::new("/a")).await.unwrap(), 5);
        assert!(fs.is_file(Path::new("/a")));
        let err = fs.read(Path::new("/b")).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn real_reads_disk() {
        let dir = std::env::temp_dir().join(format!("credential-core-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.txt");
        std::fs::write(&file, "content").unwrap();
        let fs = Fs::real();
        assert_eq!(fs.read_to_string(&file).await.unwrap(), "content");
        assert_eq!(fs.file_size(&file).await.unwrap(), 7);
        assert!(
            fs.file_size(&dir).await.is_err(),
            "a directory is not a file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_hides_contents() {
        let fs = Fs::from_files([("/k.key", "secret-bytes")]);
        let debug = format!("{fs:?}");
        assert!(debug.contains("k.key") && !debug.contains("secret-bytes"));
    }

    #[tokio::test]
    async fn invalid_utf8_is_an_error() {
        let fs = Fs::from_files([("/bin", vec![0xff, 0xfe])]);
        let err = fs.read_to_string(Path::new("/bin")).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
