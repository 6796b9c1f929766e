//! Where a named cache lives: the user's cache directory (XDG on Linux,
//! `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), read from an
//! injected environment.

use std::path::PathBuf;

use credential_core::{CacheStoreError, Env};

/// The folder under the user's cache directory that holds every named cache.
pub const CACHE_FOLDER: &str = "azure-rust-identity";

/// The directory for this platform's user cache, from `env`.
pub(crate) fn user_cache_dir(env: &Env) -> Result<PathBuf, CacheStoreError> {
    let found = if cfg!(windows) {
        env.get("LOCALAPPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        env.get("HOME")
            .map(|home| PathBuf::from(home).join("Library").join("Caches"))
    } else {
        env.get("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                env.get("HOME")
                    .map(|home| PathBuf::from(home).join(".cache"))
            })
    };
    found
        .filter(|p| p.is_absolute())
        .map(|p| p.join(CACHE_FOLDER))
        .ok_or_else(|| CacheStoreError::Unavailable {
            message: format!(
                "no user cache directory: set {} or choose a directory with \
                 FileCacheStoreBuilder::with_directory",
                if cfg!(windows) {
                    "LOCALAPPDATA"
                } else if cfg!(target_os = "macos") {
                    "HOME"
                } else {
                    "XDG_CACHE_HOME or HOME"
                }
            ),
        })
}

/// Checks a cache name: 1-64 of `A-Z a-z 0-9 . _ -`, not starting with `.`
/// (it becomes a file name).
pub(crate) fn check_name(name: &str) -> Result<(), CacheStoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CacheStoreError::Unavailable {
            message: format!(
                "invalid cache name '{name}': use 1-64 letters, digits, '.', '_' or '-', \
                 not starting with '.'"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn xdg_cache_home_wins_over_home() {
        let env = Env::from_pairs([("XDG_CACHE_HOME", "/x/cache"), ("HOME", "/home/u")]);
        assert_eq!(
            user_cache_dir(&env).unwrap(),
            PathBuf::from("/x/cache/azure-rust-identity")
        );
        let env = Env::from_pairs([("XDG_CACHE_HOME", "relative"), ("HOME", "/home/u")]);
        assert_eq!(
            user_cache_dir(&env).unwrap(),
            PathBuf::from("/home/u/.cache/azure-rust-identity")
        );
    }

    #[test]
    fn no_directory_is_a_clear_error() {
        let err = user_cache_dir(&Env::empty()).unwrap_err().to_string();
        assert!(err.contains("with_directory"), "{err}");
    }

    #[test]
    fn names_become_safe_file_names() {
        assert!(check_name("kv").is_ok());
        assert!(check_name("my-app_1.0").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
