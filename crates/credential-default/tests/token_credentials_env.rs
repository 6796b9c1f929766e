//! `AZURE_TOKEN_CREDENTIALS`, exclusions, and the required-variable options.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use credential_default::CredentialKind::{self, *};
use credential_default::{CredentialError, DefaultAzureCredential};
use mockito::Matcher;

fn kinds_for(value: &str) -> Result<Vec<CredentialKind>, CredentialError> {
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", value)], &[], &[]);
    builder(&h, &closed_port_url())
        .build()
        .map(|c| c.credential_kinds())
}

#[test]
fn every_valid_value_selects_its_links() {
    let cases: &[(&str, &[CredentialKind])] = &[
        (
            "",
            &[
                Environment,
                WorkloadIdentity,
                ManagedIdentity,
                AzureCli,
                AzurePowerShell,
                AzureDeveloperCli,
            ],
        ),
        ("dev", &[AzureCli, AzurePowerShell, AzureDeveloperCli]),
        (" DEV\n", &[AzureCli, AzurePowerShell, AzureDeveloperCli]),
        ("prod", &[Environment, WorkloadIdentity, ManagedIdentity]),
        ("Prod", &[Environment, WorkloadIdentity, ManagedIdentity]),
        ("environmentcredential", &[Environment]),
        ("WorkloadIdentityCredential", &[WorkloadIdentity]),
        ("managedidentitycredential", &[ManagedIdentity]),
        ("AzureCliCredential", &[AzureCli]),
        ("azurepowershellcredential", &[AzurePowerShell]),
        ("  AZUREDEVELOPERCLICREDENTIAL ", &[AzureDeveloperCli]),
    ];
    for (value, expected) in cases {
        assert_eq!(&kinds_for(value).unwrap(), expected, "value {value:?}");
    }
}

#[test]
fn invalid_value_is_a_construction_error_listing_valid_values() {
    for value in ["visualstudiocodecredential", "developer", "azure_cli"] {
        let err = kinds_for(value).unwrap_err();
        assert!(
            matches!(
                err,
                CredentialError::InvalidConfiguration {
                    credential: "DefaultAzureCredential",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "DefaultAzureCredential is misconfigured: invalid value for AZURE_TOKEN_CREDENTIALS: '{value}'. \
                 Valid values (trimmed, any case) are: dev, prod, environmentcredential, \
                 workloadidentitycredential, managedidentitycredential, azureclicredential, \
                 azurepowershellcredential, azuredeveloperclicredential"
            )
        );
    }
}

#[test]
fn exclusions_apply_on_top_of_the_variable() {
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", "dev")], &[], &[]);
    let c = builder(&h, &closed_port_url())
        .with_excluded(AzurePowerShell)
        .build()
        .unwrap();
    assert_eq!(c.credential_kinds(), [AzureCli, AzureDeveloperCli]);

    let h = harness(&[], &[], &[]);
    let c = builder(&h, &closed_port_url())
        .with_excluded(ManagedIdentity)
        .with_excluded(Environment)
        .build()
        .unwrap();
    assert_eq!(
        c.credential_kinds(),
        [
            WorkloadIdentity,
            AzureCli,
            AzurePowerShell,
            AzureDeveloperCli
        ]
    );

    let h = harness(
        &[("AZURE_TOKEN_CREDENTIALS", "azureclicredential")],
        &[],
        &[],
    );
    let err = builder(&h, &closed_port_url())
        .with_excluded(AzureCli)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("every credential is excluded"),
        "{err}"
    );
}

