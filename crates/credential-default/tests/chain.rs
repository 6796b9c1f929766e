//! The default chain: which link is chosen, when it stops, stickiness, and
//! its error.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use credential_core::test_util::ScriptedFailure;
use credential_default::{
    CredentialError, CredentialKind, TokenCredential, TokenRequestOptions, UserAssignedId,
};
use mockito::Matcher;
use std::error::Error as _;

/// A chain with the harness's context and IMDS on a closed port, so managed
/// identity is unavailable.
fn chain_without_imds(h: &Harness) -> credential_default::DefaultAzureCredential {
    builder(h, &closed_port_url()).build().unwrap()
}

/// The mock server's URL, used as the IMDS endpoint.
fn imds_url(server: &mockito::ServerGuard) -> url::Url {
    url::Url::parse(&server.url()).unwrap()
}

/// A harness whose environment configures a client-secret service principal
/// with Entra at `authority`, and the given `tools` installed.
fn client_secret_harness(authority: &str, tools: &[&str]) -> Harness {
    harness(
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_CLIENT_SECRET", SECRET),
            ("AZURE_AUTHORITY_HOST", authority),
        ],
        tools,
        &[],
    )
}

/// A harness whose environment configures workload identity with Entra at
/// `authority`, the federated token file holding `assertion`, and `tools`.
fn workload_identity_harness(authority: &str, tools: &[&str], assertion: &str) -> Harness {
    harness(
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
            ("AZURE_AUTHORITY_HOST", authority),
        ],
        tools,
        &[("/var/run/token", assertion)],
    )
}

/// Mocks Entra rejecting the token request for the `contoso` tenant with
/// 401 and `body`.
async fn entra_rejection(server: &mut mockito::ServerGuard, body: &str) -> mockito::Mock {
    server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .with_status(401)
        .with_body(body)
        .create_async()
        .await
}

/// Mocks one IMDS token request whose query carries `key=value`.
async fn imds_token_with_query(
    server: &mut mockito::ServerGuard,
    key: &str,
    value: &str,
) -> mockito::Mock {
    server
        .mock("GET", IMDS_PATH)
        .match_query(Matcher::UrlEncoded(key.into(), value.into()))
        .with_body(imds_body("mi-token"))
        .expect(1)
        .create_async()
        .await
}

/// A harness with `AZURE_CLIENT_ID` set and `AZURE_TOKEN_CREDENTIALS`
/// selecting managed identity, spelled as `selection`.
fn managed_identity_only_harness(selection: &str) -> Harness {
    harness(
        &[
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_TOKEN_CREDENTIALS", selection),
        ],
        &[],
        &[],
    )
}

/// With only `installed` tools on PATH and the first to run answering with
/// `output` (holding `expected_token`), the chain picks `kind` and starts
/// only `program`.
async fn assert_tool_chosen(
    installed: &[&str],
    output: String,
    expected_token: &str,
    kind: CredentialKind,
    program: &str,
) {
    let h = harness(&[], installed, &[]);
    h.runner.push_output(0, &output, "");
    let c = chain_without_imds(&h);
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), expected_token, "{kind:?}");
    assert_eq!(c.selected(), Some(kind), "{kind:?}");
    assert_eq!(programs(&h.runner), [program], "{kind:?}");
}

