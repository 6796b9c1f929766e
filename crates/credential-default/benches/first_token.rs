//! Time from the first `get_token` to a token when only the Azure CLI is
//! available: a real fake `az` (a shell script on an injected `PATH` that
//! sleeps 0.2 s, then prints a token) launched by `SystemProcessRunner`, and
//! IMDS either (a) refusing connections (a closed loopback port) or (b)
//! accepting them and never answering (a loopback listener that holds every
//! socket). For each, it times `az` alone, `DefaultAzureCredential`
//! (managed identity concurrently with the tools) and the same links in a
//! sequential `ChainedTokenCredential`, each on a fresh credential.
//!
//! Run: `cargo bench -p credential-default --bench first_token`
#![allow(missing_docs, clippy::disallowed_methods, clippy::unwrap_used)]

#[cfg(unix)]
mod bench {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use credential_core::{Env, Fs, LoopbackOnlyHttpClient, ProviderContext, SystemProcessRunner};
    use credential_default::{
        AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential,
        ChainedTokenCredential, DefaultAzureCredential, EnvironmentCredential,
        ManagedIdentityCredential, TokenCredential, TokenRequestOptions,
        WorkloadIdentityCredential,
    };
    use url::Url;

    const SCOPE: &str = "https://management.azure.com/.default";
    /// ProviderContext::isolated()'s clock + 1 h.
    const EXPIRES: i64 = 1_893_456_000 + 3600;

    fn context(dir: &Path) -> ProviderContext {
        ProviderContext::isolated()
            .with_env(Env::from_pairs([("PATH", dir.to_str().unwrap())]))
            .with_fs(Fs::real())
            .with_http(Arc::new(LoopbackOnlyHttpClient::real()))
            .with_process(Arc::new(SystemProcessRunner))
    }

    fn sequential(ctx: &ProviderContext, imds: &Url) -> ChainedTokenCredential {
        let wi: Arc<dyn TokenCredential> = match WorkloadIdentityCredential::builder()
            .with_context(ctx.clone())
            .build()
        {
            Ok(c) => Arc::new(c),
            // Not configured: an always-unavailable link, as the chain has.
            Err(e) => Arc::new(credential_default::token_credential_fn(
                "WorkloadIdentityCredential",
                move |_, _| {
                    let e = e.clone();
                    async move { Err(e) }
                },
            )),
        };
        ChainedTokenCredential::builder()
            .with_credential(
                "EnvironmentCredential",
                EnvironmentCredential::from_context(ctx.clone()).unwrap(),
            )
            .with_credential("WorkloadIdentityCredential", wi)
            .with_credential(
                "ManagedIdentityCredential",
                ManagedIdentityCredential::builder()
                    .with_context(ctx.clone())
                    .with_imds_endpoint(imds.clone())
                    .with_probe(true)
                    .build()
                    .unwrap(),
            )
            .with_credential(
                "AzureCliCredential",
                AzureCliCredential::builder()
                    .with_context(ctx.clone())
                    .build()
                    .unwrap(),
            )
            .with_credential(
                "AzurePowerShellCredential",
                AzurePowerShellCredential::builder()
                    .with_context(ctx.clone())
                    .build()
                    .unwrap(),
            )
            .with_credential(
                "AzureDeveloperCliCredential",
                AzureDeveloperCliCredential::builder()
                    .with_context(ctx.clone())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    async fn time_first_token(credential: &dyn TokenCredential) -> Duration {
        let start = Instant::now();
        let token = credential
            .get_token(&[SCOPE], &TokenRequestOptions::default())
            .await
            .unwrap();
        let elapsed = start.elapsed();
        assert_eq!(token.token.expose_secret(), "bench-token");
        elapsed
    }

    struct Stats {
        median: Duration,
        min: Duration,
        max: Duration,
    }

    fn stats(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats {
            median: samples[samples.len() / 2],
            min: samples[0],
            max: samples[samples.len() - 1],
        }
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    fn report(label: &str, s: &Stats) {
        println!(
            "  {label:<36} median {:>8.1} ms   min {:>8.1} ms   max {:>8.1} ms",
            ms(s.median),
            ms(s.min),
            ms(s.max)
        );
    }

    async fn scenario(name: &str, dir: &Path, imds: &Url, iterations: usize) {
        let ctx = context(dir);
        let (mut alone, mut ours, mut seq) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..iterations {
            let az = AzureCliCredential::builder()
                .with_context(ctx.clone())
                .build()
                .unwrap();
            alone.push(time_first_token(&az).await);
            let dac = DefaultAzureCredential::builder()
                .with_context(ctx.clone())
                .with_imds_endpoint(imds.clone())
                .build()
                .unwrap();
            ours.push(time_first_token(&dac).await);
            let chain = sequential(&ctx, imds);
            seq.push(time_first_token(&chain).await);
        }
        let (alone, ours, seq) = (stats(alone), stats(ours), stats(seq));
        println!("{name} ({iterations} iterations, fresh credential each):");
        report("az alone", &alone);
        report("DefaultAzureCredential (concurrent)", &ours);
        report("sequential ChainedTokenCredential", &seq);
        println!(
            "  ours - az alone: {:+.1} ms; sequential / ours: {:.2}x",
            ms(ours.median) - ms(alone.median),
            seq.median.as_secs_f64() / ours.median.as_secs_f64()
        );
    }

    pub fn main() {
        let dir = tempfile::tempdir().unwrap();
        let az = dir.path().join("az");
        std::fs::write(
            &az,
            format!(
                "#!/bin/sh\nsleep 0.2\nprintf '{{\"accessToken\": \"bench-token\", \"tokenType\": \"Bearer\", \"expires_on\": {EXPIRES}}}'\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // (a) A closed loopback port: connections are refused.
            let closed = {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                listener.local_addr().unwrap().port()
            };
            let refused = Url::parse(&format!("http://127.0.0.1:{closed}")).unwrap();
            scenario("(a) IMDS refuses connections", dir.path(), &refused, 20).await;

            // (b) A listener that accepts and never answers.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Ok((socket, _)) = listener.accept().await {
                    held.push(socket);
                }
            });
            let silent = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
            scenario("(b) IMDS accepts and never answers", dir.path(), &silent, 5).await;
        });
    }
}

fn main() {
    #[cfg(unix)]
    bench::main();
}
