//! AzureCliCredential through a scripted process runner.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use credential_cli::AzureCliCredential;
use credential_core::test_util::ScriptedFailure;
use credential_core::{CredentialError, Env, TokenCredential, TokenRequestOptions};
use support::*;
use time::macros::{datetime, offset};

fn az_json(extra: &str) -> String {
    format!(r#"{{"accessToken": "{TOKEN}", "tokenType": "Bearer", "tenant": "t"{extra}}}"#)
}

fn ok_output() -> String {
    az_json(&format!(
        r#", "expires_on": {EXPIRES_EPOCH}, "expiresOn": "2030-01-01 01:00:00.000000""#
    ))
}

fn base_args(resource: &str) -> Vec<String> {
    [
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
        resource,
    ]
    .map(String::from)
    .to_vec()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The arguments for the vault scope, followed by `tail`.
fn vault_args(tail: &[&str]) -> Vec<String> {
    let mut args = base_args("https://vault.azure.net");
    args.extend(strings(tail));
    args
}

/// The credential with default settings over `h`.
fn credential(h: &Harness) -> AzureCliCredential {
    AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .build()
        .unwrap()
}

/// Has `credential` get a vault token with `options` from a successful
/// scripted run; returns the arguments of the launch.
async fn launched_args(
    h: &Harness,
    credential: &AzureCliCredential,
    options: &TokenRequestOptions,
) -> Vec<String> {
    h.runner.push_output(0, &ok_output(), "");
    credential.get_token(&[VAULT_SCOPE], options).await.unwrap();
    let requests = h.runner.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests[0].args.clone()
}

#[tokio::test]
async fn default_launch_is_exact() {
    let h = harness("az");
    h.runner.push_output(0, &ok_output(), "");
    let token = vault_token(&credential(&h)).await.unwrap();
    assert_is_the_token(&token);

    let requests = h.runner.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_launched_in_bin(request, "az", Duration::from_secs(10));
    assert_eq!(request.args, base_args("https://vault.azure.net"));
    assert_eq!(
        request.env,
        vec![("AZURE_CORE_NO_COLOR".to_owned(), "true".to_owned())]
    );
}

#[tokio::test]
async fn a_clone_is_served_from_the_originals_cache() {
    let h = harness("az");
    h.runner.push_output(0, &ok_output(), "");
    let original = credential(&h);
    let token = vault_token(&original).await.unwrap();
    let clone = original.clone();
    drop(original);
    assert_eq!(vault_token(&clone).await.unwrap(), token);
    assert_eq!(h.runner.requests().len(), 1);
}

#[tokio::test]
async fn tenant_subscription_and_timeout_are_passed() {
    let h = harness("az");
    h.runner.push_output(0, &ok_output(), "");
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx)
        .with_tenant_id("contoso.onmicrosoft.com")
        .with_subscription("My Subscription")
        .with_process_timeout(Duration::from_secs(42))
        .build()
        .unwrap();
    credential
        .get_token(
            &["https://management.azure.com"],
            &TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    let request = &h.runner.requests()[0];
    let mut expected = base_args("https://management.azure.com");
    expected.extend(strings(&[
        "--tenant",
        "contoso.onmicrosoft.com",
        "--subscription",
        "My Subscription",
    ]));
    assert_eq!(request.args, expected);
    assert_eq!(request.timeout, Duration::from_secs(42));
}

#[tokio::test]
async fn subscription_alone() {
    let h = harness("az");
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_subscription("00000000-0000-0000-0000-000000000000")
        .build()
        .unwrap();
    assert_eq!(
        launched_args(&h, &credential, &TokenRequestOptions::default()).await,
        vault_args(&["--subscription", "00000000-0000-0000-0000-000000000000"])
    );
}

#[tokio::test]
async fn request_tenant_without_configured_tenant_is_used() {
    let h = harness("az");
    let options = TokenRequestOptions::default().with_tenant_id("fabrikam");
    assert_eq!(
        launched_args(&h, &credential(&h), &options).await,
        vault_args(&["--tenant", "fabrikam"])
    );
}

#[tokio::test]
async fn request_tenant_needs_allowing() {
    let h = harness("az");
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    let err = fabrikam_token_is_refused(&h, &credential).await;
    assert!(err.to_string().contains("fabrikam"), "{err}");

    let options = TokenRequestOptions::default().with_tenant_id("fabrikam");

    let credential = AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .with_additionally_allowed_tenants(["fabrikam"])
        .build()
        .unwrap();
    assert_eq!(
        launched_args(&h, &credential, &options).await,
        vault_args(&["--tenant", "fabrikam"])
    );
}

#[tokio::test]
async fn multitenant_disabled_keeps_configured_tenant() {
    let h = harness_with(
        Env::from_pairs([
            ("PATH", "/usr/bin"),
            ("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "true"),
        ]),
        &["az"],
    );
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    let options = TokenRequestOptions::default().with_tenant_id("fabrikam");
    assert_eq!(
        launched_args(&h, &credential, &options).await,
        vault_args(&["--tenant", "contoso"])
    );
}

async fn parse(
    stdout: &str,
    credential_offset: Option<time::UtcOffset>,
) -> Result<credential_core::AccessToken, CredentialError> {
    let h = harness("az");
    h.runner.push_output(0, stdout, "");
    let mut builder = AzureCliCredential::builder().with_context(h.ctx);
    if let Some(offset) = credential_offset {
        builder = builder.with_local_offset(offset);
    }
    vault_token(&builder.build().unwrap()).await
}

#[tokio::test]
async fn expires_on_variants() {
    for (case, extra, local_offset, expected) in [
        (
            "the epoch wins over the local time",
            format!(
                r#", "expiresOn": "2031-06-01 00:00:00.000000", "expires_on": {EXPIRES_EPOCH}"#
            ),
            None,
            datetime!(2030-01-01 1:00 UTC),
        ),
        (
            "the epoch as a string",
            format!(r#", "expires_on": "{EXPIRES_EPOCH}""#),
            None,
            datetime!(2030-01-01 1:00 UTC),
        ),
        // Without expires_on, the local expiresOn is used.
        (
            "by default the local time is read as UTC (documented)",
            r#", "expiresOn": "2030-01-01 01:00:00.123456""#.to_owned(),
            None,
            datetime!(2030-01-01 1:00:00.123456 UTC),
        ),
        (
            "the machine's offset, when given, is applied",
            r#", "expiresOn": "2030-01-01 03:00:00.000000""#.to_owned(),
            Some(offset!(+2)),
            datetime!(2030-01-01 1:00 UTC),
        ),
        (
            "a null expires_on is missing too; no fraction is fine",
            r#", "expires_on": null, "expiresOn": "2030-01-01 01:00:00""#.to_owned(),
            None,
            datetime!(2030-01-01 1:00 UTC),
        ),
    ] {
        let token = parse(&az_json(&extra), local_offset).await.unwrap();
        assert_eq!(token.expires_on, expected, "{case}");
    }
}

#[tokio::test]
async fn malformed_outputs_are_unexpected_responses_without_echo() {
    for stdout in [
        format!("WARNING: something {TOKEN}"),
        String::new(),
        format!(r#"{{"token": "{TOKEN}", "expires_on": 1}}"#),
        az_json(""),
        az_json(r#", "expires_on": "tomorrow""#),
        az_json(r#", "expiresOn": "2030-01-01T01:00:00Z""#),
        r#"["a"]"#.to_owned(),
    ] {
        let err = parse(&stdout, None).await.unwrap_err();
        assert_unexpected_response_in(&stdout, &err);
        assert_no_token(&err.to_string());
        assert_no_token(&format!("{err:?}"));
        assert!(!err.to_string().contains("WARNING"), "{err}");
    }
}

async fn fail(exit: i32, stderr: &str, tenant: Option<&str>) -> CredentialError {
    let h = harness("az");
    h.runner.push_output(exit, "", stderr);
    let mut builder = AzureCliCredential::builder().with_context(h.ctx);
    if let Some(tenant) = tenant {
        builder = builder.with_tenant_id(tenant);
    }
    vault_token(&builder.build().unwrap()).await.unwrap_err()
}

#[tokio::test]
async fn not_logged_in_says_run_az_login() {
    let err = fail(1, "ERROR: Please run 'az login' to setup account.\n", None).await;
    assert_unavailable(&err, "Run `az login`");
    let err = fail(
        1,
        "ERROR: Please run 'az login' to setup account.\n",
        Some("contoso"),
    )
    .await;
    assert_unavailable(&err, "Run `az login --tenant contoso`");
}

#[tokio::test]
async fn not_installed_variants() {
    let err = fail(127, "", None).await;
    assert_unavailable(&err, "Azure CLI was not found on PATH");
    assert!(err.to_string().contains("az login"), "{err}");
    let err = fail(
        1,
        "'az' is not recognized as an internal or external command",
        None,
    )
    .await;
    assert_unavailable(&err, "not found on PATH");

    let h = harness("az");
    h.runner.push_failure(ScriptedFailure::NotFound);
    let err = vault_token(&credential(&h)).await.unwrap_err();
    assert_unavailable(&err, "not found on PATH");
}

#[tokio::test]
async fn not_on_path_launches_nothing() {
    for env in [
        Env::from_pairs([("PATH", "/opt/other")]),
        Env::empty(),
        Env::from_pairs([("PATH", "usr/bin:.")]),
    ] {
        let h = harness_with(env, &["az"]);
        let err = vault_token(&credential(&h)).await.unwrap_err();
        assert_unavailable(&err, "Azure CLI was not found on PATH");
        assert!(h.runner.requests().is_empty());
    }
}

#[tokio::test]
async fn timeout_is_unavailable_and_says_how_to_raise_it() {
    let h = harness("az");
    h.runner.push_failure(ScriptedFailure::TimedOut);
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx)
        .with_process_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let err = vault_token(&credential).await.unwrap_err();
    assert_unavailable(&err, "within the timeout of 3s");
    assert!(
        err.to_string()
            .contains("AzureCliCredentialBuilder::with_process_timeout"),
        "{err}"
    );
}

#[tokio::test]
async fn other_failure_is_developer_tool_error_with_sanitized_stderr() {
    let stderr = format!(
        "ERROR: AADSTS70043: The refresh token has expired. Run 'az login'. {TOKEN}\n{{\"accessToken\": \"opaque-value\"}}"
    );
    let err = fail(1, &stderr, None).await;
    assert_developer_tool(&err, 1);
    let text = err.to_string();
    assert!(text.contains("AADSTS70043"), "{text}");
    assert!(text.contains("exited with code 1"), "{text}");
    assert!(text.contains(r#""accessToken": "****""#), "{text}");
    assert!(!text.contains("opaque-value"), "{text}");
    assert_no_token(&text);

    let err = fail(2, "", None).await;
    assert_developer_tool(&err, 2);
    assert!(err.to_string().contains("no error message"), "{err}");
}

#[tokio::test]
async fn injection_attempts_are_rejected_before_launch() {
    let h = harness("az");
    let credential = credential(&h);
    assert_scopes_rejected(
        &credential,
        &[
            "https://vault.azure.net/.default; rm -rf ~",
            "https://vault.azure.net/.default\" --debug \"",
            "https://vault.azure.net/.default'",
            "https://vault.azure.net /.default",
            "https://vault.azure.net/.default\nwhoami",
            "$(whoami)",
            "--debug",
            "",
        ],
    )
    .await;
    assert_request_tenants_rejected(&credential, &["a;b", "a b", "a\"b", "a'b", "a\nb", "-a"])
        .await;
    for tenant in ["a;b", "a b", "a\"b", "a\nb"] {
        let err = AzureCliCredential::builder()
            .with_context(h.ctx.clone())
            .with_tenant_id(tenant)
            .build()
            .unwrap_err();
        assert_invalid(&err);
    }
    for subscription in ["a;b", "a\"b", "a'b", "a\nb", "$(id)", "--debug"] {
        let err = AzureCliCredential::builder()
            .with_context(h.ctx.clone())
            .with_subscription(subscription)
            .build()
            .unwrap_err();
        assert_invalid(&err);
        assert!(err.to_string().contains("subscription"), "{err}");
    }
    assert!(h.runner.requests().is_empty(), "nothing may be launched");
}

#[tokio::test]
async fn exactly_one_scope() {
    let h = harness("az");
    let credential = credential(&h);
    for scopes in [
        &[][..],
        &[VAULT_SCOPE, "https://management.azure.com/.default"][..],
    ] {
        let err = credential
            .get_token(scopes, &TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_invalid(&err);
    }
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn claims_challenge_names_the_login_command() {
    let h = harness("az");
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id("contoso")
        .build()
        .unwrap();
    let claims = r#"{"access_token":{"nbf":{"essential":true}}}"#;
    let options = TokenRequestOptions::default().with_claims(claims);
    let err = credential
        .get_token(&[VAULT_SCOPE], &options)
        .await
        .unwrap_err();
    assert_unavailable(
        &err,
        "az login --claims-challenge eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZX19fQ== --scope https://vault.azure.net/.default --tenant contoso",
    );
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn second_call_within_token_life_starts_no_process() {
    let h = harness("az");
    h.runner.push_output(0, &ok_output(), "");
    let credential = credential(&h);
    let first = vault_token(&credential).await.unwrap();
    h.clock.advance(time::Duration::minutes(30));
    let second = vault_token(&credential).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(h.runner.requests().len(), 1);

    // Another tenant is another token.
    h.runner.push_output(0, &ok_output(), "");
    credential
        .get_token(
            &[VAULT_SCOPE],
            &TokenRequestOptions::default().with_tenant_id("other"),
        )
        .await
        .unwrap();
    assert_eq!(h.runner.requests().len(), 2);

    // Past expiry the tool runs again.
    h.clock.advance(time::Duration::minutes(31));
    h.runner.push_output(
        0,
        &az_json(&format!(r#", "expires_on": {}"#, EXPIRES_EPOCH + 3600)),
        "",
    );
    let third = vault_token(&credential).await.unwrap();
    assert_eq!(third.expires_on, datetime!(2030-01-01 2:00 UTC));
    assert_eq!(h.runner.requests().len(), 3);
}

#[tokio::test]
async fn debug_never_shows_the_token() {
    let h = harness("az");
    h.runner.push_output(0, &ok_output(), "");
    let credential = AzureCliCredential::builder()
        .with_context(h.ctx)
        .with_tenant_id("contoso")
        .with_subscription("sub")
        .build()
        .unwrap();
    let token = vault_token(&credential).await.unwrap();
    let debug = format!(
        "{credential:?} {token:?} {:?}",
        AzureCliCredential::builder()
    );
    assert_no_token(&debug);
    assert!(
        debug.contains("AzureCliCredential") && debug.contains("contoso"),
        "{debug}"
    );
}

#[test]
fn zero_timeout_is_rejected() {
    let err = AzureCliCredential::builder()
        .with_process_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_invalid(&err);
}

/// A credential over `h` with a persistent cache in `store`, and a tenant.
fn persisted(
    h: &Harness,
    store: &credential_core::MemoryCacheStore,
    tenant: &str,
) -> AzureCliCredential {
    let cache =
        credential_core::PersistentTokenCache::new("test", std::sync::Arc::new(store.clone()));
    AzureCliCredential::builder()
        .with_context(h.ctx.clone())
        .with_tenant_id(tenant)
        .with_persistent_token_cache(cache)
        .build()
        .unwrap()
}

#[tokio::test]
async fn persistent_cache_spares_a_new_process_the_launch() {
    let h = harness("az");
    let store = credential_core::MemoryCacheStore::new();
    h.runner.push_output(0, &ok_output(), "");
    let first = vault_token(&persisted(&h, &store, "contoso"))
        .await
        .unwrap();
    assert_eq!(h.runner.requests().len(), 1);
    // A new credential (as in a new process) over the same store.
    h.clock.advance(time::Duration::minutes(10));
    let second = vault_token(&persisted(&h, &store, "contoso"))
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(h.runner.requests().len(), 1, "the second credential ran az");
    // Another configured tenant does not see it.
    h.runner.push_output(0, &ok_output(), "");
    vault_token(&persisted(&h, &store, "fabrikam"))
        .await
        .unwrap();
    assert_eq!(h.runner.requests().len(), 2);
    assert_eq!(store.keys().len(), 2);
}