#[tokio::test]
async fn managed_identity_alone_sends_no_probe() {
    let mut server = mockito::Server::new_async().await;
    let probe = server
        .mock("GET", IMDS_PATH)
        .match_query(Matcher::Missing)
        .expect(0)
        .create_async()
        .await;
    let token = server
        .mock("GET", IMDS_PATH)
        .match_query(Matcher::UrlEncoded(
            "api-version".into(),
            "2018-02-01".into(),
        ))
        .match_header("metadata", "true")
        .with_body(imds_body("mi-token"))
        .expect(1)
        .create_async()
        .await;
    let h = harness(
        &[("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")],
        &[],
        &[],
    );
    let imds = url::Url::parse(&server.url()).unwrap();
    let c = builder(&h, &imds).build().unwrap();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "mi-token");
    probe.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn dev_selection_runs_only_tools() {
    let mut server = mockito::Server::new_async().await;
    let any = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", "dev")], &["az"], &[]);
    h.runner.push_output(0, &az_output("az-token"), "");
    let imds = url::Url::parse(&server.url()).unwrap();
    let c = builder(&h, &imds).build().unwrap();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "az-token");
    any.assert_async().await;
}

#[tokio::test]
async fn prod_selection_runs_no_tool() {
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", "prod")], &["az"], &[]);
    h.runner.push_output(0, &az_output("az-token"), "");
    let c = builder(&h, &closed_port_url()).build().unwrap();
    let err = get(&c).await.unwrap_err();
    assert_eq!(
        attempt_names(&err),
        [
            "EnvironmentCredential",
            "WorkloadIdentityCredential",
            "ManagedIdentityCredential"
        ]
    );
    assert!(h.runner.requests().is_empty());
    // The help names only the links in the chain.
    assert!(!err.to_string().contains("az login"), "{err}");
}

#[test]
fn required_env_vars() {
    let h = harness(&[("AZURE_CLIENT_ID", CLIENT_ID), ("BLANK", " ")], &[], &[]);
    let build = |names: &[&str]| {
        DefaultAzureCredential::builder()
            .with_context(h.ctx.clone())
            .with_required_env_vars(names.iter().copied())
            .build()
    };
    assert!(build(&["AZURE_CLIENT_ID"]).is_ok());
    assert_eq!(
        build(&["AZURE_CLIENT_ID", "AZURE_TENANT_ID"])
            .unwrap_err()
            .to_string(),
        "DefaultAzureCredential is misconfigured: required environment variable 'AZURE_TENANT_ID' \
         for DefaultAzureCredential is not set or empty"
    );
    assert_eq!(
        build(&["AZURE_TENANT_ID", "BLANK", "AZURE_CLIENT_ID"])
            .unwrap_err()
            .to_string(),
        "DefaultAzureCredential is misconfigured: required environment variables \
         'AZURE_TENANT_ID, BLANK' for DefaultAzureCredential are not set or empty"
    );
}

#[test]
fn with_required_token_credentials_env_var() {
    let h = harness(&[], &[], &[]);
    let err = DefaultAzureCredential::builder()
        .with_context(h.ctx.clone())
        .with_required_token_credentials_env_var(true)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DefaultAzureCredential is misconfigured: the AZURE_TOKEN_CREDENTIALS environment \
         variable is required but is not set or is empty. Set it to 'dev', 'prod', or a \
         specific credential name"
    );
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", "dev")], &[], &[]);
    assert!(
        DefaultAzureCredential::builder()
            .with_context(h.ctx.clone())
            .with_required_token_credentials_env_var(true)
            .build()
            .is_ok()
    );
}

#[test]
fn kinds_display_their_names_and_debug_lists_the_links_in_order() {
    for kind in CredentialKind::all() {
        assert_eq!(kind.to_string(), kind.name());
    }
    let h = harness(&[("AZURE_TOKEN_CREDENTIALS", "dev")], &[], &[]);
    let c = builder(&h, &closed_port_url())
        .with_excluded(AzurePowerShell)
        .build()
        .unwrap();
    let debug = format!("{c:?}");
    let cli = debug.find("AzureCliCredential").unwrap();
    let azd = debug.find("AzureDeveloperCliCredential").unwrap();
    assert!(cli < azd, "{debug}");
    assert!(!debug.contains("AzurePowerShellCredential"), "{debug}");
}
