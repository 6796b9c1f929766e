//! A bearer token for a client that knows nothing of `TokenCredential`:
//! `get_bearer_token_provider` turns `DefaultAzureCredential` into a
//! cloneable async function, as reqwest middleware or a tonic interceptor
//! would use it. Here it signs one plain HTTP request to the vault.

use std::io::Write;
use std::sync::Arc;

use credential_core::{Env, HttpRequest, Method, get_bearer_token_provider};
use url::Url;

use crate::BoxError;
use crate::target::Target;

/// Lists the vault's secrets with one hand-made request whose
/// `Authorization` header comes from the provider; says the HTTP status.
/// The token is never printed.
pub async fn run(env: &Env, out: &mut dyn Write) -> Result<(), BoxError> {
    let target = Target::connect(env, out).await?;
    let credential = target.credential()?;
    let scope = credential.cloud().key_vault_scope();
    let provider = get_bearer_token_provider(Arc::new(credential), [scope.as_str()]);

    // Each clone is cheap; hand one to every task or middleware that needs it.
    let for_request = provider.clone();
    let token = for_request().await?;
    let url = Url::parse(&format!(
        "{}/secrets?api-version=7.5",
        target.vault_url.trim_end_matches('/')
    ))?;
    let request =
        HttpRequest::new(Method::GET, url).with_header("authorization", &format!("Bearer {token}"));
    let response = target.context().http.send(request).await?;
    writeln!(
        out,
        "Listed secrets with a plain HTTP request signed by the bearer token provider (scope {scope}): HTTP {}.",
        response.status.as_u16()
    )?;
    Ok(())
}
