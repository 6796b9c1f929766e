//! [`SecretClient`] and its builder: the operations.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use credential_core::retry::RetryPolicy;
use credential_core::{
    HttpResponse, ReqwestHttpClient, SharedClock, SharedHttpClient, SystemClock, TokenCache,
    TokenCredential,
};
use futures::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::challenge::ChallengeCache;
use crate::error::Error;
use crate::headers::{BearerHeaders, ConstantHeaders, RequestIds};
use crate::models::{
    DeletedSecret, KeyVaultSecret, SecretProperties, SetBody, UpdateBody, WireAttributes, WireBlob,
    WireBundle, malformed,
};
use crate::options::{
    ApiVersion, GetSecretOptions, ListOptions, SetSecretOptions, UpdateSecretPropertiesOptions,
};
use crate::paging;
use crate::pipeline::{Pipeline, Request, service_error};
use crate::poller::{DeleteSecretPoller, RecoverDeletedSecretPoller};
use crate::validate;

/// The default interval between two polls of a delete or recover poller.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// A client for one vault's secrets. Cheap to clone; clones share the
/// challenge, the token cache and the HTTP connections.
///
/// ```no_run
/// # async fn f(credential: credential_core::FnCredential) -> Result<(), keyvault_secrets::Error> {
/// use keyvault_secrets::{SecretClient, SetSecretOptions, GetSecretOptions};
/// let client = SecretClient::new("https://myvault.vault.azure.net", credential)?;
/// client.set_secret("db-password", "hunter2", SetSecretOptions::default()).await?;
/// let secret = client.get_secret("db-password", GetSecretOptions::default()).await?;
/// assert_eq!(secret.value, "hunter2");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SecretClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    /// The vault URL with room reserved after it (see [`url_template`]).
    url_template: Url,
    /// `scheme://host[:port]` of the vault, as its secret ids begin.
    vault_origin: String,
    api_version: ApiVersion,
    poll_interval: Duration,
}

/// Builds a [`SecretClient`]; see [`SecretClient::builder`].
#[derive(Debug)]
pub struct SecretClientBuilder {
    vault_url: String,
    credential: Arc<dyn TokenCredential>,
    api_version: ApiVersion,
    retry: RetryPolicy,
    per_try_timeout: Option<Duration>,
    verify_challenge_resource: bool,
    http: Option<SharedHttpClient>,
    clock: Option<SharedClock>,
    poll_interval: Duration,
}

impl SecretClientBuilder {
    /// The API version (`2025-07-01` by default).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }
    /// The retry policy (3 retries, backoff from 0.8 s capped at 60 s, by default).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// The number of retries after the first try (3 by default).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }
    /// A timeout for each try (the HTTP client's timeout by default: 30 s
    /// for the built-in client).
    pub fn per_try_timeout(mut self, timeout: Duration) -> Self {
        self.per_try_timeout = Some(timeout);
        self
    }
    /// Whether the challenge's resource must match the vault's host (on by
    /// default). Turn it off only for a vault served under a domain that
    /// differs from its token audience.
    pub fn verify_challenge_resource(mut self, verify: bool) -> Self {
        self.verify_challenge_resource = verify;
        self
    }
    /// Sends requests with the caller's `reqwest::Client`, as configured.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(Arc::new(ReqwestHttpClient::from_client(client)));
        self
    }
    /// Sends requests through any [`credential_core::HttpClient`] (tests use
    /// `LoopbackOnlyHttpClient`).
    pub fn transport(mut self, http: SharedHttpClient) -> Self {
        self.http = Some(http);
        self
    }
    /// The clock used for `Retry-After` dates and the token cache.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// The interval between polls of delete and recover pollers (2 s by default).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] for a vault URL
    /// that is not `https://host` (or `http://` to a loopback host).
    pub fn build(self) -> Result<SecretClient, Error> {
        let vault_url = validate::vault_url(&self.vault_url)?;
        if self.per_try_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid_input(
                "the per-try timeout is zero, so every request would time out at once; pass a \
                 positive duration to per_try_timeout, or leave it unset for the HTTP client's",
            ));
        }
        let vault_origin = vault_url.origin().ascii_serialization();
        let url_template = url_template(&vault_url);
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let http = self
            .http
            .unwrap_or_else(|| Arc::new(ReqwestHttpClient::new()));
        let pipeline = Pipeline {
            http,
            credential: self.credential,
            tokens: TokenCache::new(clock.clone()),
            clock,
            challenge: ChallengeCache::default(),
            vault_url,
            retry: self.retry,
            per_try_timeout: self.per_try_timeout,
            verify_challenge_resource: self.verify_challenge_resource,
            headers: ConstantHeaders::new(),
            request_ids: RequestIds::new(),
            bearer: BearerHeaders::default(),
        };
        Ok(SecretClient {
            inner: Arc::new(Inner {
                pipeline,
                url_template,
                vault_origin,
                api_version: self.api_version,
                poll_interval: self.poll_interval,
            }),
        })
    }
}

