//! Choosing a credential: one provider alone (client secret, managed
//! identity, Azure CLI) and a custom chain, each asked for a vault token.
//! Run: `cargo run -p examples --example choose_credential`
//!
//! With `AZURE_KEYVAULT_URL` set it uses that vault and your real sign-in
//! (environment variables, managed identity, `az login`, ...); without it, a
//! local Key Vault emulator.

use credential_core::{ChainedTokenCredential, TokenCredential, TokenRequestOptions};
use credential_default::{AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential};
use examples::{BoxError, unique_name, vault_or_local_emulator};
use keyvault_secrets::SecretClient;
use time::format_description::well_known::Rfc3339;
use url::Url;

const VAULT_SCOPE: &str = "https://vault.azure.net/.default";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Your vault, or a local emulator when AZURE_KEYVAULT_URL is unset.
    let vault = vault_or_local_emulator().await?;
    // In your application, leave out `.with_context(...)`: each credential
    // then reads the process environment. Here it reads the emulator's.
    let ctx = vault.context();
    let get = |key: &str| vault.env.get(key).unwrap_or_default();

    // 1. A client secret, and nothing else: the `credential-env` crate alone.
    let secret_credential = ClientSecretCredential::builder(
        get("AZURE_TENANT_ID"),
        get("AZURE_CLIENT_ID"),
        get("AZURE_CLIENT_SECRET"),
    )
    .with_context(ctx.clone())
    .build();
    match secret_credential {
        Ok(credential) => {
            let client = SecretClient::new(vault.vault_url.clone(), credential)?;
            let name = unique_name("choose");
            client.set_secret(&name, "v").await?;
            let read = client.get_secret(&name).await?;
            println!(
                "ClientSecretCredential: set and read '{name}' ({} characters).",
                read.value.len()
            );
        }
        Err(error) => println!("ClientSecretCredential: not configured here: {error}"),
    }

    // 2. Managed identity alone (`credential-msi`). Against the emulator it
    //    talks to the emulator's IMDS endpoint.
    let mut managed = ManagedIdentityCredential::builder().with_context(ctx.clone());
    if let Some(imds) = vault.env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") {
        managed = managed.with_imds_endpoint(Url::parse(&imds)?);
    }
    let managed = managed.build()?;
    report("ManagedIdentityCredential", &managed).await;

    // 3. The Azure CLI alone (`credential-cli`): works where `az login` was run.
    let cli = AzureCliCredential::builder()
        .with_context(ctx.clone())
        .build()?;
    report("AzureCliCredential", &cli).await;

    // 4. A custom chain: the CLI first, then managed identity.
    let chain = ChainedTokenCredential::builder()
        .with_credential("AzureCliCredential", cli)
        .with_credential("ManagedIdentityCredential", managed)
        .build()?;
    report("ChainedTokenCredential(AzureCli, ManagedIdentity)", &chain).await;
    Ok(())
}

/// Asks `credential` for a vault token and says how it went (never the token).
async fn report(label: &str, credential: &dyn TokenCredential) {
    match credential
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
    {
        Ok(token) => println!(
            "{label}: got a token that expires at {}.",
            token.expires_on.format(&Rfc3339).unwrap_or_default()
        ),
        // Unavailable: this credential does not apply here (no `az`, no
        // managed identity endpoint...); a chain moves on to the next.
        Err(error) if error.is_unavailable() => {
            let first = error.to_string();
            let first = first.lines().next().unwrap_or_default();
            println!("{label}: unavailable here ({first}).");
        }
        Err(error) => println!("{label}: failed: {error}"),
    }
}
