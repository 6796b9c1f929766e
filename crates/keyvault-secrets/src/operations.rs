//! The request values: one per operation. Each takes its options by
//! chaining, and is sent by `.await` (it implements `IntoFuture`), or by
//! `.with_response().await` for the typed result with the HTTP status and
//! headers.

use http::StatusCode;
use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use base64::Engine;
use credential_core::HttpResponse;
use http::Method;
use time::OffsetDateTime;
use tracing::{Instrument, Span};

use crate::client::{SecretClient, read_json, read_with};
use crate::error::Error;
use crate::models::{
    DeletedSecret, KeyVaultSecret, SecretProperties, SetBody, UpdateBody, WireAttributes, WireBlob,
    WireBundle, malformed,
};
use crate::pipeline::service_error;
use crate::poller::Poller;
use crate::request::{CallOptions, Response};
use crate::telemetry::{self, operation_span};
use crate::validate;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The methods every request value has: `timeout`, `header`,
/// `with_response` and `IntoFuture`.
macro_rules! request_value {
    ($ty:ident, $out:ty) => {
        impl<'a> $ty<'a> {
            /// A limit for the whole operation, retries and their waits
            /// included; past it the call fails with a
            /// [`Transport`](crate::Error::Transport) error of kind `Timeout`.
            pub fn timeout(mut self, timeout: Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }

            /// Adds a header to the request (it replaces the client's own
            /// header of that name, except `Authorization`). A name or
            /// value that is not valid HTTP fails the call.
            pub fn header(mut self, name: &str, value: &str) -> Self {
                self.options.add_header(name, value);
                self
            }

            /// Sends the request; the typed result comes with the final
            /// response's status and headers.
            ///
            /// # Errors
            /// As awaiting the request: see [`SecretClient`'s errors](crate::SecretClient#errors).
            pub async fn with_response(self) -> Result<Response<$out>, Error> {
                // The operation's future is built where it is awaited, so it
                // is held once (see `telemetry::within`).
                let span = self.span();
                let result = match self.options.timeout {
                    None => self.execute(span.clone()).instrument(span.clone()).await,
                    Some(limit) => {
                        telemetry::within(limit, &span, self.execute(span.clone())).await
                    }
                };
                telemetry::record_outcome(&span, &result);
                result
            }
        }

        impl<'a> IntoFuture for $ty<'a> {
            type Output = Result<$out, Error>;
            type IntoFuture = BoxFuture<'a, Result<$out, Error>>;
            fn into_future(self) -> Self::IntoFuture {
                // Mapped rather than wrapped in an `async` block, which would
                // hold the request value a second time.
                Box::pin(futures::FutureExt::map(self.with_response(), |result| {
                    result.map(Response::into_value)
                }))
            }
        }
    };
}

/// The attributes a set or an update may carry; unset ones are not sent.
#[derive(Debug, Default)]
struct Attributes {
    content_type: Option<String>,
    tags: Option<HashMap<String, String>>,
    enabled: Option<bool>,
    not_before: Option<OffsetDateTime>,
    expires_on: Option<OffsetDateTime>,
}

impl Attributes {
    /// The `attributes` object of the body.
    fn wire(&self) -> WireAttributes {
        WireAttributes {
            enabled: self.enabled,
            nbf: self.not_before,
            exp: self.expires_on,
            ..Default::default()
        }
    }
}

/// The setters of a secret's attributes, shared by `set_secret` and
/// `update_secret_properties`.
macro_rules! attribute_setters {
    () => {
        /// Sets the content type (at most 255 characters), e.g. `text/plain`.
        pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
            self.attributes.content_type = Some(content_type.into());
            self
        }
        /// Adds one tag.
        pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.attributes
                .tags
                .get_or_insert_with(HashMap::new)
                .insert(name.into(), value.into());
            self
        }
        /// Sets all the tags.
        pub fn tags(mut self, tags: HashMap<String, String>) -> Self {
            self.attributes.tags = Some(tags);
            self
        }
        /// Sets whether the secret is enabled.
        pub fn enabled(mut self, enabled: bool) -> Self {
            self.attributes.enabled = Some(enabled);
            self
        }
        /// Not valid before this time.
        pub fn not_before(mut self, at: OffsetDateTime) -> Self {
            self.attributes.not_before = Some(at);
            self
        }
        /// Not valid after this time.
        pub fn expires_on(mut self, at: OffsetDateTime) -> Self {
            self.attributes.expires_on = Some(at);
            self
        }
    };
}

fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value)
        .map_err(|e| Error::invalid_input(format!("could not encode the request: {e}")))
}

/// Sends a request without a body to `segments`, with the caller's headers.
async fn send_without_body(
    client: &SecretClient,
    options: &mut CallOptions,
    method: Method,
    segments: &[&str],
    span: &Span,
) -> Result<HttpResponse, Error> {
    let headers = options.take_headers()?;
    let url = client.url(segments, &[]);
    client.send(method, url, headers, None, span).await
}

/// [`SecretClient::get_secret`]: the latest version, or the one set with
/// [`version`](Self::version).
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct GetSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    version: &'a str,
    out_content_type: Option<&'a str>,
    options: CallOptions,
}

impl<'a> GetSecret<'a> {
    /// A given version (empty means the latest).
    pub fn version(mut self, version: &'a str) -> Self {
        self.version = version;
        self
    }
    /// Asks the service to convert a certificate-backed secret
    /// (`application/x-pem-file` or `application/x-pkcs12`; 2025-07-01 and later).
    pub fn out_content_type(mut self, content_type: &'a str) -> Self {
        self.out_content_type = Some(content_type);
        self
    }
    fn span(&self) -> Span {
        operation_span!("SecretClient.get_secret", self.client, "GET")
    }
    async fn execute(mut self, span: Span) -> Result<Response<KeyVaultSecret>, Error> {
        validate::secret_name(self.name)?;
        validate::version(self.version)?;
        let headers = self.options.take_headers()?;
        let pair;
        let query: &[(&str, &str)] = match self.out_content_type {
            Some(content_type) => {
                pair = [("outContentType", content_type)];
                &pair
            }
            None => &[],
        };
        let client = self.client;
        let url = client.url(&["secrets", self.name, self.version], query);
        let response = client.send(Method::GET, url, headers, None, &span).await?;
        read_with(response, |b| b.into_secret_in(client.origin()))
    }
}
request_value!(GetSecret, KeyVaultSecret);

/// [`SecretClient::set_secret`]: unset options are not sent.
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct SetSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    value: &'a str,
    attributes: Attributes,
    options: CallOptions,
}

impl SetSecret<'_> {
    attribute_setters!();
    fn span(&self) -> Span {
        operation_span!("SecretClient.set_secret", self.client, "PUT")
    }
    async fn execute(mut self, span: Span) -> Result<Response<KeyVaultSecret>, Error> {
        validate::secret_name(self.name)?;
        validate::secret_value(self.value)?;
        let headers = self.options.take_headers()?;
        let body = to_json(&SetBody {
            value: self.value,
            content_type: self.attributes.content_type.as_deref(),
            tags: self.attributes.tags.as_ref(),
            attributes: self.attributes.wire(),
        })?;
        let client = self.client;
        let url = client.url(&["secrets", self.name], &[]);
        let response = client
            .send(Method::PUT, url, headers, Some(body), &span)
            .await?;
        read_with(response, |b| b.into_secret_in(client.origin()))
    }
}
request_value!(SetSecret, KeyVaultSecret);

/// [`SecretClient::update_secret_properties`]: unset options are left
/// unchanged by the service; the value cannot change.
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateSecretProperties<'a> {
    client: &'a SecretClient,
    name: &'a str,
    version: &'a str,
    attributes: Attributes,
    options: CallOptions,
}

impl<'a> UpdateSecretProperties<'a> {
    /// A given version (the latest by default).
    pub fn version(mut self, version: &'a str) -> Self {
        self.version = version;
        self
    }
    attribute_setters!();
    fn span(&self) -> Span {
        operation_span!(
            "SecretClient.update_secret_properties",
            self.client,
            "PATCH"
        )
    }
    async fn execute(mut self, span: Span) -> Result<Response<SecretProperties>, Error> {
        validate::secret_name(self.name)?;
        validate::version(self.version)?;
        let headers = self.options.take_headers()?;
        let body = to_json(&UpdateBody {
            content_type: self.attributes.content_type.as_deref(),
            attributes: self.attributes.wire(),
            tags: self.attributes.tags.as_ref(),
        })?;
        let client = self.client;
        let url = client.url(&["secrets", self.name, self.version], &[]);
        let response = client
            .send(Method::PATCH, url, headers, Some(body), &span)
            .await?;
        read_with(response, |b| b.properties_in(client.origin()))
    }
}
request_value!(UpdateSecretProperties, SecretProperties);

