//! The adapter through the public traits, both ways.
#![allow(clippy::unwrap_used)]

use credential_core::StatusCode;
use std::sync::{Arc, Mutex};

use azure_core::credentials as az;
use credential_azure_core::{
    AzureCoreCredential, FromAzureCore, UNAVAILABLE_PREFIX, into_azure_core,
};
use credential_core::{
    AccessToken, ChainedTokenCredential, CredentialError, TokenCredential, TokenRequestOptions,
    TransportErrorKind, token_credential_fn,
};
use time::macros::datetime;

const EXPIRY: time::OffsetDateTime = datetime!(2031-06-01 12:00 UTC);

/// What a recording credential was asked: scopes and options, per call.
type Calls = Arc<Mutex<Vec<(Vec<String>, TokenRequestOptions)>>>;

/// One of ours that records what it was asked.
fn recording_ours(
    result: Result<AccessToken, CredentialError>,
) -> (credential_core::FnCredential, Calls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let credential = token_credential_fn("Recording", move |scopes, options| {
        seen.lock().unwrap().push((scopes, options));
        let result = result.clone();
        async move { result }
    });
    (credential, calls)
}

/// A hand-written azure_core credential that records the scopes it was asked for
/// and whether it got options.
#[derive(Debug)]
struct Official {
    result: fn() -> azure_core::Result<az::AccessToken>,
    calls: Mutex<Vec<(Vec<String>, bool)>>,
}

impl Official {
    fn new(result: fn() -> azure_core::Result<az::AccessToken>) -> Arc<Self> {
        Arc::new(Self {
            result,
            calls: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait::async_trait]
impl az::TokenCredential for Official {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<az::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<az::AccessToken> {
        self.calls.lock().unwrap().push((
            scopes.iter().map(|s| (*s).to_owned()).collect(),
            options.is_some(),
        ));
        (self.result)()
    }
}

fn official_token() -> azure_core::Result<az::AccessToken> {
    Ok(az::AccessToken::new("official-tok-7", EXPIRY))
}

// ---- ours -> azure_core -------------------------------------------------

#[tokio::test]
async fn ours_gives_azure_core_the_token_expiry_and_scopes() {
    let (ours, calls) =
        recording_ours(Ok(AccessToken::new("our-tok-1", EXPIRY)
            .with_refresh_on(Some(datetime!(2031-06-01 6:00 UTC)))));
    let theirs = into_azure_core(ours);

    let token = theirs
        .get_token(
            &["https://vault.azure.net/.default"],
            Some(az::TokenRequestOptions::default()),
        )
        .await
        .unwrap();
    assert_eq!(token.token.secret(), "our-tok-1");
    assert_eq!(token.expires_on, EXPIRY);

    theirs.get_token(&["a/.default", "b"], None).await.unwrap();

    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].0,
        vec!["https://vault.azure.net/.default".to_owned()]
    );
    assert_eq!(calls[0].1, TokenRequestOptions::default());
    assert_eq!(calls[1].0, vec!["a/.default".to_owned(), "b".to_owned()]);
    assert_eq!(calls[1].1, TokenRequestOptions::default());
}

#[tokio::test]
async fn ours_unavailable_reaches_azure_core_prefixed_and_recoverable() {
    let (ours, _) = recording_ours(Err(CredentialError::unavailable(
        "EnvironmentCredential",
        "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
    )));
    let theirs = AzureCoreCredential::new(ours);
    let error = az::TokenCredential::get_token(&theirs, &["s"], None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &azure_core::error::ErrorKind::Credential);
    assert_eq!(
        error.to_string(),
        "unavailable: EnvironmentCredential is unavailable: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
    );
    let inner = error.downcast_ref::<CredentialError>().unwrap();
    assert!(inner.is_unavailable());
    assert_eq!(inner.credential(), "EnvironmentCredential");
}

#[tokio::test]
async fn ours_failure_reaches_azure_core_unprefixed() {
    let (ours, _) = recording_ours(Err(CredentialError::transport(
        "ManagedIdentityCredential",
        TransportErrorKind::Status(StatusCode::SERVICE_UNAVAILABLE),
        "IMDS answered 503 after 5 tries",
    )));
    let error = into_azure_core(ours)
        .get_token(&["s"], None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &azure_core::error::ErrorKind::Credential);
    assert!(!error.to_string().starts_with(UNAVAILABLE_PREFIX));
    assert_eq!(
        error.to_string(),
        "ManagedIdentityCredential could not reach its token endpoint (HTTP 503): IMDS answered 503 after 5 tries"
    );
    assert!(
        error
            .downcast_ref::<CredentialError>()
            .unwrap()
            .is_transient()
    );
}

#[test]
fn adapter_debug_hides_nothing_secret() {
    let (ours, _) = recording_ours(Ok(AccessToken::new("our-tok-dbg", EXPIRY)));
    let debug = format!("{:?}", AzureCoreCredential::new(ours));
    assert!(debug.contains("AzureCoreCredential"), "{debug}");
    assert!(!debug.contains("our-tok-dbg"), "{debug}");
}

// ---- azure_core -> ours -------------------------------------------------

#[tokio::test]
async fn official_gives_us_the_token_expiry_and_scopes() {
    let official = Official::new(official_token);
    let ours = FromAzureCore::new(official.clone());

    let options = TokenRequestOptions::default()
        .with_tenant_id("other-tenant")
        .with_cae(true);
    let token = ours
        .get_token(&["https://storage.azure.com/.default", "x"], &options)
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "official-tok-7");
    assert_eq!(token.expires_on, EXPIRY);
    assert_eq!(token.refresh_on, None);

