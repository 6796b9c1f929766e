//! The real binary with `--data-dir`, killed with SIGKILL in the middle of
//! writes, then restarted: every acknowledged write is there, the store
//! loads, and nothing is half-written.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // Tests launch the real binary.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use keyvault_secrets::{RetryPolicy, SecretClient};

struct Started {
    child: Child,
    env: HashMap<String, String>,
}

fn start(dir: &std::path::Path) -> Started {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut env = HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            env.insert(k.to_owned(), v.trim_matches('\'').to_owned());
        }
        if line.starts_with("# Press Ctrl-C") {
            break;
        }
    }
    Started { child, env }
}

fn client(env: &HashMap<String, String>) -> SecretClient {
    let credential = common::secret_credential(
        reqwest::Client::new(),
        format!(
            "{}/{}/oauth2/v2.0/token",
            env["AZURE_AUTHORITY_HOST"], env["AZURE_TENANT_ID"]
        ),
        env["AZURE_CLIENT_ID"].clone(),
        env["AZURE_CLIENT_SECRET"].clone(),
        Arc::new(AtomicUsize::new(0)),
    );
    SecretClient::builder(env["AZURE_KEYVAULT_URL"].clone(), credential)
        .with_retry_policy(RetryPolicy::none())
        .with_http_client(Arc::new(credential_core::LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: HashMap<String, String> = HashMap::new();
    for round in 0..3 {
        let mut started = start(dir.path());
        let client = client(&started.env);
        // Everything acknowledged before is still there after the restart.
        for (name, value) in &acknowledged {
            let got = client
                .get_secret(name)
                .await
                .unwrap_or_else(|e| panic!("round {round}: {name} lost: {e}"));
            assert!(
                same_or_later(&got.value, value),
                "round {round}: {name} holds {} but {value} was acknowledged",
                got.value.as_str()
            );
        }
        // 8 writers; SIGKILL lands while they are writing.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut writers = Vec::new();
        for w in 0..8 {
            let client = client.clone();
            let tx = tx.clone();
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("crash-{w}-{}", i % 5);
                    let value = format!("r{round}-w{w}-i{i}");
                    match client.set_secret(&name, &value).await {
                        Ok(_) => {
                            let _ = tx.send((name, value));
                        }
                        Err(_) => return,
                    }
                }
            }));
        }
        drop(tx);
        // The kill lands after the first acknowledged write (however long a
        // loaded machine takes to get there), while the writers are busy.
        let (name, value) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("round {round}: no write acknowledged within 60 s"))
            .unwrap_or_else(|| panic!("round {round}: every writer failed before one write"));
        acknowledged.insert(name, value);
        tokio::time::sleep(Duration::from_millis(150 + 100 * round)).await;
        started.child.kill().unwrap(); // SIGKILL
        started.child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        while let Some((name, value)) = rx.recv().await {
            acknowledged.insert(name, value);
        }
        // Whatever is on disk is whole JSON (no half-written file).
        let text = std::fs::read_to_string(dir.path().join("vault.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("round {round}: vault.json is not whole: {e}"));
    }
    // The final restart loads and serves every acknowledged write.
    let mut started = start(dir.path());
    let client = client(&started.env);
    for (name, value) in &acknowledged {
        let got = client.get_secret(name).await.unwrap();
        assert!(
            same_or_later(&got.value, value),
            "{name} holds {} but {value} was acknowledged",
            got.value.as_str()
        );
    }
    started.child.kill().unwrap();
    started.child.wait().unwrap();
}

/// Whether `stored` is the acknowledged write `acked` or a later write by the
/// same writer (a later round, or a later write in the same round): a write
/// can reach the disk and then lose its answer to the SIGKILL, so it is
/// stored without being acknowledged.
fn same_or_later(stored: &str, acked: &str) -> bool {
    // Values look like `r{round}-w{writer}-i{index}`.
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut parts = v.split('-');
        let round = parts.next()?.strip_prefix('r')?.parse().ok()?;
        let writer = parts.next()?.strip_prefix('w')?.parse().ok()?;
        let index = parts.next()?.strip_prefix('i')?.parse().ok()?;
        Some((round, writer, index))
    };
    match (parse(stored), parse(acked)) {
        (Some((r1, w1, i1)), Some((r2, w2, i2))) => w1 == w2 && (r1, i1) >= (r2, i2),
        _ => false,
    }
}