/// [`SecretClient::begin_delete_secret`]: sends the delete and gives a
/// [`Poller`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct BeginDeleteSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    options: CallOptions,
}

impl BeginDeleteSecret<'_> {
    fn span(&self) -> Span {
        operation_span!("SecretClient.begin_delete_secret", self.client, "DELETE")
    }
    async fn execute(mut self, span: Span) -> Result<Response<Poller<DeletedSecret>>, Error> {
        validate::secret_name(self.name)?;
        let (client, name) = (self.client, self.name);
        let segments = ["secrets", name];
        let response =
            send_without_body(client, &mut self.options, Method::DELETE, &segments, &span).await?;
        read_with(response, |b| {
            let deleted = b.into_deleted()?;
            Ok(Poller::deleting(client.clone(), name, deleted))
        })
    }
}
request_value!(BeginDeleteSecret, Poller<DeletedSecret>);

/// [`SecretClient::begin_recover_deleted_secret`]: as the JavaScript
/// client, first reads the secret; if it exists the recovery is already
/// complete and nothing else is sent, else it sends the recover and gives a
/// [`Poller`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct BeginRecoverDeletedSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    options: CallOptions,
}

impl BeginRecoverDeletedSecret<'_> {
    fn span(&self) -> Span {
        operation_span!(
            "SecretClient.begin_recover_deleted_secret",
            self.client,
            "POST"
        )
    }
    async fn execute(mut self, span: Span) -> Result<Response<Poller<SecretProperties>>, Error> {
        validate::secret_name(self.name)?;
        let headers = self.options.take_headers()?;
        let (client, name) = (self.client, self.name);
        let url = client.url(&["secrets", name, ""], &[]);
        // Any failure of the read (404 above all) means: recover it.
        let existing = client
            .send(Method::GET, url, headers.clone(), None, &span)
            .await;
        if let Ok(response) = existing
            && response.status.as_u16() == 200
        {
            return read_with(response, |b| {
                let properties = b.properties_in(client.origin())?;
                Ok(Poller::recovered(client.clone(), name, properties))
            });
        }
        let url = client.url(&["deletedsecrets", name, "recover"], &[]);
        let response = client.send(Method::POST, url, headers, None, &span).await?;
        read_with(response, |b| {
            let properties = b.properties_in(client.origin())?;
            Ok(Poller::recovering(client.clone(), name, properties))
        })
    }
}
request_value!(BeginRecoverDeletedSecret, Poller<SecretProperties>);

/// [`SecretClient::get_deleted_secret`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct GetDeletedSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    options: CallOptions,
}

impl GetDeletedSecret<'_> {
    fn span(&self) -> Span {
        operation_span!("SecretClient.get_deleted_secret", self.client, "GET")
    }
    async fn execute(mut self, span: Span) -> Result<Response<DeletedSecret>, Error> {
        validate::secret_name(self.name)?;
        let segments = ["deletedsecrets", self.name];
        let response = send_without_body(
            self.client,
            &mut self.options,
            Method::GET,
            &segments,
            &span,
        )
        .await?;
        read_with(response, WireBundle::into_deleted)
    }
}
request_value!(GetDeletedSecret, DeletedSecret);

/// [`SecretClient::purge_deleted_secret`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct PurgeDeletedSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    options: CallOptions,
}

impl PurgeDeletedSecret<'_> {
    fn span(&self) -> Span {
        operation_span!("SecretClient.purge_deleted_secret", self.client, "DELETE")
    }
    async fn execute(mut self, span: Span) -> Result<Response<()>, Error> {
        validate::secret_name(self.name)?;
        let segments = ["deletedsecrets", self.name];
        let response = send_without_body(
            self.client,
            &mut self.options,
            Method::DELETE,
            &segments,
            &span,
        )
        .await?;
        if response.status.as_u16() == 204 {
            Ok(Response::new((), StatusCode::NO_CONTENT, response.headers))
        } else {
            Err(service_error(&response))
        }
    }
}
request_value!(PurgeDeletedSecret, ());

