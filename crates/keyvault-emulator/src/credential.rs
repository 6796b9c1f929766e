//! [`RunningEmulator::client_secret_credential`]: a credential for the
//! emulator's own client, for tests and examples that need a token and no
//! credential provider crate.

use credential_core::__private::entra::{
    ClientAuthentication, ClientCredentialsRequest, send_token_request,
};
use credential_core::RetryPolicy;
use credential_core::{FnCredential, ReqwestHttpClient, SystemClock, token_credential_fn};

use crate::running::RunningEmulator;

impl RunningEmulator {
    /// A credential that asks this emulator's token endpoint for tokens with
    /// its first client's id and secret (client credentials), over loopback
    /// HTTP. For an emulator serving plain HTTP (the default), so that a
    /// crate's tests can sign in without depending on a credential crate.
    pub fn client_secret_credential(&self) -> FnCredential {
        const NAME: &str = "EmulatorClientSecretCredential";
        let endpoint = url::Url::parse(&self.token_endpoint());
        let client_id = self.client_id().to_owned();
        let authentication = ClientAuthentication::Secret(self.client_secret().into());
        token_credential_fn(NAME, move |scopes, _options| {
            let endpoint = endpoint.clone();
            let client_id = client_id.clone();
            let authentication = authentication.clone();
            async move {
                let endpoint = endpoint.map_err(|e| {
                    credential_core::CredentialError::invalid_configuration(
                        NAME,
                        format!("the emulator's token endpoint is not a URL: {e}"),
                    )
                })?;
                // The emulator's own endpoint: loopback by construction.
                if !credential_core::__private::is_loopback(&endpoint) {
                    return Err(credential_core::CredentialError::invalid_configuration(
                        NAME,
                        "the emulator's token endpoint is not on loopback",
                    ));
                }
                let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                let request = ClientCredentialsRequest {
                    endpoint,
                    client_id: &client_id,
                    scopes: &scopes,
                    claims: None,
                    enable_cae: false,
                    authentication: &authentication,
                }
                .to_http_request();
                send_token_request(
                    NAME,
                    &ReqwestHttpClient::new(),
                    &request,
                    &RetryPolicy::default(),
                    &SystemClock,
                )
                .await
            }
        })
    }
}
