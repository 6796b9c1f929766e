//! The real `kv` binary, run as a child process with a cleared environment
//! (only the emulator's variables and an empty `PATH`), against a Key Vault
//! emulator started in the test process. Nothing leaves the machine.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use keyvault_emulator::{Emulator, RunningEmulator};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

#[path = "cli/daily.rs"]
mod daily;
#[path = "cli/run_export.rs"]
mod run_export;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The single JSON line of a one-operation run.
    fn json(&self) -> Value {
        let lines = self.lines();
        assert_eq!(
            lines.len(),
            1,
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        lines.into_iter().next().unwrap()
    }

    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The `field` of a one-operation run that exited with `code` and
    /// reported `"ok": ok`.
    fn outcome(&self, code: i32, ok: bool, field: &str) -> Value {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let v = self.json();
        assert_eq!(v["ok"], ok, "{v}");
        v[field].clone()
    }

    /// The `result` of a successful one-operation run.
    fn ok(&self) -> Value {
        self.outcome(0, true, "result")
    }

    /// The `error` of a failed one-operation run (exit status 1).
    fn err(&self) -> Value {
        self.outcome(1, false, "error")
    }
}

/// Runs the binary with exactly `env`, `args` and `stdin`.
#[allow(clippy::disallowed_methods)] // The test launches the real binary.
async fn kv_with(env: &[(String, String)], args: &[&str], stdin: &str) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kv"))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("kv did not finish within 60 s")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