#[tokio::test]
async fn nothing_configured_lists_every_attempt_and_what_to_do() {
    let h = harness(&[], &[], &[]);
    let c = chain_without_imds(&h);
    let err = get(&c).await.unwrap_err();
    assert!(err.is_unavailable(), "every link unavailable: {err:?}");
    assert!(err.source().is_none());
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 14, "{text}");
    assert_eq!(
        lines[0],
        "DefaultAzureCredential failed to get a token. Attempts, in order:"
    );
    assert_eq!(
        lines[1],
        "  1. EnvironmentCredential is unavailable: the service principal environment variables are incomplete (blank counts as unset); missing: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH; set: none of them"
    );
    assert_eq!(
        lines[2],
        "  2. WorkloadIdentityCredential is unavailable: workload identity is not fully configured; missing the tenant id (with_tenant_id or AZURE_TENANT_ID), the client id (with_client_id or AZURE_CLIENT_ID), the token file path (with_token_file_path or AZURE_FEDERATED_TOKEN_FILE). See https://learn.microsoft.com/azure/aks/workload-identity-overview"
    );
    assert!(
        lines[3].starts_with(
            "  3. ManagedIdentityCredential is unavailable: no managed identity endpoint answered: the IMDS probe failed (connection failed"
        ),
        "{}",
        lines[3]
    );
    assert!(lines[3].ends_with(
        "Outside Azure this is expected; on Azure, check that a managed identity is enabled"
    ));
    assert_eq!(
        lines[4],
        "  4. AzureCliCredential is unavailable: Azure CLI was not found on PATH. Install it from https://aka.ms/azure-cli, then sign in with `az login`."
    );
    assert_eq!(
        lines[5],
        "  5. AzurePowerShellCredential is unavailable: Azure PowerShell was not found on PATH. Install PowerShell 7 (https://aka.ms/install-powershell) and the Az.Accounts module (`Install-Module -Name Az.Accounts -Scope CurrentUser`), then sign in with `Connect-AzAccount`."
    );
    assert_eq!(
        lines[6],
        "  6. AzureDeveloperCliCredential is unavailable: Azure Developer CLI was not found on PATH. Install it from https://aka.ms/azure-dev, then sign in with `azd auth login`."
    );
    assert_eq!(lines[7], "To fix this, set up one of these credentials:");
    assert_eq!(
        lines[8],
        "  - EnvironmentCredential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service principal"
    );
    assert_eq!(
        lines[9],
        "  - WorkloadIdentityCredential: on Kubernetes, enable workload identity so that AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are set"
    );
    assert_eq!(
        lines[10],
        "  - ManagedIdentityCredential: run on an Azure resource with a managed identity enabled"
    );
    assert_eq!(lines[11], "  - AzureCliCredential: sign in with `az login`");
    assert_eq!(
        lines[12],
        "  - AzurePowerShellCredential: sign in with `Connect-AzAccount` (Az.Accounts module)"
    );
    assert_eq!(
        lines[13],
        "  - AzureDeveloperCliCredential: sign in with `azd auth login`"
    );
    assert_eq!(c.selected(), None);
}

#[tokio::test]
async fn environment_chosen_first_and_no_tool_runs() {
    let mut server = mockito::Server::new_async().await;
    let entra = server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("client_id".into(), CLIENT_ID.into()),
            Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
            Matcher::UrlEncoded("scope".into(), SCOPE.into()),
        ]))
        .with_body(entra_body("env-token"))
        .expect(1)
        .create_async()
        .await;
    let h = client_secret_harness(&server.url(), &["az", "pwsh", "azd"]);
    let c = chain_without_imds(&h);
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "env-token");
    assert_eq!(c.selected(), Some(CredentialKind::Environment));
    assert!(h.runner.requests().is_empty());
    entra.assert_async().await;
    assert!(!format!("{c:?}").contains(SECRET));
}

/// Every credential is `Clone` (so a caller needs no `Arc`), `Send` and `Sync`.
#[test]
fn every_credential_is_clone_send_and_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    use credential_default::*;
    assert_traits::<DefaultAzureCredential>();
    assert_traits::<ChainedTokenCredential>();
    assert_traits::<EnvironmentCredential>();
    assert_traits::<ClientSecretCredential>();
    assert_traits::<ClientCertificateCredential>();
    assert_traits::<ClientAssertionCredential>();
    assert_traits::<WorkloadIdentityCredential>();
    assert_traits::<AzurePipelinesCredential>();
    assert_traits::<ManagedIdentityCredential>();
    assert_traits::<AzureCliCredential>();
    assert_traits::<AzureDeveloperCliCredential>();
    assert_traits::<AzurePowerShellCredential>();
    assert_traits::<InteractiveBrowserCredential>();
    assert_traits::<DeviceCodeCredential>();
    assert_traits::<AuthorizationCodeCredential>();
    assert_traits::<OnBehalfOfCredential>();
    assert_traits::<FnCredential>();
}

#[tokio::test]
async fn a_clone_shares_the_selection_and_the_token_cache() {
    let mut server = mockito::Server::new_async().await;
    let entra = server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .with_body(entra_body("env-token"))
        .expect(1)
        .create_async()
        .await;
    let h = client_secret_harness(&server.url(), &["az"]);
    let original = chain_without_imds(&h);
    let token = get(&original).await.unwrap();
    let clone = original.clone();
    drop(original);
    assert_eq!(clone.selected(), Some(CredentialKind::Environment));
    assert_eq!(get(&clone).await.unwrap(), token);
    entra.assert_async().await;
}

