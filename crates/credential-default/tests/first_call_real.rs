//! Concurrent first calls with the real process runner: a fake `az` script
//! (in a temporary directory that is the whole injected `PATH`) counts its
//! runs; managed identity is unavailable (its IMDS refuses connections).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use credential_core::{Env, Fs, ProviderContext, SystemProcessRunner, async_trait};
use credential_default::{
    CredentialKind, DefaultAzureCredential, HttpClient, HttpRequest, HttpResponse, TransportError,
    TransportErrorKind,
};

/// An IMDS that refuses every connection, counting the attempts.
#[derive(Debug, Default)]
struct RefusingImds {
    requests: AtomicUsize,
}

#[async_trait]
impl HttpClient for RefusingImds {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        assert_eq!(request.url.host_str(), Some("imds.test"));
        self.requests.fetch_add(1, Ordering::SeqCst);
        Err(TransportError::new(
            TransportErrorKind::Connect,
            "connection refused",
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_first_calls_start_one_az_and_one_probe() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let az = dir.path().join("az");
    // Slow enough that every caller arrives while the first run is going.
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho run >> '{}'\nsleep 0.3\necho '{}'\n",
            runs.display(),
            az_output("az-token")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let imds = Arc::new(RefusingImds::default());
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs([("PATH", dir.path().to_str().unwrap())]))
        .with_fs(Fs::real())
        .with_http(imds.clone())
        .with_process(Arc::new(SystemProcessRunner));
    let credential = Arc::new(
        DefaultAzureCredential::builder()
            .with_context(ctx)
            .with_imds_endpoint(url::Url::parse("http://imds.test").unwrap())
            .build()
            .unwrap(),
    );
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let credential = Arc::clone(&credential);
            tokio::spawn(async move { get(&credential).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(tokens[0].token.expose_secret(), "az-token");
    #[allow(clippy::disallowed_methods)] // Reads what the script recorded.
    let recorded = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(recorded.lines().count(), 1, "az ran more than once");
    assert!(
        imds.requests.load(Ordering::SeqCst) <= 1,
        "more than one probe"
    );
    assert_eq!(credential.selected(), Some(CredentialKind::AzureCli));
}
