//! User sign-in: the device code flow and the browser, then one secret
//! written and read as the signed-in user.
//!
//! - `cargo run -p examples --example sign_in_device_code`
//! - `cargo run -p examples --example sign_in_browser`
//!
//! Without `AZURE_KEYVAULT_URL` both run against the embedded emulator,
//! whose test user approves the device code after one poll and whose
//! sign-in page the example's stand-in browser visits itself. With
//! `AZURE_KEYVAULT_URL` they sign you in to your tenant (`AZURE_TENANT_ID`,
//! else any work or school account) with `AZURE_CLIENT_ID` (else the Azure
//! developer sign-on application) and use that vault.

use std::io::Write;
use std::sync::Arc;

use credential_core::{Env, ProviderContext, TokenCredential, env_vars};
use credential_default::{
    AuthenticationRecord, DeviceCodeCredential, InteractiveBrowserCredential,
};
use keyvault_emulator::SimulatedBrowser;

use crate::target::Target;
use crate::{BoxError, unique_name};

/// The scope both walkthroughs sign in for.
const VAULT_SCOPE: &str = "https://vault.azure.net/.default";

/// Where, and as which application, both credentials sign in.
struct SignIn {
    authority_host: Option<String>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    context: ProviderContext,
}

impl SignIn {
    /// Where to sign in: the emulator's tenant, or the real one `env` names.
    fn new(target: &Target) -> Self {
        let env = &target.env;
        match &target.emulator {
            Some(emulator) => Self {
                authority_host: Some(emulator.authority_host()),
                tenant_id: Some(emulator.tenant_id().to_owned()),
                client_id: None,
                context: target.context(),
            },
            None => Self {
                authority_host: None,
                tenant_id: env.get(env_vars::AZURE_TENANT_ID),
                client_id: env.get(env_vars::AZURE_CLIENT_ID),
                context: target.context(),
            },
        }
    }
}

/// Applies [`SignIn`] to a builder with the shared `with_*` methods.
macro_rules! configure {
    ($builder:expr, $sign_in:expr) => {{
        let s = $sign_in;
        let mut builder = $builder.with_context(s.context.clone());
        if let Some(host) = &s.authority_host {
            builder = builder.with_authority_host(host);
        }
        if let Some(tenant) = &s.tenant_id {
            builder = builder.with_tenant_id(tenant);
        } else {
            // A vault names its own tenant in its challenge; the user may sign in there.
            builder = builder.with_additionally_allowed_tenants(["*"]);
        }
        if let Some(client) = &s.client_id {
            builder = builder.with_client_id(client);
        }
        builder
    }};
}

/// The device code walkthrough against the vault `env` names (or the emulator).
pub async fn device_code(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let sign_in = SignIn::new(&target);
    // The code is shown on standard error as it arrives (the default).
    let credential = configure!(DeviceCodeCredential::builder(), &sign_in).build()?;
    writeln!(
        out,
        "1. Signing in with a device code (the code is shown on standard error)..."
    )?;
    let record = credential.authenticate(&[VAULT_SCOPE]).await?;
    finish(&target, credential, &record, out).await
}

/// The browser walkthrough against the vault `env` names (or the emulator,
/// whose sign-in page a stand-in browser visits).
pub async fn browser(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let mut sign_in = SignIn::new(&target);
    if target.emulator.is_some() {
        sign_in.context = sign_in
            .context
            .with_process(Arc::new(SimulatedBrowser::new()));
    }
    let credential = configure!(InteractiveBrowserCredential::builder(), &sign_in).build()?;
    writeln!(out, "1. Signing in in the browser...")?;
    let record = credential.authenticate(&[VAULT_SCOPE]).await?;
    finish(&target, credential, &record, out).await
}

/// Says who signed in, then writes one secret and reads it back as that
/// user (the token comes from the cache and the refresh token).
async fn finish(
    target: &Target,
    credential: impl TokenCredential + 'static,
    record: &AuthenticationRecord,
    out: &mut dyn Write,
) -> Result<(), BoxError> {
    writeln!(
        out,
        "   Signed in as {} (tenant {}).",
        record.username, record.tenant_id
    )?;
    let client = target.client(credential)?;
    let name = unique_name("signed-in");
    client.set_secret(&name, "written-as-the-user").await?;
    let read = client.get_secret(&name).await?;
    let matches = if read.value == "written-as-the-user" {
        "matches"
    } else {
        "DOES NOT match"
    };
    writeln!(
        out,
        "2. Wrote secret '{name}' and read it back without another prompt: the value {matches}."
    )?;
    writeln!(out, "Done.")?;
    Ok(())
}