/// Room reserved in [`url_template`]: enough for the path and query of
/// every operation on a secret with a name of up to 127 characters.
const URL_ROOM: usize = 256;

/// The vault URL with a placeholder path of [`URL_ROOM`] bytes. A request
/// URL is a clone of it (a `String` clone keeps the length as capacity)
/// whose path and query are then written in place: without the room, each
/// request's URL grew its buffer twice, and a reallocation takes a lock of
/// the allocator that the client's other threads also take.
fn url_template(vault_url: &Url) -> Url {
    let mut template = vault_url.clone();
    template.set_query(None);
    template.set_fragment(None);
    template.set_path(&"x".repeat(URL_ROOM));
    template
}

fn request_id(response: &HttpResponse) -> Option<String> {
    response.header("x-ms-request-id").map(str::to_owned)
}

/// Checks the status and reads the JSON body.
pub(crate) fn read_json<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    if response.status.as_u16() != 200 {
        return Err(service_error(response));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        malformed(
            200,
            request_id(response),
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

fn read_with<T>(
    response: &HttpResponse,
    convert: impl FnOnce(WireBundle) -> Result<T, String>,
) -> Result<T, Error> {
    let fast = match response.status.as_u16() {
        200 => crate::wire_fast::parse_bundle(&response.body),
        _ => None,
    };
    let bundle = match fast {
        Some(bundle) => bundle,
        // Anything the fast reader does not take, errors included.
        None => read_json::<WireBundle>(response)?,
    };
    convert(bundle).map_err(|m| malformed(200, request_id(response), m))
}

impl SecretClient {
    /// A client for `vault_url` (e.g. `https://myvault.vault.azure.net`)
    /// with default options. `credential` is any [`TokenCredential`],
    /// including an `Arc<dyn TokenCredential>`.
    pub fn new(
        vault_url: impl Into<String>,
        credential: impl TokenCredential + 'static,
    ) -> Result<Self, Error> {
        Self::builder(vault_url, credential).build()
    }

    /// A builder for a client with options.
    pub fn builder(
        vault_url: impl Into<String>,
        credential: impl TokenCredential + 'static,
    ) -> SecretClientBuilder {
        SecretClientBuilder {
            vault_url: vault_url.into(),
            credential: Arc::new(credential),
            api_version: ApiVersion::default(),
            retry: RetryPolicy::default(),
            per_try_timeout: None,
            verify_challenge_resource: true,
            http: None,
            clock: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The vault URL.
    pub fn vault_url(&self) -> &Url {
        &self.inner.pipeline.vault_url
    }

    /// `scheme://host[:port]` of the vault, for reading its ids.
    fn origin(&self) -> Option<&str> {
        Some(&self.inner.vault_origin)
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        self.inner.poll_interval
    }

    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.url_template.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear().extend(segments);
        }
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api-version", self.inner.api_version.as_str());
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    pub(crate) fn api_version(&self) -> &str {
        self.inner.api_version.as_str()
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, Error> {
        let request = Request {
            method,
            url,
            body: body.map(Bytes::from),
        };
        self.inner.pipeline.send(&request).await
    }

    fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(value)
            .map_err(|e| Error::invalid_input(format!("could not encode the request: {e}")))
    }

    /// Creates a secret, or a new version of an existing one (`PUT /secrets/{name}`).
    pub async fn set_secret(
        &self,
        name: &str,
        value: &str,
        options: SetSecretOptions,
    ) -> Result<KeyVaultSecret, Error> {
        validate::secret_name(name)?;
        validate::secret_value(value)?;
        let body = Self::to_json(&SetBody {
            value,
            content_type: options.content_type.as_deref(),
            tags: options.tags.as_ref(),
            attributes: WireAttributes {
                enabled: options.enabled,
                nbf: options.not_before,
                exp: options.expires_on,
                ..Default::default()
            },
        })?;
        let response = self
            .send(Method::PUT, self.url(&["secrets", name], &[]), Some(body))
            .await?;
        read_with(&response, |b| b.into_secret_in(self.origin()))
    }

    /// Gets the latest version (`GET /secrets/{name}/`) or a given version.
    pub async fn get_secret(
        &self,
        name: &str,
        options: GetSecretOptions,
    ) -> Result<KeyVaultSecret, Error> {
        validate::secret_name(name)?;
        let version = options.version.as_deref().unwrap_or_default();
        validate::version(version)?;
        let query: Vec<(&str, &str)> = options
            .out_content_type
            .as_deref()
            .map(|c| ("outContentType", c))
            .into_iter()
            .collect();
        let url = self.url(&["secrets", name, version], &query);
        let response = self.send(Method::GET, url, None).await?;
        read_with(&response, |b| b.into_secret_in(self.origin()))
    }

    /// Updates a version's properties (`PATCH /secrets/{name}/{version}`,
    /// latest when no version is given). The value cannot change.
    pub async fn update_secret_properties(
        &self,
        name: &str,
        options: UpdateSecretPropertiesOptions,
    ) -> Result<SecretProperties, Error> {
        validate::secret_name(name)?;
        let version = options.version.as_deref().unwrap_or_default();
        validate::version(version)?;
        let body = Self::to_json(&UpdateBody {
            content_type: options.content_type.as_deref(),
            attributes: WireAttributes {
                enabled: options.enabled,
                nbf: options.not_before,
                exp: options.expires_on,
                ..Default::default()
            },
            tags: options.tags.as_ref(),
        })?;
        let url = self.url(&["secrets", name, version], &[]);
        let response = self.send(Method::PATCH, url, Some(body)).await?;
        read_with(&response, |b| b.properties_in(self.origin()))
    }

    /// Deletes a secret (`DELETE /secrets/{name}`) and returns a poller that
    /// waits until the deletion is visible in `/deletedsecrets`.
    pub async fn begin_delete_secret(&self, name: &str) -> Result<DeleteSecretPoller, Error> {
        validate::secret_name(name)?;
        let response = self
            .send(Method::DELETE, self.url(&["secrets", name], &[]), None)
            .await?;
        let deleted = read_with(&response, WireBundle::into_deleted)?;
        Ok(DeleteSecretPoller::new(self.clone(), name, deleted))
    }

    /// Gets a soft-deleted secret (`GET /deletedsecrets/{name}`).
    pub async fn get_deleted_secret(&self, name: &str) -> Result<DeletedSecret, Error> {
        validate::secret_name(name)?;
        let response = self
            .send(Method::GET, self.url(&["deletedsecrets", name], &[]), None)
            .await?;
        read_with(&response, WireBundle::into_deleted)
    }

    /// Permanently deletes a soft-deleted secret (`DELETE /deletedsecrets/{name}`, 204).
    pub async fn purge_deleted_secret(&self, name: &str) -> Result<(), Error> {
        validate::secret_name(name)?;
        let response = self
            .send(
                Method::DELETE,
                self.url(&["deletedsecrets", name], &[]),
                None,
            )
            .await?;
        if response.status.as_u16() == 204 {
            Ok(())
        } else {
            Err(service_error(&response))
        }
    }

    /// Recovers a soft-deleted secret (`POST /deletedsecrets/{name}/recover`)
    /// and returns a poller that waits until `GET /secrets/{name}/` finds it.
    pub async fn begin_recover_deleted_secret(
        &self,
        name: &str,
    ) -> Result<RecoverDeletedSecretPoller, Error> {
        validate::secret_name(name)?;
        let url = self.url(&["deletedsecrets", name, "recover"], &[]);
        let response = self.send(Method::POST, url, None).await?;
        let properties = read_with(&response, |b| b.properties_in(self.origin()))?;
        Ok(RecoverDeletedSecretPoller::new(
            self.clone(),
            name,
            properties,
        ))
    }

    /// Backs up every version of a secret (`POST /secrets/{name}/backup`);
    /// the blob is opaque and can only be restored into a vault.
    pub async fn backup_secret(&self, name: &str) -> Result<Vec<u8>, Error> {
        validate::secret_name(name)?;
        let url = self.url(&["secrets", name, "backup"], &[]);
        let response = self.send(Method::POST, url, None).await?;
        let blob = read_json::<WireBlob>(&response)?;
        let text = blob
            .value
            .ok_or_else(|| malformed(200, request_id(&response), "the backup has no 'value'"))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| {
                malformed(
                    200,
                    request_id(&response),
                    format!("the backup is not base64url: {e}"),
                )
            })
    }

    /// Restores a backup (`POST /secrets/restore`).
    pub async fn restore_secret_backup(&self, backup: &[u8]) -> Result<SecretProperties, Error> {
        if backup.is_empty() {
            return Err(Error::invalid_input("the backup blob is empty"));
        }
        let body = Self::to_json(&WireBlob {
            value: Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(backup)),
        })?;
        let url = self.url(&["secrets", "restore"], &[]);
        let response = self.send(Method::POST, url, Some(body)).await?;
        read_with(&response, |b| b.properties_in(self.origin()))
    }

    fn list_query(options: &ListOptions) -> Result<Vec<(&'static str, String)>, Error> {
        match options.max_results {
            None => Ok(Vec::new()),
            Some(n @ 1..=25) => Ok(vec![("maxresults", n.to_string())]),
            Some(n) => Err(Error::invalid_input(format!(
                "max_results must be between 1 and 25, not {n}"
            ))),
        }
    }

    fn list<T: Send + 'static>(
        &self,
        segments: &[&str],
        options: &ListOptions,
        convert: fn(WireBundle) -> Result<T, String>,
    ) -> impl Stream<Item = Result<T, Error>> + Send + 'static + use<T> {
        let first = Self::list_query(options).map(|query| {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.url(segments, &query)
        });
        paging::items(self.clone(), first, convert)
    }

    /// The properties of every secret (latest versions; no values), page by
    /// page through `nextLink`.
    pub fn list_properties_of_secrets(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<SecretProperties, Error>> + Send + 'static {
        self.list(&["secrets"], &options, |b| b.properties())
    }

    /// The properties of every version of a secret.
    pub fn list_properties_of_secret_versions(
        &self,
        name: &str,
        options: ListOptions,
    ) -> impl Stream<Item = Result<SecretProperties, Error>> + Send + 'static {
        let checked = validate::secret_name(name).map(|()| options);
        match checked {
            Ok(options) => futures::future::Either::Left(self.list(
                &["secrets", name, "versions"],
                &options,
                |b| b.properties(),
            )),
            Err(e) => futures::future::Either::Right(futures::stream::once(async { Err(e) })),
        }
    }

    /// Every soft-deleted secret.
    pub fn list_deleted_secrets(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<DeletedSecret, Error>> + Send + 'static {
        self.list(&["deletedsecrets"], &options, WireBundle::into_deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_core::token_credential_fn;

    fn client(vault: &str) -> SecretClient {
        let credential = token_credential_fn("Unused", |_, _| async {
            Err(credential_core::CredentialError::unavailable(
                "Unused",
                "not called",
            ))
        });
        SecretClient::new(vault, credential).unwrap()
    }

    #[test]
    fn request_urls_replace_the_reserved_room() {
        let client = client("https://myvault.vault.azure.net");
        let url = client.url(
            &["secrets", "my-secret", ""],
            &[("outContentType", "application/x-pkcs12")],
        );
        assert_eq!(
            url.as_str(),
            "https://myvault.vault.azure.net/secrets/my-secret/?api-version=2025-07-01&outContentType=application%2Fx-pkcs12"
        );
        let url = client.url(&["deletedsecrets"], &[]);
        assert_eq!(
            url.as_str(),
            "https://myvault.vault.azure.net/deletedsecrets?api-version=2025-07-01"
        );
        // The room is enough for the longest name without growing.
        let long = "n".repeat(127);
        let url = client.url(&["secrets", &long, &"a".repeat(32)], &[]);
        assert_eq!(url.path(), format!("/secrets/{long}/{}", "a".repeat(32)));
        assert_eq!(url.query(), Some("api-version=2025-07-01"));
    }

    #[test]
    fn request_urls_keep_the_vault_port() {
        let client = client("http://127.0.0.1:8443/");
        let url = client.url(&["secrets", "s"], &[]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8443/secrets/s?api-version=2025-07-01"
        );
    }
}
