//! A bearer token for a client that knows nothing of `TokenCredential`:
//! `get_bearer_token_provider` turns `DefaultAzureCredential` into a
//! cloneable async function, as reqwest middleware or a tonic interceptor
//! would use it. Here it signs one plain HTTP request to the vault; the
//! token is never printed. Run: `cargo run -p examples --example bearer_token`
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in;
//! without it, a local Key Vault emulator.

use credential_core::{HttpRequest, Method, get_bearer_token_provider};
use credential_default::DefaultAzureCredential;
use examples::{BoxError, vault_or_local_emulator};
use url::Url;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Your vault, or a local emulator when AZURE_KEYVAULT_URL is unset.
    let vault = vault_or_local_emulator().await?;

    // In your application: `DefaultAzureCredential::new()?`.
    let credential = DefaultAzureCredential::builder()
        .with_context(vault.context())
        .build()?;
    let scope = credential.cloud().key_vault_scope();
    let provider = get_bearer_token_provider(credential, [scope.as_str()]);

    // Each clone is cheap; hand one to every task or middleware that needs it.
    let for_request = provider.clone();
    let token = for_request().await?;

    // Any HTTP client will do; this one is the crate's own transport.
    let url = Url::parse(&format!(
        "{}/secrets?api-version=7.5",
        vault.vault_url.trim_end_matches('/')
    ))?;
    let request =
        HttpRequest::new(Method::GET, url).with_header("authorization", &format!("Bearer {token}"));
    let response = vault.context().http.send(request).await?;
    println!(
        "Listed secrets with a plain HTTP request signed by the bearer token provider (scope {scope}): HTTP {}.",
        response.status.as_u16()
    );
    Ok(())
}