/// [`SecretClient::backup_secret`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct BackupSecret<'a> {
    client: &'a SecretClient,
    name: &'a str,
    options: CallOptions,
}

impl BackupSecret<'_> {
    fn span(&self) -> Span {
        operation_span!("SecretClient.backup_secret", self.client, "POST")
    }
    async fn execute(mut self, span: Span) -> Result<Response<Vec<u8>>, Error> {
        validate::secret_name(self.name)?;
        let segments = ["secrets", self.name, "backup"];
        let response = send_without_body(
            self.client,
            &mut self.options,
            Method::POST,
            &segments,
            &span,
        )
        .await?;
        let blob = read_json::<WireBlob>(&response)?;
        let request_id = || response.request_id().map(str::to_owned);
        let text = blob
            .value
            .ok_or_else(|| malformed(StatusCode::OK, request_id(), "the backup has no 'value'"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| {
                malformed(
                    StatusCode::OK,
                    request_id(),
                    format!("the backup is not base64url: {e}"),
                )
            })?;
        Ok(Response::new(bytes, StatusCode::OK, response.headers))
    }
}
request_value!(BackupSecret, Vec<u8>);

/// [`SecretClient::restore_secret_backup`].
///
/// # Errors
/// Awaiting it fails as every operation does: see [`SecretClient`'s errors](crate::SecretClient#errors).
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct RestoreSecretBackup<'a> {
    client: &'a SecretClient,
    backup: &'a [u8],
    options: CallOptions,
}

impl RestoreSecretBackup<'_> {
    fn span(&self) -> Span {
        operation_span!("SecretClient.restore_secret_backup", self.client, "POST")
    }
    async fn execute(mut self, span: Span) -> Result<Response<SecretProperties>, Error> {
        if self.backup.is_empty() {
            return Err(Error::invalid_input("the backup blob is empty"));
        }
        let headers = self.options.take_headers()?;
        let body = to_json(&WireBlob {
            value: Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.backup)),
        })?;
        let client = self.client;
        let url = client.url(&["secrets", "restore"], &[]);
        let response = client
            .send(Method::POST, url, headers, Some(body), &span)
            .await?;
        read_with(response, |b| b.properties_in(client.origin()))
    }
}
request_value!(RestoreSecretBackup, SecretProperties);

/// [`SecretClient::send_request`]: any request to the vault through the
/// client's pipeline. The response comes back whatever its status.
///
/// # Errors
/// Awaiting it fails only when no response came (see [`SecretClient`'s errors](crate::SecretClient#errors)): an error status is returned as a response.
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct SendRequest<'a> {
    client: &'a SecretClient,
    method: Method,
    path_and_query: &'a str,
    body: Option<Vec<u8>>,
    options: CallOptions,
}

impl SendRequest<'_> {
    /// A JSON body (sent with `Content-Type: application/json`).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
    fn span(&self) -> Span {
        operation_span!("SecretClient.send_request", self.client, self.method)
    }
    async fn execute(mut self, span: Span) -> Result<Response<HttpResponse>, Error> {
        let headers = self.options.take_headers()?;
        let url = self.client.url_for_path(self.path_and_query)?;
        let response = self
            .client
            .send(self.method, url, headers, self.body, &span)
            .await?;
        let (status, headers) = (response.status, response.headers.clone());
        Ok(Response::new(response, status, headers))
    }
}
request_value!(SendRequest, HttpResponse);

