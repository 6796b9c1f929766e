//! The `keyvault-emulator` binary: prints the variables that point an
//! application at it, serves on loopback, and stops cleanly on Ctrl-C (SIGINT).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // Tests launch the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Launches the binary with `args`, reads its stdout up to the "Press
/// Ctrl-C" line, and returns those lines and the child.
async fn launch(args: &[&str]) -> (Vec<String>, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("# Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    (lines, child)
}

/// Sends Ctrl-C (SIGINT) and returns the exit status and stderr.
async fn interrupt(child: std::process::Child) -> (std::process::ExitStatus, String) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The value of `export NAME='value'` in `lines`.
fn export(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("export {name}='")))
        .map(|v| v.trim_end_matches('\'').to_owned())
        .unwrap_or_else(|| panic!("no export of {name} in {lines:?}"))
}

#[tokio::test]
async fn prints_exports_serves_and_stops_on_ctrl_c() {
    let (lines, child) = launch(&["--port", "0"]).await;
    let vault = export(&lines, "AZURE_KEYVAULT_URL");
    assert!(vault.starts_with("http://127.0.0.1:"), "{vault}");
    for name in [
        "AZURE_AUTHORITY_HOST",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ] {
        assert!(!export(&lines, name).is_empty(), "{name}");
    }
    assert!(
        !lines.iter().any(|l| l.contains("NODE_EXTRA_CA_CERTS")),
        "no certificate lines without --tls"
    );

    // It serves: an unauthenticated request gets the Key Vault challenge.
    let response = reqwest::get(format!("{vault}/secrets?api-version=2025-07-01"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer authorization=\""),
        "{challenge}"
    );

    // Ctrl-C stops it cleanly.
    let (status, stderr) = interrupt(child).await;
    assert!(status.success(), "{status:?}");
    assert!(stderr.contains("stopping"));
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[tokio::test]
async fn tls_writes_the_certificate_where_asked_and_prints_each_sdks_trust_line() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("kv.pem");
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, r#"{"secrets": [{"name": "seeded", "value": "v"}]}"#).unwrap();
    let (lines, child) = launch(&[
        "--tls",
        "--cert-out",
        cert.to_str().unwrap(),
        "--advertised-host",
        "localhost",
        "--seed",
        seed.to_str().unwrap(),
        "--vault",
        "team-a",
        "--allow",
        "someone=get",
        "--clock-offset",
        "60",
    ])
    .await;
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    for name in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"] {
        assert_eq!(export(&lines, name), cert.to_str().unwrap(), "{name}");
    }
    let vault = export(&lines, "AZURE_KEYVAULT_URL");
    assert!(vault.starts_with("https://localhost:"), "{vault}");
    // The printed certificate is the one served, and the admin clock runs 60 s ahead.
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let clock: serde_json::Value = serde_json::from_slice(
        &http
            .get(format!("{vault}/admin/clock"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(clock["offsetSeconds"], 60);
    let (status, _) = interrupt(child).await;
    assert!(status.success());
}

#[tokio::test]
async fn a_non_loopback_bind_warns_that_the_vault_is_open() {
    let (lines, child) = launch(&["--bind", "0.0.0.0"]).await;
    assert!(export(&lines, "AZURE_KEYVAULT_URL").starts_with("http://127.0.0.1:"));
    let (status, stderr) = interrupt(child).await;
    assert!(status.success());
    assert!(
        stderr.contains("warning: listening on 0.0.0.0: the vault and its well-known credentials are open to the network"),
        "{stderr}"
    );
}

/// Runs the binary with `args`, expects it to fail, and returns its stderr.
fn refused(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} started");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let stderr = refused(&["--allow", "reader=fly"]);
    assert!(stderr.contains("'fly' is not an operation"), "{stderr}");
    let stderr = refused(&["--seed", "/nonexistent/seed.json"]);
    assert!(
        stderr.contains("seed file /nonexistent/seed.json: cannot read it"),
        "{stderr}"
    );
    let stderr = refused(&["--vault", "x"]);
    assert!(stderr.contains("the vault name 'x'"), "{stderr}");
    let stderr = refused(&["--cert-out", "/tmp/kv.pem"]);
    assert!(stderr.contains("--tls"), "{stderr}");
}