#[tokio::test]
async fn workload_identity_chosen_after_environment_is_skipped() {
    let mut server = mockito::Server::new_async().await;
    let entra = server
        .mock("POST", "/contoso/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("client_id".into(), CLIENT_ID.into()),
            Matcher::UrlEncoded("client_assertion".into(), "federated-jwt".into()),
            Matcher::UrlEncoded(
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ),
        ]))
        .with_body(entra_body("wi-token"))
        .expect(1)
        .create_async()
        .await;
    let h = workload_identity_harness(&server.url(), &["az"], "federated-jwt\n");
    let c = chain_without_imds(&h);
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "wi-token");
    assert_eq!(c.selected(), Some(CredentialKind::WorkloadIdentity));
    assert!(h.runner.requests().is_empty());
    entra.assert_async().await;
}

#[tokio::test]
async fn workload_identity_client_id_defaults_to_managed_identity_client_id() {
    let mut server = mockito::Server::new_async().await;
    let entra = server
        .mock("POST", "/other-tenant/oauth2/v2.0/token")
        .match_body(Matcher::UrlEncoded("client_id".into(), "mi-client".into()))
        .with_body(entra_body("wi-token"))
        .expect(1)
        .create_async()
        .await;
    let url = server.url();
    let h = harness(
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
        ],
        &[],
        &[("/var/run/token", "federated-jwt")],
    );
    let c = builder(&h, &closed_port_url())
        .with_managed_identity(UserAssignedId::ClientId("mi-client".into()))
        .with_workload_identity_tenant_id("other-tenant")
        .with_authority_host(url)
        .build()
        .unwrap();
    get(&c).await.unwrap();
    entra.assert_async().await;
}

async fn imds_server(token: &str) -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
    let mut server = mockito::Server::new_async().await;
    let probe = server
        .mock("GET", IMDS_PATH)
        .match_query(Matcher::Missing)
        .match_header("metadata", Matcher::Missing)
        .with_status(400)
        .with_body(r#"{"error":"invalid_request"}"#)
        .create_async()
        .await;
    let token = server
        .mock("GET", IMDS_PATH)
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), "2018-02-01".into()),
            Matcher::UrlEncoded("resource".into(), "https://vault.azure.net".into()),
        ]))
        .match_header("metadata", "true")
        .with_body(imds_body(token))
        .create_async()
        .await;
    (server, probe, token)
}

#[tokio::test]
async fn managed_identity_chosen_with_probe_after_earlier_links_are_skipped() {
    let (server, probe, token_mock) = imds_server("mi-token").await;
    let probe = probe.expect(1);
    let token_mock = token_mock.expect(1);
    let h = harness(&[], &[], &[]);
    let c = builder(&h, &imds_url(&server)).build().unwrap();
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "mi-token");
    assert_eq!(c.selected(), Some(CredentialKind::ManagedIdentity));
    probe.assert_async().await;
    token_mock.assert_async().await;
}

#[tokio::test]
async fn managed_identity_client_id_defaults_to_azure_client_id() {
    let mut server = mockito::Server::new_async().await;
    let token_mock = imds_token_with_query(&mut server, "client_id", CLIENT_ID).await;
    let h = managed_identity_only_harness("ManagedIdentityCredential");
    let c = builder(&h, &imds_url(&server)).build().unwrap();
    get(&c).await.unwrap();
    token_mock.assert_async().await;
}

#[tokio::test]
async fn managed_identity_resource_id_is_passed() {
    let mut server = mockito::Server::new_async().await;
    let token_mock = imds_token_with_query(&mut server, "msi_res_id", "/sub/rid").await;
    let h = managed_identity_only_harness("managedidentitycredential");
    let imds = imds_url(&server);
    let c = builder(&h, &imds)
        .with_managed_identity("resource_id=/sub/rid".parse().unwrap())
        .build()
        .unwrap();
    get(&c).await.unwrap();
    token_mock.assert_async().await;
}

#[tokio::test]
async fn a_blank_managed_identity_stops_the_chain() {
    let h = managed_identity_only_harness("ManagedIdentityCredential");
    let c = builder(&h, &closed_port_url())
        .with_managed_identity(UserAssignedId::ObjectId(" ".into()))
        .build()
        .unwrap();
    let err = get(&c).await.unwrap_err();
    let stopper = err.source().unwrap().to_string();
    assert!(stopper.contains("object id is empty"), "{stopper}");
}

#[tokio::test]
async fn azure_cli_chosen_when_managed_identity_is_unavailable() {
    assert_tool_chosen(
        &["az", "pwsh", "azd"],
        az_output("az-token"),
        "az-token",
        CredentialKind::AzureCli,
        "/fakebin/az",
    )
    .await;
}

#[tokio::test]
async fn azure_powershell_chosen_when_az_is_not_installed() {
    assert_tool_chosen(
        &["pwsh", "azd"],
        pwsh_output("pwsh-token"),
        "pwsh-token",
        CredentialKind::AzurePowerShell,
        "/fakebin/pwsh",
    )
    .await;
}

