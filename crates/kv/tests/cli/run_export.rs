//! `kv run` and `kv export`, with the real binary against the emulator.
#![cfg(unix)]

use super::*;

/// `kv run` with `args` (the program after `--`).
async fn kv_run(f: &Fixture, args: &[&str]) -> Run {
    kv_with(&f.env, args, "").await
}

#[tokio::test(flavor = "multi_thread")]
async fn run_sets_the_variables_passes_arguments_and_exit_code() {
    let f = Fixture::start().await;
    let v1 = f
        .kv(&["secret", "set", "db-password", "first pass"])
        .await
        .ok()["version"]
        .as_str()
        .unwrap()
        .to_owned();
    f.kv(&["secret", "set", "db-password", "second 'pass' \"q\""])
        .await
        .ok();
    f.kv(&["secret", "set", "api-key", "k-123"]).await.ok();
    let pinned = format!("OLD=db-password@{v1}");
    let run = kv_run(
        &f,
        &[
            "run",
            "--secret",
            "DB_PASSWORD=db-password",
            "--secret",
            "API_KEY=api-key",
            "--secret",
            &pinned,
            "--",
            "/bin/sh",
            "-c",
            r#"printf '%s|%s|%s\n' "$DB_PASSWORD" "$API_KEY" "$OLD"; for a in "$@"; do printf '[%s]\n' "$a"; done; exit 7"#,
            "sh",
            "two words",
            "it's \"quoted\"",
            "$HOME",
            "*",
        ],
    )
    .await;
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "second 'pass' \"q\"|k-123|first pass\n[two words]\n[it's \"quoted\"]\n[$HOME]\n[*]\n"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let ok = kv_run(&f, &["run", "--secret", "A=api-key", "--", "/bin/true"]).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::disallowed_methods)] // The test starts kv and `kill` itself.
async fn an_interrupt_waits_for_the_program_and_gives_its_status() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "k", "v"]).await.ok();
    let marker = f.path("started");
    let script = format!(": > {marker}; /bin/sleep 1; exit 3");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kv"))
        .env_clear()
        .envs(f.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(["run", "--secret", "K=k", "--", "/bin/sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until kv has read the secret and started the program.
    for _ in 0..200 {
        if Path::new(&marker).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(Path::new(&marker).exists(), "the program did not start");
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("/bin/kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(3), "{status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn run_reads_an_env_file() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "api-key", "from-file"]).await.ok();
    let file = f.path("app.env");
    std::fs::write(&file, "# the app's secrets\n\nAPI_KEY=api-key\n").unwrap();
    let run = kv_run(
        &f,
        &[
            "--debug",
            "run",
            "--env-file",
            &file,
            "--",
            "/bin/sh",
            "-c",
            "printf %s \"$API_KEY\"",
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "from-file"),
        "{}",
        run.stderr
    );
    // kv's own log names the secret it reads, never its value.
    assert!(run.stderr.contains("/secrets/api-key"), "{}", run.stderr);
    assert!(!run.stderr.contains("from-file"), "{}", run.stderr);
    std::fs::write(&file, "API_KEY\n").unwrap();
    let bad = kv_run(&f, &["run", "--env-file", &file, "--", "/bin/true"]).await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("app.env line 1"), "{}", bad.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_disabled_secret_stops_run_before_the_program_starts() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "present", "p"]).await.ok();
    f.kv(&["secret", "set", "off", "x", "--enabled", "false"])
        .await
        .ok();
    let marker = f.path("started");
    // A shell builtin: the fixture's PATH is empty.
    let touch = format!(": > {marker}");
    for (mapping, secret, why) in [
        ("GONE=missing", "'missing'", "not found"),
        ("OFF=off", "'off'", "is disabled"),
    ] {
        let run = kv_run(
            &f,
            &[
                "run",
                "--secret",
                "P=present",
                "--secret",
                mapping,
                "--",
                "/bin/sh",
                "-c",
                &touch,
            ],
        )
        .await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains(secret), "{}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
        assert!(run.stderr.contains("not started"), "{}", run.stderr);
        assert!(!Path::new(&marker).exists(), "the program ran");
    }
    // The same program with readable secrets does run (so the check above
    // can see a start).
    let started = kv_run(
        &f,
        &[
            "run",
            "--secret",
            "P=present",
            "--",
            "/bin/sh",
            "-c",
            &touch,
        ],
    )
    .await;
    assert_eq!(started.code, 0, "{}", started.stderr);
    assert!(Path::new(&marker).exists());
    let missing_program = kv_run(
        &f,
        &["run", "--secret", "P=present", "--", "/no/such/program"],
    )
    .await;
    assert_eq!(missing_program.code, 127);
    assert!(missing_program.stderr.contains("/no/such/program"));
    let usage = kv_run(&f, &["run", "--secret", "1X=present", "--", "/bin/true"]).await;
    assert_eq!(usage.code, 2, "{}", usage.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn export_prints_the_selected_secrets_with_a_warning() {
    let f = Fixture::start().await;
    f.kv(&["secret", "set", "myapp-db-password", "p w'd"])
        .await
        .ok();
    f.kv(&["secret", "set", "myapp-api-key", "k1"]).await.ok();
    f.kv(&["secret", "set", "myapp-off", "x", "--enabled", "false"])
        .await
        .ok();
    f.kv(&["secret", "set", "other", "o"]).await.ok();
    let dotenv = f.kv(&["export", "--prefix", "myapp-"]).await;
    assert_eq!(dotenv.code, 0, "{}", dotenv.stderr);
    assert_eq!(dotenv.stdout, "API_KEY='k1'\nDB_PASSWORD=\"p w'd\"\n");
    assert!(
        dotenv
            .stderr
            .contains("warning: printing the values of 2 secrets"),
        "{}",
        dotenv.stderr
    );
    assert!(dotenv.stderr.contains("'myapp-off'"), "{}", dotenv.stderr);
    let json = f
        .kv(&["export", "--prefix", "myapp-", "--format", "json"])
        .await;
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"api-key": "k1", "db-password": "p w'd"})
    );
    assert!(json.stderr.contains("warning"), "{}", json.stderr);
    let all = f.kv(&["export", "--format", "json"]).await;
    let v: Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 3);
}