    let calls = official.calls.lock().unwrap();
    assert_eq!(
        *calls,
        vec![(
            vec![
                "https://storage.azure.com/.default".to_owned(),
                "x".to_owned()
            ],
            true
        )]
    );
}

#[tokio::test]
async fn claims_challenge_is_refused_without_calling_the_official_credential() {
    let official = Official::new(official_token);
    let ours = FromAzureCore::new(official.clone()).with_name("OfficialCliCredential");
    let error = ours
        .get_token(
            &["s"],
            &TokenRequestOptions::default()
                .with_claims(r#"{"access_token":{"nbf":{"essential":true}}}"#),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, CredentialError::Authentication { .. }),
        "{error:?}"
    );
    assert_eq!(error.credential(), "OfficialCliCredential");
    assert!(error.to_string().contains("claims challenge"), "{error}");
    assert!(official.calls.lock().unwrap().is_empty());

    // Blank claims are no challenge.
    ours.get_token(&["s"], &TokenRequestOptions::default().with_claims("  "))
        .await
        .unwrap();
}

#[tokio::test]
async fn official_errors_map_to_ours() {
    fn refused() -> azure_core::Result<az::AccessToken> {
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            "AADSTS7000215: Invalid client secret provided.",
        ))
    }
    fn unreachable() -> azure_core::Result<az::AccessToken> {
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Connection,
            "failed to connect to 127.0.0.1:1",
        ))
    }
    fn unavailable() -> azure_core::Result<az::AccessToken> {
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            "unavailable: Azure CLI not found on PATH",
        ))
    }

    let error = FromAzureCore::new(Official::new(refused))
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "AzureCoreCredential authentication failed: AADSTS7000215: Invalid client secret provided."
    );
    assert!(!error.is_unavailable());

    let error = FromAzureCore::new(Official::new(unreachable))
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CredentialError::Transport { kind: TransportErrorKind::Connect, message, .. }
            if message == "failed to connect to 127.0.0.1:1"),
        "{error:?}"
    );

    let error = FromAzureCore::new(Official::new(unavailable))
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(error.is_unavailable());
    assert_eq!(
        error.to_string(),
        "AzureCoreCredential is unavailable: Azure CLI not found on PATH"
    );
}

#[test]
fn from_azure_core_debug_shows_only_the_name() {
    let debug = format!("{:?}", FromAzureCore::new(Official::new(official_token)));
    assert_eq!(debug, "FromAzureCore { name: \"AzureCoreCredential\", .. }");
}

// ---- both ways -----------------------------------------------------------

#[tokio::test]
async fn round_trip_keeps_our_error_and_a_chain_moves_past_unavailable() {
    let (unavailable, _) = recording_ours(Err(CredentialError::unavailable(
        "AzureCliCredential",
        "az is not installed",
    )));
    let (working, _) = recording_ours(Ok(AccessToken::new("second-tok", EXPIRY)));

    // Ours -> azure_core -> ours: the same error comes back, so a chain of
    // adapted credentials behaves like a chain of ours.
    let wrapped = FromAzureCore::new(into_azure_core(unavailable));
    let error = wrapped
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(error.is_unavailable());
    assert_eq!(error.credential(), "AzureCliCredential");

    let chain = ChainedTokenCredential::builder()
        .with_credential("official", wrapped)
        .with_credential("working", FromAzureCore::new(into_azure_core(working)))
        .build()
        .unwrap();
    let token = chain
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "second-tok");
}

#[tokio::test]
async fn chain_stops_on_an_official_failure() {
    fn refused() -> azure_core::Result<az::AccessToken> {
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            "refused",
        ))
    }
    let (working, calls) = recording_ours(Ok(AccessToken::new("never", EXPIRY)));
    let chain = ChainedTokenCredential::builder()
        .with_credential("official", FromAzureCore::new(Official::new(refused)))
        .with_credential("working", working)
        .build()
        .unwrap();
    let error = chain
        .get_token(&["s"], &TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert!(!error.is_unavailable());
    assert!(
        calls.lock().unwrap().is_empty(),
        "the chain must stop at the failure"
    );
}
