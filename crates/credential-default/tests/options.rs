//! The builder's options for the network links, one value each: cloud
//! (authority host and default audiences), authority host, retry policy,
//! per-try timeout and HTTP client.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use credential_core::test_util::ScriptedHttpClient;
use credential_core::{Env, Fs, ProviderContext};
use credential_default::RetryPolicy;
use credential_default::{CloudConfiguration, CredentialKind, DefaultAzureCredential};

fn context(env: &[(&str, &str)], files: &[(&str, &str)]) -> ProviderContext {
    ProviderContext::isolated()
        .with_env(Env::from_pairs(env.iter().copied()))
        .with_fs(Fs::from_files(files.iter().copied()))
}

const SP: [(&str, &str); 3] = [
    ("AZURE_TENANT_ID", TENANT),
    ("AZURE_CLIENT_ID", CLIENT_ID),
    ("AZURE_CLIENT_SECRET", SECRET),
];

#[tokio::test(start_paused = true)]
async fn one_value_each_reaches_the_environment_link() {
    let http = ScriptedHttpClient::new();
    http.push_response(503, &[], "{}");
    http.push_response(503, &[], "{}");
    let cloud = CloudConfiguration::azure_china();
    let c = DefaultAzureCredential::builder()
        .with_context(context(&SP, &[]))
        .with_http_client(Arc::new(http.clone()))
        .with_cloud(cloud.clone())
        .with_retry_policy(RetryPolicy::default().with_max_retries(1))
        .with_request_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    assert_eq!(c.cloud(), &cloud);
    assert_eq!(
        c.cloud().key_vault_scope(),
        "https://vault.azure.cn/.default"
    );
    let err = get(&c).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let requests = http.requests();
    assert_eq!(requests.len(), 2, "one retry, as the policy says");
    for request in requests {
        assert_eq!(
            request.url.as_str(),
            "https://login.chinacloudapi.cn/contoso/oauth2/v2.0/token"
        );
        assert_eq!(request.timeout, Some(Duration::from_millis(1500)));
    }
}

#[tokio::test]
async fn authority_host_wins_over_the_cloud_and_reaches_workload_and_token_exchange() {
    let files = [("/var/run/token", "federated")];
    let env = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
    ];
    for excluded in [None, Some(CredentialKind::WorkloadIdentity)] {
        let http = ScriptedHttpClient::new();
        http.push_response(200, &[], &entra_body("t"));
        let mut builder = DefaultAzureCredential::builder()
            .with_context(context(&env, &files))
            .with_http_client(Arc::new(http.clone()))
            .with_cloud(CloudConfiguration::azure_us_government())
            .with_authority_host("https://login.example.net");
        if let Some(kind) = excluded {
            builder = builder.with_excluded(kind);
        }
        let c = builder.build().unwrap();
        assert_eq!(get(&c).await.unwrap().token.expose_secret(), "t");
        let expected = match excluded {
            None => CredentialKind::WorkloadIdentity,
            Some(_) => CredentialKind::ManagedIdentity,
        };
        assert_eq!(c.selected(), Some(expected));
        assert_eq!(
            http.requests()[0].url.as_str(),
            "https://login.example.net/contoso/oauth2/v2.0/token",
            "{expected:?}"
        );
    }
}

#[test]
fn zero_request_timeout_fails_construction() {
    let err = DefaultAzureCredential::builder()
        .with_context(context(&[], &[]))
        .with_request_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("request timeout is zero"), "{err}");
}

#[test]
fn the_default_cloud_is_public() {
    let c = DefaultAzureCredential::builder()
        .with_context(context(&[], &[]))
        .build()
        .unwrap();
    assert_eq!(c.cloud(), &CloudConfiguration::azure_public());
    assert_eq!(
        c.cloud().token_exchange_audience(),
        "api://AzureADTokenExchange"
    );
}

#[test]
fn a_ca_pem_without_a_certificate_is_refused_at_build() {
    let err = DefaultAzureCredential::builder()
        .with_context(context(&SP, &[]))
        .with_ca_pem("not a pem")
        .build()
        .unwrap_err();
    assert!(!err.is_unavailable(), "{err:?}");
    assert!(err.to_string().contains("with_ca_pem"), "{err}");
}

#[test]
fn a_ca_pem_with_an_http_client_of_ones_own_is_refused_at_build() {
    let err = DefaultAzureCredential::builder()
        .with_context(context(&SP, &[]))
        .with_http_client(Arc::new(ScriptedHttpClient::new()))
        .with_ca_pem("-----BEGIN CERTIFICATE-----")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("with_http_client"), "{err}");
}