#[tokio::test]
async fn azure_developer_cli_chosen_last() {
    assert_tool_chosen(
        &["azd"],
        azd_output("azd-token"),
        "azd-token",
        CredentialKind::AzureDeveloperCli,
        "/fakebin/azd",
    )
    .await;
}

#[tokio::test]
async fn a_tool_that_fails_is_skipped_inside_the_chain() {
    let h = harness(&[], &["az", "pwsh"], &[]);
    // az ran and failed for a reason other than "not signed in": outside the
    // chain an authentication error, inside it "unavailable".
    h.runner.push_output(
        1,
        "",
        "ERROR: AADSTS50076: multi-factor authentication required",
    );
    h.runner.push_output(0, &pwsh_output("pwsh-token"), "");
    let c = chain_without_imds(&h);
    let token = get(&c).await.unwrap();
    assert_eq!(token.token.expose_secret(), "pwsh-token");
    assert_eq!(programs(&h.runner), ["/fakebin/az", "/fakebin/pwsh"]);
}

#[tokio::test]
async fn a_tool_timeout_is_skipped_and_the_process_timeout_is_passed() {
    let h = harness(&[], &["az", "azd"], &[]);
    h.runner.push_failure(ScriptedFailure::TimedOut);
    h.runner.push_output(0, &azd_output("azd-token"), "");
    let c = builder(&h, &closed_port_url())
        .with_process_timeout(std::time::Duration::from_secs(3))
        .with_tenant_id("fabrikam")
        .build()
        .unwrap();
    get(&c).await.unwrap();
    let requests = h.runner.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.timeout, std::time::Duration::from_secs(3));
        assert!(r.args.iter().any(|a| a == "fabrikam"), "{:?}", r.args);
    }
}

#[tokio::test]
async fn rejected_client_secret_stops_the_chain() {
    let mut server = mockito::Server::new_async().await;
    let entra = entra_rejection(
        &mut server,
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
    )
    .await
    .expect(1);
    let h = client_secret_harness(&server.url(), &["az"]);
    h.runner.push_output(0, &az_output("az-token"), "");
    let c = chain_without_imds(&h);
    let err = get(&c).await.unwrap_err();
    assert_eq!(attempt_names(&err), ["EnvironmentCredential"]);
    assert!(!err.is_unavailable());
    let stopper = err.source().unwrap().to_string();
    assert!(stopper.contains("AADSTS7000215"), "{stopper}");
    let text = err.to_string();
    assert!(
        text.contains("EnvironmentCredential is set up here but failed"),
        "{text}"
    );
    assert!(!text.contains(SECRET));
    assert!(h.runner.requests().is_empty(), "az must not run");
    assert_eq!(c.selected(), None);
    entra.assert_async().await;
}