struct Fixture {
    emulator: RunningEmulator,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Emulator::builder()
            .operation_delay(Duration::from_millis(30))
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let empty_path = dir.path().join("empty-bin");
        std::fs::create_dir(&empty_path).unwrap();
        let mut env = emulator.env_vars();
        env.push(("PATH".into(), empty_path.display().to_string()));
        env.push(("KV_POLL_INTERVAL_MS".into(), "10".into()));
        Self { emulator, env, dir }
    }

    async fn kv(&self, args: &[&str]) -> Run {
        kv_with(&self.env, args, "").await
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// Answers every unauthenticated GET to `vault` with a Bearer challenge that
/// names `authorization` as the authority and the vault as the resource.
async fn mock_challenge(vault: &mut mockito::ServerGuard, authorization: &str) -> mockito::Mock {
    let challenge = format!(
        "Bearer authorization=\"{authorization}\", resource=\"{}\"",
        vault.url()
    );
    vault
        .mock("GET", mockito::Matcher::Any)
        .match_header("authorization", mockito::Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", &challenge)
        .create_async()
        .await
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn set_show_update_and_list() {
    let f = Fixture::start().await;
    let vault = f.emulator.vault_url();

    let set = f
        .kv(&[
            "secret",
            "set",
            "db-password",
            "hunter2",
            "--content-type",
            "text/plain",
            "--tags",
            "env=prod,team=data",
            "--expires",
            "2030-01-01T00:00:00Z",
            "--not-before",
            "2020-01-01T02:00:00+02:00",
            "--enabled",
            "true",
        ])
        .await
        .ok();
    assert_eq!(set["name"], "db-password");
    assert_eq!(set["value"], "hunter2");
    assert_eq!(set["contentType"], "text/plain");
    assert_eq!(set["tags"]["env"], "prod");
    assert_eq!(set["tags"]["team"], "data");
    assert_eq!(set["expiresOn"], "2030-01-01T00:00:00Z");
    assert_eq!(set["notBefore"], "2020-01-01T00:00:00Z");
    assert_eq!(set["enabled"], true);
    assert_eq!(set["recoveryLevel"], "Recoverable+Purgeable");
    let v1 = set["version"].as_str().unwrap().to_owned();
    assert!(
        set["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{vault}/secrets/db-password/"))
    );
    for time in ["createdOn", "updatedOn"] {
        let text = set[time].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{time}: {text}"
        );
    }

    let v2 = f
        .kv(&["secret", "set", "db-password", "hunter3"])
        .await
        .ok()["version"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(v1, v2);

    let shown = f.kv(&["secret", "show", "db-password"]).await.ok();
    assert_eq!(
        (shown["value"].as_str(), shown["version"].as_str()),
        (Some("hunter3"), Some(v2.as_str()))
    );
    let old = f
        .kv(&["secret", "show", "db-password", "--version", &v1])
        .await
        .ok();
    assert_eq!(old["value"], "hunter2");

    let updated = f
        .kv(&[
            "secret",
            "update",
            "db-password",
            "--version",
            &v1,
            "--content-type",
            "application/x-old",
            "--tags",
            "k=v",
            "--enabled",
            "false",
        ])
        .await
        .ok();
    assert_eq!(updated["version"], v1.as_str());
    assert_eq!(updated["contentType"], "application/x-old");
    assert_eq!(updated["tags"], serde_json::json!({"k": "v"}));
    assert_eq!(updated["enabled"], false);
    assert!(
        updated.get("value").is_none(),
        "update returns properties only"
    );

    // A disabled version: Key Vault answers 403 SecretDisabled.
    let disabled = f
        .kv(&["secret", "show", "db-password", "--version", &v1])
        .await
        .err();
    assert_eq!(disabled["statusCode"], 403);
    assert_eq!(disabled["code"], "Forbidden");
    assert!(
        disabled["message"]
            .as_str()
            .unwrap()
            .contains("is disabled")
    );

    f.kv(&["secret", "set", "api-key", "k"]).await.ok();
    let listed = f.kv(&["secret", "list"]).await.ok();
    assert_eq!(names(&listed), ["api-key", "db-password"]);
    assert!(listed[0].get("value").is_none());
    // One item per page: the listing follows nextLink to the end.
    let paged = f.kv(&["secret", "list", "--max-page-size", "1"]).await.ok();
    assert_eq!(names(&paged), ["api-key", "db-password"]);

    let versions = f
        .kv(&[
            "secret",
            "list-versions",
            "db-password",
            "--max-page-size",
            "1",
        ])
        .await
        .ok();
    let mut got: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![v1.as_str(), v2.as_str()];
    want.sort();
    assert_eq!(got, want);

    // Not found: status 1, the vault's code, a message that says what to do.
    let missing = f.kv(&["secret", "show", "no-such-secret"]).await.err();
    assert_eq!(missing["statusCode"], 404);
    assert_eq!(missing["code"], "SecretNotFound");
    let message = missing["message"].as_str().unwrap();
    assert!(
        message.contains("secret 'no-such-secret' not found"),
        "{message}"
    );
    assert!(message.contains("kv secret list"), "{message}");

    // --output table.
    let table = f.kv(&["--output", "table", "secret", "list"]).await;
    assert_eq!(table.code, 0);
    let mut lines = table.stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("NAME"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("db-password"));
    let table_err = f.kv(&["--output", "table", "secret", "show", "nope"]).await;
    assert_eq!(table_err.code, 1);
    assert!(table_err.stdout.is_empty());
    assert!(
        table_err
            .stderr
            .starts_with("error: secret 'nope' not found"),
        "{}",
        table_err.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_recover_purge_backup_restore() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "s1", "one", "--tags", "a=b"])
        .await
        .ok();
    f.kv(&["secret", "set", "s2", "two"]).await.ok();

    let backup_file = f.path("s1.backup");
    let backup = f
        .kv(&["secret", "backup", "s1", "--file", &backup_file])
        .await
        .ok();
    assert_eq!(backup["name"], "s1");
    assert_eq!(backup["file"], backup_file.as_str());
    let size = std::fs::metadata(&backup_file).unwrap().len();
    assert!(size > 0);
    assert_eq!(backup["bytes"], size);
    // Never overwrites.
    let again = f
        .kv(&["secret", "backup", "s1", "--file", &backup_file])
        .await
        .err();
    assert_eq!(again["code"], "FileError");

    // Delete waits until the deleted secret is visible.
    let run = f.kv(&["secret", "delete", "s1"]).await;
    // Standard error is not a terminal: no spinner, nothing at all.
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let deleted = run.ok();
    assert_eq!(deleted["name"], "s1");
    assert!(
        deleted["recoveryId"]
            .as_str()
            .unwrap()
            .ends_with("/deletedsecrets/s1")
    );
    assert!(deleted["deletedOn"].is_string());
    assert!(deleted["scheduledPurgeDate"].is_string());
    let gone = f.kv(&["secret", "show", "s1"]).await.err();
    assert_eq!(gone["statusCode"], 404);

    let shown = f.kv(&["secret", "show-deleted", "s1"]).await.ok();
    assert_eq!(shown["name"], "s1");
    assert_eq!(shown["tags"]["a"], "b");
    assert!(shown["recoveryId"].is_string());

    let listed = f.kv(&["secret", "list-deleted"]).await.ok();
    assert_eq!(names(&listed), ["s1"]);
    assert!(listed[0]["deletedOn"].is_string());

    // Recover waits until the secret is back.
    let recovered = f.kv(&["secret", "recover", "s1"]).await.ok();
    assert_eq!(recovered["name"], "s1");
    assert_eq!(f.kv(&["secret", "show", "s1"]).await.ok()["value"], "one");
    assert!(names(&f.kv(&["secret", "list-deleted"]).await.ok()).is_empty());

    // Delete and purge; then the backup brings it back.
    f.kv(&["secret", "delete", "s1"]).await.ok();
    let purged = f.kv(&["secret", "purge", "s1"]).await.ok();
    assert_eq!(purged, serde_json::json!({"name": "s1", "purged": true}));
    let not_deleted = f.kv(&["secret", "show-deleted", "s1"]).await.err();
    assert_eq!(not_deleted["statusCode"], 404);
    assert!(
        not_deleted["message"]
            .as_str()
            .unwrap()
            .contains("deleted secret 's1' not found")
    );

    let restored = f
        .kv(&["secret", "restore", "--file", &backup_file])
        .await
        .ok();
    assert_eq!(restored["name"], "s1");
    assert_eq!(restored["tags"]["a"], "b");
    assert_eq!(f.kv(&["secret", "show", "s1"]).await.ok()["value"], "one");

    let missing = f
        .kv(&["secret", "restore", "--file", &f.path("missing")])
        .await
        .err();
    assert_eq!(missing["code"], "FileError");
    let purge_live = f.kv(&["secret", "purge", "s2"]).await.err();
    assert_eq!(purge_live["statusCode"], 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn value_from_stdin_and_from_a_file() {
    let f = Fixture::start().await;
    let run = kv_with(
        &f.env,
        &["secret", "set", "from-stdin", "-"],
        "s3cr3t value\n",
    )
    .await;
    assert_eq!(run.ok()["value"], "s3cr3t value");
    assert_eq!(
        f.kv(&["secret", "show", "from-stdin"]).await.ok()["value"],
        "s3cr3t value"
    );

    let file = f.path("value.txt");
    std::fs::write(&file, "line one\nline two\n").unwrap();
    let run = f.kv(&["secret", "set", "from-file", "--file", &file]).await;
    assert_eq!(run.ok()["value"], "line one\nline two\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_carries_on_after_a_failure_and_keeps_the_order() {
    let f = Fixture::start().await;
    let input = [
        r#"["secret","set","b1","v1"]"#,
        r#"["secret","show","does-not-exist"]"#,
        "",
        r#"["sleep","0.05"]"#,
        r#"["secret","show","b1"]"#,
        r#"not json"#,
        r#"["secret","set","b2","-"]"#,
        r#"["secret","list"]"#,
    ]
    .join("\n");
    let run = kv_with(&f.env, &["batch"], &input).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 7, "{}", run.stdout);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["result"]["value"], "v1");
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"]["statusCode"], 404);
    assert_eq!(lines[1]["error"]["code"], "SecretNotFound");
    assert_eq!(lines[2]["result"]["slept"], 0.05);
    assert_eq!(lines[3]["result"]["value"], "v1");
    assert_eq!(lines[4]["error"]["code"], "UsageError");
    assert!(
        lines[4]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 6:")
    );
    assert_eq!(lines[5]["error"]["code"], "UsageError");
    assert!(
        lines[5]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("standard input")
    );
    assert_eq!(names(&lines[6]["result"]), ["b1"]);

    let all_good = kv_with(&f.env, &["batch"], "[\"secret\",\"list\"]\n[\"sleep\",0]\n").await;
    assert_eq!(all_good.code, 0, "{}", all_good.stderr);
    assert_eq!(all_good.lines().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_from_flags_and_bad_vault_urls() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "x", "y"]).await.ok();
    let mut env = f.env.clone();
    env.retain(|(k, _)| k != "AZURE_KEYVAULT_URL");

    // No vault at all: a usage error.
    let none = kv_with(&env, &["secret", "list"], "").await;
    assert_eq!(none.code, 2);
    assert_eq!(none.json()["error"]["code"], "UsageError");

    let url = f.emulator.vault_url();
    let listed = kv_with(&env, &["--vault-url", &url, "secret", "list"], "")
        .await
        .ok();
    assert_eq!(names(&listed), ["x"]);

    // Nothing listens there.
    let port = closed_port().await;
    let closed = format!("http://127.0.0.1:{port}");
    let err = kv_with(&env, &["--vault-url", &closed, "secret", "list"], "")
        .await
        .err();
    assert_eq!(err["code"], "VaultUnreachable");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(&port.to_string()), "{message}");
    assert!(message.contains("--vault-url"), "{message}");

    // Not a vault URL at all.
    let err = kv_with(&env, &["--vault-url", "not a url", "secret", "list"], "")
        .await
        .err();
    assert_eq!(err["code"], "InvalidVaultUrl");
    assert!(err["message"].as_str().unwrap().contains("'not a url'"));

    // An invalid vault name.
    let err = kv_with(&env, &["--vault-name", "1bad", "secret", "list"], "")
        .await
        .err();
    assert_eq!(err["code"], "InvalidVaultUrl");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_available_explains_the_chain() {
    let f = Fixture::start().await;
    let port = closed_port().await;
    let empty_path = f.dir.path().join("empty-bin");
    let env = vec![
        ("AZURE_KEYVAULT_URL".to_owned(), f.emulator.vault_url()),
        (
            "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
        ("PATH".to_owned(), empty_path.display().to_string()),
    ];
    let err = kv_with(&env, &["secret", "show", "x"], "").await.err();
    assert_eq!(err["code"], "CredentialUnavailable");
    assert_eq!(err["statusCode"], Value::Null);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("no credential is available"),
        "{message}"
    );
    for link in [
        "EnvironmentCredential",
        "ManagedIdentityCredential",
        "AzureCliCredential",
        "AzureDeveloperCliCredential",
    ] {
        assert!(message.contains(link), "{link} missing from: {message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_flag_picks_one_link() {
    let f = Fixture::start().await;
    let ok = f
        .kv(&[
            "--credential",
            "EnvironmentCredential",
            "secret",
            "set",
            "c",
            "d",
        ])
        .await
        .ok();
    assert_eq!(ok["value"], "d");
    // Only the Azure CLI, which is not on PATH.
    let err = f
        .kv(&["--credential", "azureclicredential", "secret", "show", "c"])
        .await
        .err();
    assert_eq!(err["code"], "CredentialUnavailable");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("AzureCliCredential"), "{message}");
    assert!(!message.contains("EnvironmentCredential"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let f = Fixture::start().await;
    for args in [
        vec!["secret"],
        vec!["secret", "set"],
        vec!["secret", "show"],
        vec!["secret", "list", "--max-page-size", "100"],
        vec!["--credential", "bogus", "secret", "list"],
        vec!["secret", "update", "x", "--expires", "next week"],
        vec!["frobnicate"],
    ] {
        let run = f.kv(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(
            run.stderr.contains("Usage") || run.stderr.contains("error"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let help = f.kv(&["secret", "--help"]).await;
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("list-deleted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_for_every_shell() {
    let f = Fixture::start().await;
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = f.kv(&["completions", shell]).await;
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("list-versions"), "{shell}");
    }
    assert!(!Path::new(&f.path("nothing")).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_denied_says_what_to_do() {
    // The emulator has no access control: a mock vault answers 403 to an
    // authenticated request, with tokens from the emulator's issuer.
    let f = Fixture::start().await;
    let mut vault = mockito::Server::new_async().await;
    let authority = format!("{}/{}", f.emulator.authority_host(), f.emulator.tenant_id());
    let _challenge = mock_challenge(&mut vault, &authority).await;
    let forbidden = vault
        .mock("GET", mockito::Matcher::Regex("^/secrets/db-password/".into()))
        .match_header("authorization", mockito::Matcher::Regex("^Bearer .+".into()))
        .with_status(403)
        .with_header("content-type", "application/json")
        .with_body(
            r#"{"error":{"code":"Forbidden","message":"The user, group or application does not have secrets get permission on key vault 'v'.","innererror":{"code":"AccessDenied"}}}"#,
        )
        .create_async()
        .await;
    let run = f
        .kv(&["--vault-url", &vault.url(), "secret", "show", "db-password"])
        .await;
    let err = run.err();
    forbidden.assert_async().await;
    assert_eq!(err["statusCode"], 403);
    assert_eq!(err["code"], "Forbidden");
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("permission denied"), "{message}");
    assert!(
        message.contains("may not read secret 'db-password'"),
        "{message}"
    );
    assert!(message.contains("Key Vault Secrets Officer"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_signs_in_once() {
    // A mock authority counts token requests; the vault is a mock too.
    let mut authority = mockito::Server::new_async().await;
    let tenant = "00000000-0000-0000-0000-00000000e3e1";
    let token = authority
        .mock("POST", format!("/{tenant}/oauth2/v2.0/token").as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(r#"{"token_type":"Bearer","expires_in":3600,"access_token":"tok-1"}"#)
        .expect(1)
        .create_async()
        .await;
    let mut vault = mockito::Server::new_async().await;
    let _challenge = mock_challenge(&mut vault, &format!("{}/{tenant}", authority.url())).await;
    let body = format!(
        r#"{{"value":"v","id":"{}/secrets/a/1234","attributes":{{"enabled":true,"created":1893456000,"updated":1893456000}}}}"#,
        vault.url()
    );
    let shows = vault
        .mock("GET", mockito::Matcher::Regex("^/secrets/a/".into()))
        .match_header("authorization", "Bearer tok-1")
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(&body)
        .expect(3)
        .create_async()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("AZURE_KEYVAULT_URL".to_owned(), vault.url()),
        ("AZURE_AUTHORITY_HOST".to_owned(), authority.url()),
        ("AZURE_TENANT_ID".to_owned(), tenant.to_owned()),
        (
            "AZURE_CLIENT_ID".to_owned(),
            "00000000-0000-0000-0000-0000000c1e47".to_owned(),
        ),
        (
            "AZURE_CLIENT_SECRET".to_owned(),
            "not-a-real-secret".to_owned(),
        ),
        ("PATH".to_owned(), dir.path().display().to_string()),
    ];
    let input = "[\"secret\",\"show\",\"a\"]\n".repeat(3);
    let run = kv_with(
        &env,
        &["--credential", "environmentcredential", "batch"],
        &input,
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["result"]["value"], "v");
        assert_eq!(line["result"]["createdOn"], "2030-01-01T00:00:00Z");
    }
    token.assert_async().await;
    shows.assert_async().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn misconfigured_identity_stops_and_never_runs_az() {
    use std::os::unix::fs::PermissionsExt;
    // A signed-in `az` that leaves a mark when it runs: the chain must stop
    // at the malformed AZURE_TENANT_ID instead of falling through to it.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("az-ran");
    let az = dir.path().join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\ntouch '{}'\necho '{{\"accessToken\":\"az-token\",\"expires_on\":4102444800}}'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut vault = mockito::Server::new_async().await;
    let _challenge = mock_challenge(&mut vault, "https://login.microsoftonline.com/contoso").await;
    let port = closed_port().await;
    let env = vec![
        ("AZURE_KEYVAULT_URL".to_owned(), vault.url()),
        ("AZURE_TENANT_ID".to_owned(), "contoso tenant!".to_owned()),
        (
            "AZURE_CLIENT_ID".to_owned(),
            "00000000-0000-0000-0000-0000000c1e47".to_owned(),
        ),
        (
            "AZURE_CLIENT_SECRET".to_owned(),
            "not-a-real-secret".to_owned(),
        ),
        (
            "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
        ("PATH".to_owned(), dir.path().display().to_string()),
    ];
    let run = kv_with(&env, &["secret", "show", "x"], "").await;
    let err = run.err();
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(
            "EnvironmentCredential is misconfigured: AZURE_TENANT_ID is \"contoso tenant!\""
        ),
        "{message}"
    );
    assert!(!message.contains("not-a-real-secret"), "{message}");
    assert!(!marker.exists(), "az ran");
}

#[path = "support/fake_az.rs"]
mod fake_az;

#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test(flavor = "multi_thread")]
async fn second_show_with_the_azure_cli_runs_no_az_until_the_cache_is_cleared() {
    let mut f = Fixture::start().await;
    let az = fake_az::FakeAz::install(&f.dir.path().join("empty-bin"), &f.emulator, "0").await;
    let cache_home = f.path("cache-home");
    f.env.push(("XDG_CACHE_HOME".into(), cache_home.clone()));
    // The real keyring stays untouched: the cache is an owner-only file.
    f.env.push(("KV_TOKEN_CACHE_KEYRING".into(), "off".into()));
    let show = ["--credential", "azureclicredential", "secret", "show", "s"];

    let set = f
        .kv(&[
            "--credential",
            "azureclicredential",
            "secret",
            "set",
            "s",
            "v",
        ])
        .await;
    assert_eq!(set.ok()["value"], "v");
    assert_eq!(az.runs(), 1);
    assert!(
        set.stderr.contains("caching tokens unencrypted"),
        "{}",
        set.stderr
    );
    let cache_file = format!("{cache_home}/azure-rust-identity/kv.cache");
    assert!(Path::new(&cache_file).exists());

    let again = f.kv(&show).await;
    assert_eq!(again.ok()["value"], "v");
    assert_eq!(az.runs(), 1, "the second kv ran az");
    assert!(
        !again.stderr.contains("unencrypted"),
        "the notice repeated: {}",
        again.stderr
    );

    let uncached = f
        .kv(&[
            "--no-token-cache",
            show[0],
            show[1],
            show[2],
            show[3],
            show[4],
        ])
        .await;
    assert_eq!(uncached.ok()["value"], "v");
    assert_eq!(az.runs(), 2, "--no-token-cache used the cache");

    let cleared = f.kv(&["cache", "clear"]).await;
    assert_eq!(cleared.ok()["cleared"], cache_file);
    assert!(!Path::new(&cache_file).exists());
    assert_eq!(f.kv(&show).await.ok()["value"], "v");
    assert_eq!(az.runs(), 3, "a cleared cache still served a token");
}

#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test(flavor = "multi_thread")]
async fn a_cache_file_others_can_read_is_refused_with_a_notice() {
    use std::os::unix::fs::PermissionsExt;
    let mut f = Fixture::start().await;
    let cache_home = f.path("cache-home");
    f.env.push(("XDG_CACHE_HOME".into(), cache_home.clone()));
    f.env.push(("KV_TOKEN_CACHE_KEYRING".into(), "off".into()));
    assert!(
        f.kv(&["secret", "set", "s", "v"])
            .await
            .stderr
            .contains("unencrypted")
    );
    let file = format!("{cache_home}/azure-rust-identity/kv.cache");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = f.kv(&["secret", "show", "s"]).await;
    assert_eq!(run.ok()["value"], "v");
    assert!(
        run.stderr.contains("not using the token cache")
            && run.stderr.contains("readable by other users"),
        "{}",
        run.stderr
    );
}
