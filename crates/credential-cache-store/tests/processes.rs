//! Many processes: this test binary runs itself as the child
//! (`child_process`, ignored unless asked for), writing to a shared cache in
//! a temporary directory, encrypted under a key both sides hold.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use credential_cache_store::{FileCacheStore, MemoryKeyring};
use credential_core::{CacheStore, Secret};

/// The key every process uses (base64 of 32 bytes).
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// The value size of the crash test: big enough that a write takes a while.
const BIG: usize = 512 * 1024;

fn store(dir: &Path) -> FileCacheStore {
    FileCacheStore::builder("shared")
        .with_directory(dir.join("cache"))
        .with_keyring(Arc::new(MemoryKeyring::with_secret("shared", KEY)))
        .with_lock_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Starts this binary as a child running `child_process` with `role`.
#[allow(clippy::disallowed_methods)] // The test launches itself.
fn spawn(dir: &Path, role: &str, arg: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "processes::child_process",
            "--test-threads=1",
        ])
        .env("CACHE_TEST_DIR", dir)
        .env("CACHE_TEST_ROLE", role)
        .env("CACHE_TEST_ARG", arg)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The child: `writer` stores 5 keys `<arg>-0..5`; `looper` rewrites one
/// big entry forever (until killed), creating `ready` after its first write.
#[tokio::test]
#[ignore = "run by the multi-process tests as their child"]
#[allow(clippy::disallowed_methods)] // The child's parameters.
async fn child_process() {
    let var = |name| std::env::var(name).unwrap();
    let dir = std::path::PathBuf::from(var("CACHE_TEST_DIR"));
    let arg = var("CACHE_TEST_ARG");
    let store = store(&dir);
    match var("CACHE_TEST_ROLE").as_str() {
        "writer" => {
            for i in 0..5 {
                let key = format!("{arg}-{i}");
                store
                    .store(&key, Secret::new(format!("value of {key}")))
                    .await
                    .unwrap();
            }
        }
        "looper" => {
            for round in 0u64.. {
                let fill = if round % 2 == 0 { "a" } else { "b" };
                store
                    .store("big", Secret::new(fill.repeat(BIG)))
                    .await
                    .unwrap();
                store
                    .store("round", Secret::new(round.to_string()))
                    .await
                    .unwrap();
                if round == 0 {
                    std::fs::write(dir.join("ready"), b"").unwrap();
                }
            }
        }
        other => panic!("unknown role {other}"),
    }
}

#[tokio::test]
async fn sixteen_processes_writing_different_keys_lose_none() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..16)
        .map(|i| spawn(dir.path(), "writer", &format!("p{i}")))
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a writer failed");
    }
    let store = store(dir.path());
    for i in 0..16 {
        for j in 0..5 {
            let key = format!("p{i}-{j}");
            let found = store.load(&key).await.unwrap();
            assert_eq!(
                found.map(|s| s.expose_secret().to_owned()),
                Some(format!("value of {key}")),
                "lost {key}"
            );
        }
    }
}

#[tokio::test]
async fn a_process_killed_while_writing_leaves_a_readable_cache() {
    let dir = tempfile::tempdir().unwrap();
    for attempt in 0..6u64 {
        let _ = std::fs::remove_file(dir.path().join("ready"));
        let mut child = spawn(dir.path(), "looper", "");
        while !dir.path().join("ready").exists() {
            assert!(child.try_wait().unwrap().is_none(), "the writer exited");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(3 + 7 * attempt)).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let store = store(dir.path());
        let big = store.load("big").await.unwrap().expect("the entry is gone");
        let big = big.expose_secret();
        assert_eq!(big.len(), BIG);
        assert!(big.bytes().all(|b| b == big.as_bytes()[0]), "a torn entry");
        // The lock died with the process: writing works at once.
        store.store("after", Secret::new("x")).await.unwrap();
        assert!(store.load("round").await.unwrap().is_some());
    }
}