#[tokio::test]
async fn rejected_workload_identity_stops_with_earlier_attempts() {
    let mut server = mockito::Server::new_async().await;
    let _entra = entra_rejection(
        &mut server,
        r#"{"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found.","error_codes":[700213]}"#,
    )
    .await;
    let h = workload_identity_harness(&server.url(), &["az"], "federated-jwt");
    let c = chain_without_imds(&h);
    let err = get(&c).await.unwrap_err();
    assert_eq!(
        attempt_names(&err),
        ["EnvironmentCredential", "WorkloadIdentityCredential"]
    );
    assert!(attempts(&err)[0].is_unavailable());
    assert!(matches!(
        attempts(&err)[1],
        CredentialError::Authentication { .. }
    ));
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn misconfigured_links_do_not_fail_construction_but_stop_the_chain() {
    let h = harness(
        &[
            ("AZURE_TENANT_ID", "not a tenant!"),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            ("AZURE_CLIENT_SECRET", SECRET),
        ],
        &["az"],
        &[],
    );
    let c = builder(&h, &closed_port_url())
        .with_tenant_id("bad tenant;rm")
        .build()
        .unwrap();
    let err = get(&c).await.unwrap_err();
    assert!(!err.is_unavailable(), "{err:?}");
    assert_eq!(attempt_names(&err), ["EnvironmentCredential"]);
    let env = attempts(&err)[0].to_string();
    assert!(
        env.starts_with("EnvironmentCredential is misconfigured: AZURE_TENANT_ID is "),
        "{env}"
    );
    assert!(h.runner.requests().is_empty());

    // The developer tools' tenant option is wrong: az stops the chain.
    let h = harness(&[], &["az"], &[]);
    let c = builder(&h, &closed_port_url())
        .with_tenant_id("bad tenant;rm")
        .build()
        .unwrap();
    let err = get(&c).await.unwrap_err();
    assert_eq!(attempt_names(&err).last(), Some(&"AzureCliCredential"));
    assert!(matches!(
        attempts(&err).last().unwrap(),
        CredentialError::InvalidConfiguration { .. }
    ));
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn sticky_second_call_makes_no_probe_and_starts_no_earlier_tool() {
    let mut server = mockito::Server::new_async().await;
    // Docker Desktop's answer: "unavailable", and not remembered by the
    // managed identity credential itself, so only stickiness avoids a
    // second probe.
    let probe = server
        .mock("GET", IMDS_PATH)
        .with_status(403)
        .with_body("connecting to 169.254.169.254:80: unreachable host")
        .expect(1)
        .create_async()
        .await;
    let h = harness(&[], &["az", "pwsh"], &[]);
    h.runner
        .push_output(1, "", "Please run 'az login' to setup account.");
    h.runner.push_output(0, &pwsh_output("pwsh-1"), "");
    h.runner.push_output(0, &pwsh_output("pwsh-2"), "");
    let c = builder(&h, &imds_url(&server)).build().unwrap();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "pwsh-1");
    assert_eq!(c.selected(), Some(CredentialKind::AzurePowerShell));
    // A different scope misses pwsh's cache: exactly one more process, pwsh.
    let second = get_scope(&c, OTHER_SCOPE).await.unwrap();
    assert_eq!(second.token.expose_secret(), "pwsh-2");
    assert_eq!(
        programs(&h.runner),
        ["/fakebin/az", "/fakebin/pwsh", "/fakebin/pwsh"]
    );
    probe.assert_async().await;
}

#[tokio::test]
async fn sticky_managed_identity_probes_once() {
    let (server, probe, _token) = imds_server("mi-token").await;
    let probe = probe.expect(1);
    let h = harness(&[], &[], &[]);
    let c = builder(&h, &imds_url(&server)).build().unwrap();
    get(&c).await.unwrap();
    get(&c).await.unwrap();
    probe.assert_async().await;
    assert_eq!(c.selected(), Some(CredentialKind::ManagedIdentity));
}

#[tokio::test]
async fn nothing_is_sticky_after_a_failure() {
    let h = harness(&[], &["az"], &[]);
    h.runner
        .push_output(1, "", "Please run 'az login' to setup account.");
    h.runner.push_output(0, &az_output("az-token"), "");
    let c = chain_without_imds(&h);
    assert!(get(&c).await.is_err());
    assert_eq!(c.selected(), None);
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "az-token");
    assert_eq!(c.selected(), Some(CredentialKind::AzureCli));
}

#[tokio::test]
async fn invalid_tool_configuration_stops_the_chain() {
    // Two scopes are an InvalidConfiguration for az (and for managed
    // identity, excluded here): it stops the chain.
    let h = harness(&[], &["az", "pwsh"], &[]);
    let c = builder(&h, &closed_port_url())
        .with_excluded(CredentialKind::ManagedIdentity)
        .build()
        .unwrap();
    let err = c
        .get_token(&[SCOPE, OTHER_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    let names = attempt_names(&err);
    assert_eq!(names.last(), Some(&"AzureCliCredential"));
    assert!(matches!(
        attempts(&err).last().unwrap(),
        CredentialError::InvalidConfiguration { .. }
    ));
    assert!(h.runner.requests().is_empty());
}

#[tokio::test]
async fn attempts_name_the_links_skipped_before_the_one_that_signed_in() {
    let h = harness(&[], &["pwsh"], &[]);
    h.runner.push_output(0, &pwsh_output("pwsh-1"), "");
    h.runner.push_output(0, &pwsh_output("pwsh-2"), "");
    let c = chain_without_imds(&h);
    let (token, skipped) = c
        .get_token_with_attempts(&[SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "pwsh-1");
    assert_eq!(c.selected(), Some(CredentialKind::AzurePowerShell));
    let names: Vec<&str> = skipped.iter().map(CredentialError::credential).collect();
    assert_eq!(
        names,
        [
            "EnvironmentCredential",
            "WorkloadIdentityCredential",
            "ManagedIdentityCredential",
            "AzureCliCredential"
        ]
    );
    assert!(skipped.iter().all(CredentialError::is_unavailable));
    // Once settled, the selected credential answers and nothing is skipped.
    let (_, skipped) = c
        .get_token_with_attempts(&[OTHER_SCOPE], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert!(skipped.is_empty());
}
