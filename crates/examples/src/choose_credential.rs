//! Choosing a credential: one provider alone (client secret, managed
//! identity, Azure CLI) and a custom chain, each used with a `SecretClient`.

use std::io::Write;
use std::sync::Arc;

use credential_core::{ChainedTokenCredential, Env, TokenCredential, TokenRequestOptions};
use credential_default::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential, env_vars,
};
use keyvault_secrets::SecretClient;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::target::Target;
use crate::{BoxError, unique_name};

const VAULT_SCOPE: &str = "https://vault.azure.net/.default";

/// Runs the walkthrough, narrating to `out`.
pub async fn run(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let ctx = target.context();
    let get = |key: &str| target.env.get(key).unwrap_or_default();

    // 1. A client secret, and nothing else: the `credential-env` crate alone.
    let secret_credential = ClientSecretCredential::builder(
        get(env_vars::AZURE_TENANT_ID),
        get(env_vars::AZURE_CLIENT_ID),
        get(env_vars::AZURE_CLIENT_SECRET),
    )
    .with_context(ctx.clone())
    .build();
    match secret_credential {
        Ok(credential) => {
            let client = SecretClient::new(target.vault_url.clone(), credential)?;
            let name = unique_name("choose");
            client.set_secret(&name, "v").await?;
            let read = client.get_secret(&name).await?;
            writeln!(
                out,
                "ClientSecretCredential: set and read '{}' ({} characters).",
                name,
                read.value.len()
            )?;
        }
        Err(error) => writeln!(out, "ClientSecretCredential: not configured here: {error}")?,
    }

    // 2. Managed identity alone (`credential-msi`). Against the emulator it
    //    talks to the emulator's IMDS endpoint.
    let mut managed = ManagedIdentityCredential::builder().with_context(ctx.clone());
    if let Some(imds) = target.env.get(env_vars::AZURE_POD_IDENTITY_AUTHORITY_HOST) {
        managed = managed.with_imds_endpoint(Url::parse(&imds)?);
    }
    let managed = managed.build()?;
    report(out, "ManagedIdentityCredential", &managed).await?;

    // 3. The Azure CLI alone (`credential-cli`): works where `az login` was run.
    let cli = AzureCliCredential::builder()
        .with_context(ctx.clone())
        .build()?;
    report(out, "AzureCliCredential", &cli).await?;

    // 4. A custom chain: the CLI first, then managed identity.
    let chain = ChainedTokenCredential::new()
        .with_shared("AzureCliCredential", Arc::new(cli))
        .with_shared("ManagedIdentityCredential", Arc::new(managed));
    report(
        out,
        "ChainedTokenCredential(AzureCli, ManagedIdentity)",
        &chain,
    )
    .await?;
    Ok(())
}

/// Asks `credential` for a vault token and says how it went (never the token).
async fn report(
    out: &mut dyn Write,
    label: &str,
    credential: &dyn TokenCredential,
) -> Result<(), BoxError> {
    match credential
        .get_token(&[VAULT_SCOPE], &TokenRequestOptions::default())
        .await
    {
        Ok(token) => writeln!(
            out,
            "{label}: got a token that expires at {}.",
            token.expires_on.format(&Rfc3339).unwrap_or_default()
        )?,
        Err(error) if error.is_unavailable() => {
            let first = error.to_string();
            let first = first.lines().next().unwrap_or_default();
            writeln!(out, "{label}: unavailable here ({first}).")?
        }
        Err(error) => writeln!(out, "{label}: failed: {error}")?,
    }
    Ok(())
}
