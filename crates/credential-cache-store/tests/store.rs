//! One process: permissions, encryption, corrupt files, the keyring rules.

use std::sync::Arc;

use credential_cache_store::{FileCacheStore, FileCacheStoreBuilder, MemoryKeyring};
use credential_core::{CacheStore, CacheStoreError, Env, Secret};

fn builder(dir: &std::path::Path, keyring: &MemoryKeyring) -> FileCacheStoreBuilder {
    FileCacheStore::builder("test")
        .with_directory(dir.join("cache"))
        .with_keyring(Arc::new(keyring.clone()))
}

/// Writes `bytes` as the cache file, readable by its owner only.
fn write_owner_only(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

async fn value(store: &FileCacheStore, key: &str) -> Option<String> {
    store
        .load(key)
        .await
        .unwrap()
        .map(|s| s.expose_secret().to_owned())
}

#[tokio::test]
#[allow(clippy::disallowed_methods)] // Reads the file as an attacker would.
async fn entries_survive_a_new_store_and_are_encrypted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = MemoryKeyring::new();
    let store = builder(dir.path(), &keyring).build().unwrap();
    assert!(store.is_encrypted());
    store.store("a", Secret::new("token-a")).await.unwrap();
    store.store("b", Secret::new("token-b")).await.unwrap();
    store.remove("b").await.unwrap();
    let again = builder(dir.path(), &keyring).build().unwrap();
    assert_eq!(value(&again, "a").await.as_deref(), Some("token-a"));
    assert_eq!(value(&again, "b").await, None);
    let raw = std::fs::read(store.path()).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("token-a"));
    assert!(keyring.secret("test").is_some(), "no key in the keyring");
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_owner_only_and_others_readable_ones_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keyring = MemoryKeyring::new();
    let store = builder(dir.path(), &keyring).build().unwrap();
    store.store("a", Secret::new("t")).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(store.path().parent().unwrap()), 0o700);

    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load("a").await.unwrap_err();
    assert!(
        matches!(
            err,
            CacheStoreError::InsecurePermissions { mode: 0o644, .. }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("readable by other users") && text.contains("chmod 600"),
        "{text}"
    );
    let err = builder(dir.path(), &keyring).build().unwrap_err();
    assert!(
        matches!(err, CacheStoreError::InsecurePermissions { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn corrupt_or_foreign_file_reads_empty_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = MemoryKeyring::new();
    let store = builder(dir.path(), &keyring).build().unwrap();
    for garbage in [&b"{\"not\":\"ours\"}"[..], b"", &[0xff; 100]] {
        write_owner_only(store.path(), garbage);
        assert_eq!(value(&store, "a").await, None);
        store.store("a", Secret::new("t")).await.unwrap();
        assert_eq!(value(&store, "a").await.as_deref(), Some("t"));
    }
}

#[tokio::test]
async fn a_lost_key_makes_the_file_read_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = builder(dir.path(), &MemoryKeyring::new()).build().unwrap();
    store.store("a", Secret::new("t")).await.unwrap();
    // Another keyring: the key is gone, a new one is made.
    let other = builder(dir.path(), &MemoryKeyring::new()).build().unwrap();
    assert_eq!(value(&other, "a").await, None);
    other.store("b", Secret::new("u")).await.unwrap();
    assert_eq!(value(&other, "b").await.as_deref(), Some("u"));
}

#[tokio::test]
async fn keyring_unavailable_without_opt_in_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = builder(dir.path(), &MemoryKeyring::unavailable())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, CacheStoreError::Unavailable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("no OS keyring") && text.contains("with_unencrypted_storage(true)"),
        "{text}"
    );
    let err = FileCacheStore::builder("test")
        .with_directory(dir.path().join("cache"))
        .with_keyring_disabled()
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("with_unencrypted_storage"),
        "{err}"
    );
}

#[tokio::test]
async fn keyring_unavailable_with_opt_in_stores_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = builder(dir.path(), &MemoryKeyring::unavailable())
        .with_unencrypted_storage(true)
        .build()
        .unwrap();
    assert!(!store.is_encrypted());
    store.store("a", Secret::new("plain-token")).await.unwrap();
    assert_eq!(value(&store, "a").await.as_deref(), Some("plain-token"));
    // An encrypting store over the same file reads it as empty, not an error.
    let sealed = builder(dir.path(), &MemoryKeyring::new()).build().unwrap();
    assert_eq!(value(&sealed, "a").await, None);
}

#[tokio::test]
async fn clear_removes_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = builder(dir.path(), &MemoryKeyring::new()).build().unwrap();
    store.store("a", Secret::new("t")).await.unwrap();
    store.clear().await.unwrap();
    assert!(!store.path().exists());
    assert_eq!(value(&store, "a").await, None);
    store.clear().await.unwrap();
}

#[tokio::test]
async fn directory_comes_from_the_injected_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env = if cfg!(windows) {
        Env::from_pairs([("LOCALAPPDATA", dir.path().display().to_string())])
    } else if cfg!(target_os = "macos") {
        Env::from_pairs([("HOME", dir.path().display().to_string())])
    } else {
        Env::from_pairs([("XDG_CACHE_HOME", dir.path().display().to_string())])
    };
    let store = FileCacheStore::builder("kv")
        .with_env(env)
        .with_keyring(Arc::new(MemoryKeyring::new()))
        .build()
        .unwrap();
    assert!(
        store.path().starts_with(dir.path()),
        "{}",
        store.path().display()
    );
    assert!(store.path().ends_with("azure-rust-identity/kv.cache") || cfg!(windows));
    let err = FileCacheStore::builder("kv")
        .with_env(Env::empty())
        .with_keyring(Arc::new(MemoryKeyring::new()))
        .build()
        .unwrap_err();
    assert!(matches!(err, CacheStoreError::Unavailable { .. }));
}

#[test]
fn debug_shows_no_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = builder(dir.path(), &MemoryKeyring::new()).build().unwrap();
    let text = format!("{store:?}");
    assert!(text.contains("encrypted: true"), "{text}");
}
