//! Sign in with a device code, then write and read a secret as the signed-in
//! user. Run: `cargo run -p examples --example sign_in_device_code`
//!
//! Without `AZURE_KEYVAULT_URL` it runs against a local Key Vault emulator,
//! whose test user approves the code after one poll. With it, it signs you in
//! to your tenant (`AZURE_TENANT_ID`, else any work or school account) with
//! `AZURE_CLIENT_ID` (else the Azure developer sign-on application) and uses
//! that vault.

use credential_default::DeviceCodeCredential;
use examples::{BoxError, unique_name, vault_or_local_emulator};
use keyvault_secrets::SecretClient;

/// The variables that name your tenant and your application registration.
const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Your vault, or a local emulator when AZURE_KEYVAULT_URL is unset.
    let vault = vault_or_local_emulator().await?;

    // Where to sign in: the emulator's token issuer and tenant, or yours.
    let mut builder = DeviceCodeCredential::builder().with_context(vault.context());
    if let Some(emulator) = &vault.emulator {
        builder = builder
            .with_authority_host(emulator.authority_host())
            .with_tenant_id(emulator.tenant_id());
    } else {
        builder = match vault.env.get(AZURE_TENANT_ID) {
            Some(tenant) => builder.with_tenant_id(tenant),
            // A vault names its own tenant in its challenge; sign in there.
            None => builder.with_additionally_allowed_tenants(["*"]),
        };
        if let Some(client) = vault.env.get(AZURE_CLIENT_ID) {
            builder = builder.with_client_id(client);
        }
    }
    // The code is shown on standard error as it arrives (the default).
    let credential = builder.build()?;

    // 1. Sign in now, rather than on the first request.
    println!("1. Signing in with a device code (the code is shown on standard error)...");
    let record = credential
        .authenticate(&["https://vault.azure.net/.default"])
        .await?;
    println!(
        "   Signed in as {} (tenant {}).",
        record.username, record.tenant_id
    );

    // 2. Use the vault as that user: the token comes from the cache and
    //    the refresh token, so there is no second prompt.
    let client = SecretClient::new(vault.vault_url.clone(), credential)?;
    let name = unique_name("signed-in");
    client.set_secret(&name, "written-as-the-user").await?;
    let read = client.get_secret(&name).await?;
    let matches = if read.value == "written-as-the-user" {
        "matches"
    } else {
        "DOES NOT match"
    };
    println!(
        "2. Wrote secret '{name}' and read it back without another prompt: the value {matches}."
    );
    println!("Done.");
    Ok(())
}
