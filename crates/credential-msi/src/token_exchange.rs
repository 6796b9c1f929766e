//! Token exchange (AKS workload identity): with `AZURE_FEDERATED_TOKEN_FILE`,
//! `AZURE_TENANT_ID` and a client id (the option or `AZURE_CLIENT_ID`), the
//! projected service account token is exchanged at Entra ID through the
//! client-assertion flow:
//! `POST {authority}/{tenant}/oauth2/v2.0/token` with `client_id`, `scope`,
//! `grant_type=client_credentials`, the jwt-bearer `client_assertion_type`
//! and `client_assertion=<file content>`.
//!
//! The file is read through the injected filesystem, trimmed, and read again
//! once the copy in memory is 5 minutes old (Kubernetes rotates it).

use std::path::PathBuf;
use std::sync::Mutex;

use credential_core::__private::entra::{
    ClientAuthentication, ClientCredentialsRequest, token_endpoint,
};
use credential_core::{CredentialError, Fs, HttpRequest, Secret};
use time::{Duration, OffsetDateTime};
use url::Url;

use crate::NAME;

/// How long a read of the token file is reused.
pub const TOKEN_FILE_MAX_AGE: Duration = Duration::minutes(5);

/// The exchange's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenExchangeConfig {
    /// The authority host (`AZURE_AUTHORITY_HOST` or the public cloud).
    pub authority: Url,
    /// `AZURE_TENANT_ID`.
    pub tenant_id: String,
    /// The client id (option or `AZURE_CLIENT_ID`).
    pub client_id: String,
    /// `AZURE_FEDERATED_TOKEN_FILE`.
    pub token_file: PathBuf,
}

/// The token request for one scope, with the federated token as assertion.
pub fn build_request(
    config: &TokenExchangeConfig,
    tenant_id: &str,
    scope: &str,
    claims: Option<&str>,
    enable_cae: bool,
    assertion: &Secret,
) -> HttpRequest {
    let authentication = ClientAuthentication::Assertion(assertion.clone());
    let scopes = [scope];
    ClientCredentialsRequest {
        endpoint: token_endpoint(&config.authority, tenant_id),
        client_id: &config.client_id,
        scopes: &scopes,
        claims,
        enable_cae,
        authentication: &authentication,
    }
    .to_http_request()
}

/// The federated token file, re-read when the copy in memory is older than
/// [`TOKEN_FILE_MAX_AGE`].
#[derive(Debug, Default)]
pub struct FederatedTokenFile {
    cached: Mutex<Option<(Secret, OffsetDateTime)>>,
}

impl FederatedTokenFile {
    /// The token, trimmed; read from `fs` when there is no copy younger than
    /// 5 minutes at `now`.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] when the file cannot be read or
    /// holds only whitespace.
    pub async fn read(
        &self,
        fs: &Fs,
        path: &std::path::Path,
        now: OffsetDateTime,
    ) -> Result<Secret, CredentialError> {
        if let Some((token, read_at)) = self.lock().as_ref()
            && now - *read_at < TOKEN_FILE_MAX_AGE
        {
            return Ok(token.clone());
        }
        let content = fs.read_to_string(path).await.map_err(|e| {
            CredentialError::invalid_configuration(
                NAME,
                format!(
                    "could not read the federated token file {} named by \
                     AZURE_FEDERATED_TOKEN_FILE ({e}); check the workload identity webhook \
                     mounted it",
                    path.display()
                ),
            )
        })?;
        let trimmed = content.trim();
        if trimmed.is_empty() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                format!(
                    "the federated token file {} named by AZURE_FEDERATED_TOKEN_FILE is empty",
                    path.display()
                ),
            ));
        }
        let token = Secret::new(trimmed);
        *self.lock() = Some((token.clone(), now));
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Secret, OffsetDateTime)>> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[tokio::test]
    async fn reread_after_five_minutes() {
        let now = datetime!(2030-01-01 0:00 UTC);
        let file = FederatedTokenFile::default();
        let path = std::path::Path::new("/t");
        let fs1 = Fs::from_files([("/t", " one\n")]);
        let fs2 = Fs::from_files([("/t", "two")]);
        assert_eq!(
            file.read(&fs1, path, now).await.unwrap().expose_secret(),
            "one"
        );
        let later = now + Duration::minutes(4);
        assert_eq!(
            file.read(&fs2, path, later).await.unwrap().expose_secret(),
            "one"
        );
        let much_later = now + Duration::minutes(5);
        assert_eq!(
            file.read(&fs2, path, much_later)
                .await
                .unwrap()
                .expose_secret(),
            "two"
        );
    }

    #[tokio::test]
    async fn missing_or_empty_file() {
        let now = datetime!(2030-01-01 0:00 UTC);
        let file = FederatedTokenFile::default();
        let err = file
            .read(&Fs::empty(), "/t".as_ref(), now)
            .await
            .unwrap_err();
        assert!(matches!(err, CredentialError::InvalidConfiguration { .. }));
        let err = file
            .read(&Fs::from_files([("/t", "  \n")]), "/t".as_ref(), now)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