impl SecretClient {
    /// Gets a secret: the latest version (`GET /secrets/{name}/`), or the
    /// one given with [`GetSecret::version`].
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_secrets::SecretClient, v1: String) -> Result<(), keyvault_secrets::Error> {
    /// let secret = client.get_secret("db-password").await?;
    /// let old = client.get_secret("db-password").version(&v1).await?;
    /// # Ok(()) }
    /// ```
    pub fn get_secret<'a>(&'a self, name: &'a str) -> GetSecret<'a> {
        GetSecret {
            client: self,
            name,
            version: "",
            out_content_type: None,
            options: CallOptions::default(),
        }
    }

    /// Creates a secret, or a new version of an existing one (`PUT /secrets/{name}`).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_secrets::SecretClient, when: time::OffsetDateTime) -> Result<(), keyvault_secrets::Error> {
    /// let set = client
    ///     .set_secret("db-password", "hunter2")
    ///     .content_type("text/plain")
    ///     .tag("env", "prod")
    ///     .expires_on(when)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_secret<'a>(&'a self, name: &'a str, value: &'a str) -> SetSecret<'a> {
        SetSecret {
            client: self,
            name,
            value,
            attributes: Attributes::default(),
            options: CallOptions::default(),
        }
    }

    /// Updates a version's properties (`PATCH /secrets/{name}/{version}`,
    /// the latest unless [`UpdateSecretProperties::version`] is given).
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_secrets::SecretClient, v1: String) -> Result<(), keyvault_secrets::Error> {
    /// let props = client.update_secret_properties("db-password").version(&v1).enabled(false).await?;
    /// # Ok(()) }
    /// ```
    pub fn update_secret_properties<'a>(&'a self, name: &'a str) -> UpdateSecretProperties<'a> {
        UpdateSecretProperties {
            client: self,
            name,
            version: "",
            attributes: Attributes::default(),
            options: CallOptions::default(),
        }
    }

    /// Deletes a secret (`DELETE /secrets/{name}`) and gives a [`Poller`]
    /// that waits until the deletion shows in `/deletedsecrets`.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets::Error> {
    /// let deleted = client.begin_delete_secret("db-password").await?.await?;
    /// # Ok(()) }
    /// ```
    pub fn begin_delete_secret<'a>(&'a self, name: &'a str) -> BeginDeleteSecret<'a> {
        BeginDeleteSecret {
            client: self,
            name,
            options: CallOptions::default(),
        }
    }

    /// Recovers a soft-deleted secret and gives a [`Poller`] that waits
    /// until `GET /secrets/{name}/` finds it. Idempotent: if the secret
    /// already exists, nothing is recovered and the poller is done.
    pub fn begin_recover_deleted_secret<'a>(
        &'a self,
        name: &'a str,
    ) -> BeginRecoverDeletedSecret<'a> {
        BeginRecoverDeletedSecret {
            client: self,
            name,
            options: CallOptions::default(),
        }
    }

    /// Gets a soft-deleted secret (`GET /deletedsecrets/{name}`).
    pub fn get_deleted_secret<'a>(&'a self, name: &'a str) -> GetDeletedSecret<'a> {
        GetDeletedSecret {
            client: self,
            name,
            options: CallOptions::default(),
        }
    }

    /// Permanently deletes a soft-deleted secret (`DELETE /deletedsecrets/{name}`, 204).
    pub fn purge_deleted_secret<'a>(&'a self, name: &'a str) -> PurgeDeletedSecret<'a> {
        PurgeDeletedSecret {
            client: self,
            name,
            options: CallOptions::default(),
        }
    }

    /// Backs up every version of a secret (`POST /secrets/{name}/backup`);
    /// the blob is opaque and can only be restored into a vault.
    pub fn backup_secret<'a>(&'a self, name: &'a str) -> BackupSecret<'a> {
        BackupSecret {
            client: self,
            name,
            options: CallOptions::default(),
        }
    }

    /// Restores a backup (`POST /secrets/restore`).
    pub fn restore_secret_backup<'a>(&'a self, backup: &'a [u8]) -> RestoreSecretBackup<'a> {
        RestoreSecretBackup {
            client: self,
            backup,
            options: CallOptions::default(),
        }
    }

    /// Sends any request to the vault through the client's pipeline
    /// (challenge authentication, retries, policies, tracing), for an
    /// operation this crate does not model yet. `path_and_query` is
    /// relative to the vault URL; `api-version` is added unless present.
    /// The response comes back whatever its status.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets::Error> {
    /// use keyvault_secrets::Method;
    /// let response = client.send_request(Method::GET, "secrets?maxresults=1").await?;
    /// println!("HTTP {}", response.status);
    /// # Ok(()) }
    /// ```
    pub fn send_request<'a>(&'a self, method: Method, path_and_query: &'a str) -> SendRequest<'a> {
        SendRequest {
            client: self,
            method,
            path_and_query,
            body: None,
            options: CallOptions::default(),
        }
    }
}
