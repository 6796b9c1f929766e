//! Error reports print each level's message once (C-GOOD-ERR): the client's
//! error says what failed at its level and the credential's error, and its
//! cause, come through `source()`.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;

use common::*;
use credential_core::{
    ChainedTokenCredential, CredentialError, TransportErrorKind, token_credential_fn,
};
use keyvault_secrets::*;

const VAULT: &str = "https://myvault.vault.azure.net";
const CLIENT: &str = "could not get a token for Key Vault";
const CREDENTIAL: &str = "Broken could not reach its token endpoint (connection failed)";
const TRANSPORT: &str = "the request to login.example failed";
const IO: &str = "connection refused by the test";

fn failing(name: &'static str) -> impl credential_core::TokenCredential {
    token_credential_fn(name, move |_, _| async move {
        Err(
            CredentialError::transport(name, TransportErrorKind::Connect, TRANSPORT).with_source(
                std::io::Error::new(std::io::ErrorKind::ConnectionRefused, IO),
            ),
        )
    })
}

fn unavailable(name: &'static str) -> impl credential_core::TokenCredential {
    token_credential_fn(name, move |_, _| async move {
        Err(CredentialError::unavailable(
            name,
            "it is not set up in this test",
        ))
    })
}

async fn get_with(credential: impl credential_core::TokenCredential + 'static) -> Error {
    let http = Scripted::new(vec![challenge_401(KV_CHALLENGE)]);
    let client = SecretClient::builder(VAULT, credential)
        .with_http_client(Arc::new(http))
        .build()
        .unwrap();
    client.get_secret("s").await.unwrap_err()
}

fn assert_each_once(report: &str, parts: &[&str]) {
    for part in parts {
        assert_eq!(report.matches(part).count(), 1, "`{part}` in:\n{report}");
    }
}

#[tokio::test]
async fn three_levels_print_each_message_once() {
    let err = get_with(failing("Broken")).await;
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    assert_eq!(err.to_string(), CLIENT);
    let report = format!("{:#}", anyhow::Error::from(err));
    assert_eq!(report, format!("{CLIENT}: {CREDENTIAL}: {TRANSPORT}: {IO}"),);
    assert_each_once(&report, &[CLIENT, CREDENTIAL, TRANSPORT, IO]);
}

#[tokio::test]
async fn a_stopped_chain_prints_the_stopping_error_once() {
    let chain = ChainedTokenCredential::builder()
        .with_credential("Absent", unavailable("Absent"))
        .with_credential("Broken", failing("Broken"))
        .with_credential("Never", unavailable("Never"))
        .build()
        .unwrap();
    let err = get_with(chain).await;
    let report = format!("{:#}", anyhow::Error::from(err.clone()));
    assert_each_once(
        &report,
        &[
            CLIENT,
            "Absent is unavailable: it is not set up in this test",
            CREDENTIAL,
            TRANSPORT,
            IO,
        ],
    );
    // The link after the stopper never ran.
    assert!(!report.contains("Never"), "{report}");
    // `{:?}` of the report ("Caused by:" list) shows each once as well.
    let debug = format!("{:?}", anyhow::Error::from(err));
    assert_each_once(&debug, &[CREDENTIAL, TRANSPORT, IO]);
}

#[tokio::test]
async fn an_exhausted_chain_lists_every_attempt_once() {
    let chain = ChainedTokenCredential::builder()
        .with_credential("First", unavailable("First"))
        .with_credential("Second", unavailable("Second"))
        .build()
        .unwrap();
    let err = get_with(chain).await;
    let Error::Credential(credential) = &err else {
        panic!("{err:?}")
    };
    assert!(credential.is_unavailable());
    let report = format!("{:#}", anyhow::Error::from(err));
    assert_each_once(
        &report,
        &[
            CLIENT,
            "First is unavailable: it is not set up in this test",
            "Second is unavailable: it is not set up in this test",
        ],
    );
}
