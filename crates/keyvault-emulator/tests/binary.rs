//! The `keyvault-emulator` binary: prints the variables that point an
//! application at it, serves on loopback, and stops cleanly on Ctrl-C (SIGINT).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // Tests launch the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn prints_exports_serves_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--port", "0"])
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

    let export = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("export {name}='")))
            .map(|v| v.trim_end_matches('\'').to_owned())
            .unwrap_or_else(|| panic!("no export of {name} in {lines:?}"))
    };
    let vault = export("AZURE_KEYVAULT_URL");
    assert!(vault.starts_with("http://127.0.0.1:"), "{vault}");
    for name in [
        "AZURE_AUTHORITY_HOST",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ] {
        assert!(!export(name).is_empty(), "{name}");
    }

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
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(String::from_utf8_lossy(&output.stderr).contains("stopping"));
}
