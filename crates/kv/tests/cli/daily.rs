//! `--debug`, `auth status`, `show --value-only` and `rotate`, with the real
//! binary against the emulator.
#![allow(clippy::disallowed_methods)] // The tests compare with the real clock.

use super::*;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A value that must never appear in logs.
const SECRET_VALUE: &str = "Sup3r-s3cret-v4lue-do-not-log";

/// The fixture's environment without the service principal, so that
/// `EnvironmentCredential` and `WorkloadIdentityCredential` are skipped and
/// the emulator's managed identity endpoint signs in.
fn managed_identity_env(f: &Fixture) -> Vec<(String, String)> {
    let mut env = f.env.clone();
    env.retain(|(k, _)| !k.starts_with("AZURE_CLIENT_") && k != "AZURE_TENANT_ID");
    env
}

fn assert_no_secrets(f: &Fixture, text: &str) {
    for secret in [SECRET_VALUE, f.emulator.client_secret()] {
        assert!(!text.contains(secret), "a secret was logged:\n{text}");
    }
    // Every token the emulator issues is a JWT, and every JWT starts so.
    assert!(!text.contains("eyJ"), "a token was logged:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_each_exchange_and_the_chain_but_no_secret() {
    let f = Fixture::start().await;
    let mut env = f.env.clone();
    env.push(("RUST_LOG".into(), "trace".into()));
    let set = kv_with(&env, &["--debug", "secret", "set", "db", SECRET_VALUE], "").await;
    assert_eq!(set.json()["ok"], true, "{}", set.stderr);
    let show = kv_with(&env, &["--debug", "secret", "show", "db"], "").await;
    assert_eq!(show.json()["result"]["value"], SECRET_VALUE);
    for run in [&set, &show] {
        let log = &run.stderr;
        assert_no_secrets(&f, log);
        // The challenge round trip, the token request, the authorized retry.
        assert!(log.contains("HTTP request"), "{log}");
        assert!(log.contains("/secrets/db"), "{log}");
        assert!(log.contains("status=401"), "{log}");
        assert!(log.contains("authentication challenge received"), "{log}");
        assert!(log.contains("oauth2/v2.0/token"), "{log}");
        assert!(log.contains("status=200"), "{log}");
        assert!(log.contains("api-version="), "{log}");
        assert!(log.contains("duration_ms="), "{log}");
        assert!(log.contains("authorized=true"), "{log}");
        assert!(log.contains("EnvironmentCredential"), "{log}");
    }
    // A retry and its wait are logged.
    f.emulator
        .set_faults(keyvault_emulator::Faults::none().throttle(1, Some(Duration::from_secs(1))));
    let retried = f.kv(&["--debug", "secret", "show", "db"]).await;
    assert_eq!(retried.json()["result"]["value"], SECRET_VALUE);
    let log = &retried.stderr;
    assert!(log.contains("status=429"), "{log}");
    assert!(log.contains("the server asks to wait url="), "{log}");
    assert!(log.contains("retrying a Key Vault request"), "{log}");
    assert!(log.contains("delay_ms=1000"), "{log}");
    assert_no_secrets(&f, log);

    // --debug alone logs at debug level; without it nothing is logged.
    let debug = f.kv(&["--debug", "secret", "show", "db"]).await;
    assert!(debug.stderr.contains("HTTP response"), "{}", debug.stderr);
    assert!(!debug.stderr.contains("hyper_util"), "{}", debug.stderr);
    assert_no_secrets(&f, &debug.stderr);
    assert!(f.kv(&["secret", "show", "db"]).await.stderr.is_empty());
    // A filter that does not parse is a usage error naming RUST_LOG.
    let mut bad = f.env.clone();
    bad.push(("RUST_LOG".into(), "a=b=c".into()));
    let run = kv_with(&bad, &["secret", "list"], "").await;
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("RUST_LOG"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_the_chain_attempts_that_were_skipped() {
    let f = Fixture::start().await;
    let run = kv_with(
        &managed_identity_env(&f),
        &["--debug", "auth", "status"],
        "",
    )
    .await;
    let log = &run.stderr;
    assert!(
        log.contains("credential unavailable; trying the next"),
        "{log}"
    );
    assert!(log.contains("ManagedIdentityCredential"), "{log}");
    assert_no_secrets(&f, log);
    assert_no_secrets(&f, &run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_status_names_the_environment_link_and_the_identity() {
    let f = Fixture::start().await;
    let run = f.kv(&["auth", "status"]).await;
    assert_no_secrets(&f, &run.stdout);
    let status = run.ok();
    assert_eq!(status["signedIn"], true);
    assert_eq!(status["credential"], "EnvironmentCredential");
    assert_eq!(status["skipped"], serde_json::json!([]));
    assert_eq!(status["tenantId"], f.emulator.tenant_id());
    assert_eq!(status["appId"], f.emulator.client_id());
    assert_eq!(status["objectId"], f.emulator.client_id());
    let expires = OffsetDateTime::parse(status["expiresOn"].as_str().unwrap(), &Rfc3339).unwrap();
    assert!(expires > OffsetDateTime::now_utc());

    let table = f.kv(&["--output", "table", "auth", "status"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains("credential         EnvironmentCredential"),
        "{}",
        table.stdout
    );
    assert_no_secrets(&f, &table.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_status_says_why_earlier_links_were_skipped() {
    let f = Fixture::start().await;
    let status = kv_with(&managed_identity_env(&f), &["auth", "status"], "")
        .await
        .ok();
    assert_eq!(status["credential"], "ManagedIdentityCredential");
    let skipped: Vec<&str> = status["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped[0].starts_with("EnvironmentCredential: "),
        "{skipped:?}"
    );
    assert!(skipped[0].contains("AZURE_TENANT_ID"), "{skipped:?}");
    assert!(
        skipped[1].starts_with("WorkloadIdentityCredential: "),
        "{skipped:?}"
    );
    assert_eq!(status["objectId"], f.emulator.managed_identity_client_id());
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_status_fails_with_the_fix_when_nothing_signs_in() {
    let f = Fixture::start().await;
    let port = closed_port().await;
    let env = vec![
        (
            "AZURE_POD_IDENTITY_AUTHORITY_HOST".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
        (
            "PATH".to_owned(),
            f.dir.path().join("empty-bin").display().to_string(),
        ),
    ];
    let err = kv_with(&env, &["auth", "status"], "").await.err();
    assert_eq!(err["code"], "NotSignedIn");
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("not signed in"), "{message}");
    assert!(message.contains("az login"), "{message}");
    assert!(message.contains("AZURE_CLIENT_SECRET"), "{message}");
    for link in ["EnvironmentCredential", "AzureCliCredential"] {
        assert!(message.contains(link), "{message}");
    }
    let one = kv_with(
        &env,
        &["--credential", "azureclicredential", "auth", "status"],
        "",
    )
    .await
    .err();
    let message = one["message"].as_str().unwrap();
    assert!(message.contains("az login"), "{message}");
    assert!(!message.contains("EnvironmentCredential"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn value_only_prints_the_exact_bytes() {
    let f = Fixture::start().await;
    for (name, value) in [
        ("plain", "hunter2"),
        ("lines", "line one\nline two\n"),
        ("unicode", "héllo wörld ✓ 秘密\r\n\n"),
    ] {
        let file = f.path(name);
        std::fs::write(&file, value).unwrap();
        f.kv(&["secret", "set", name, "--file", &file]).await.ok();
        let run = f.kv(&["secret", "show", name, "--value-only"]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.as_bytes(), value.as_bytes(), "{name}");
        assert!(run.stderr.is_empty());
    }
    // An error: nothing on standard output, the reason on standard error.
    let run = f.kv(&["secret", "show", "missing", "--value-only"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .starts_with("kv: error: secret 'missing' not found"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_sets_a_generated_version_and_disables_the_previous() {
    let f = Fixture::start().await;
    let old = f
        .kv(&[
            "secret",
            "set",
            "db",
            "old-value",
            "--content-type",
            "text/plain",
            "--tags",
            "owner=data",
        ])
        .await
        .ok()["version"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = OffsetDateTime::now_utc();
    let rotated = f
        .kv(&[
            "secret",
            "rotate",
            "db",
            "--length",
            "48",
            "--alphabet",
            "hex",
            "--expires-in",
            "90d",
            "--disable-previous",
            "--copy-properties",
        ])
        .await
        .ok();
    assert!(rotated.get("value").is_none(), "{rotated}");
    let new = rotated["version"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["previousVersion"], old.as_str());
    assert_eq!(rotated["previousDisabled"], true);
    assert_eq!(rotated["contentType"], "text/plain");
    assert_eq!(rotated["tags"]["owner"], "data");
    let expires = OffsetDateTime::parse(rotated["expiresOn"].as_str().unwrap(), &Rfc3339).unwrap();
    let ninety_days = time::Duration::days(90);
    assert!(expires >= before + ninety_days - time::Duration::seconds(5));
    assert!(expires <= OffsetDateTime::now_utc() + ninety_days + time::Duration::seconds(5));

    let value = f.kv(&["secret", "show", "db", "--value-only"]).await.stdout;
    assert_eq!(value.len(), 48);
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()), "{value}");
    let previous = f
        .kv(&["secret", "show", "db", "--version", &old])
        .await
        .err();
    assert_eq!(previous["statusCode"], 403);

    // Without options: properties not copied, previous left enabled, and
    // the value printed only when asked.
    let plain = f.kv(&["secret", "rotate", "db", "--show-value"]).await.ok();
    assert_eq!(plain["value"].as_str().unwrap().len(), 32);
    assert_eq!(plain["contentType"], Value::Null);
    assert_eq!(plain["previousDisabled"], false);
    assert_eq!(plain["expiresOn"], Value::Null);
    f.kv(&["secret", "show", "db", "--version", &new])
        .await
        .ok();

    let missing = f.kv(&["secret", "rotate", "nope"]).await.err();
    assert_eq!(missing["statusCode"], 404);
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("kv secret set nope"),
        "{missing}"
    );
}
