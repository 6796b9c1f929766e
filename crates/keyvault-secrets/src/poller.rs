//! [`Poller`]: waits for a delete or a recover. The service has no
//! operation resource, so it polls the target collection until the secret
//! shows up there.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::SecretClient;
use crate::error::Error;
use crate::models::{DeletedSecret, SecretProperties};
use crate::validate;

mod sealed {
    use super::*;

    /// What a poller polls for; implemented for [`DeletedSecret`] (delete)
    /// and [`SecretProperties`] (recover) only.
    pub trait Target: Sized + Send + Sync + 'static {
        /// The operation's name in resume tokens.
        const OPERATION: &'static str;
        /// One poll: `Ok(Some)` when done, `Ok(None)` while in progress
        /// (404); a 403 is an error the poller reads as "done".
        fn poll_once(
            client: &SecretClient,
            name: &str,
        ) -> impl Future<Output = Result<Option<Self>, Error>> + Send;
    }
}

/// The result of a long-running operation: [`DeletedSecret`] for a
/// delete, [`SecretProperties`] for a recover.
pub trait PollResult: sealed::Target {}

impl sealed::Target for DeletedSecret {
    const OPERATION: &'static str = "delete";
    async fn poll_once(client: &SecretClient, name: &str) -> Result<Option<Self>, Error> {
        in_progress_on_404(client.get_deleted_secret(name).await)
    }
}
impl PollResult for DeletedSecret {}

impl sealed::Target for SecretProperties {
    const OPERATION: &'static str = "recover";
    async fn poll_once(client: &SecretClient, name: &str) -> Result<Option<Self>, Error> {
        in_progress_on_404(client.get_secret(name).await.map(|s| s.properties))
    }
}
impl PollResult for SecretProperties {}

fn in_progress_on_404<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a resume token holds.
#[derive(Serialize, Deserialize)]
struct Token {
    operation: String,
    vault: String,
    name: String,
}

/// Waits for a delete ([`SecretClient::begin_delete_secret`], result
/// [`DeletedSecret`]) or a recover
/// ([`SecretClient::begin_recover_deleted_secret`], result
/// [`SecretProperties`]).
///
/// - `.await` it to wait until done (polling every
///   [`interval`](Self::interval), within an optional
///   [`timeout`](Self::timeout));
/// - or [`poll`](Self::poll) one step at a time and check
///   [`is_done`](Self::is_done);
/// - [`resume_token`](Self::resume_token) lets another process continue
///   waiting with [`SecretClient::resume_delete_secret`] or
///   [`SecretClient::resume_recover_deleted_secret`].
///
/// A delete polls `GET /deletedsecrets/{name}`, a recover
/// `GET /secrets/{name}/`: 404 means in progress, 200 done, and 403 (no
/// permission to read) done as well. A delete on a vault without soft
/// delete is done at once. Dropping the poller stops the waiting, not the
/// operation (the service cannot cancel it).
///
/// ```no_run
/// # async fn f(client: keyvault_secrets::SecretClient) -> Result<(), keyvault_secrets::Error> {
/// use std::time::Duration;
/// let mut poller = client.begin_delete_secret("db-password").await?;
/// let token = poller.resume_token(); // keep it to resume after a restart
/// while !poller.poll().await? {
///     tokio::time::sleep(Duration::from_secs(1)).await;
/// }
/// // Elsewhere, later:
/// let deleted = client
///     .resume_delete_secret(&token)?
///     .interval(Duration::from_millis(500))
///     .timeout(Duration::from_secs(60))
///     .await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// Awaiting it (or [`wait`](Self::wait)) fails as [`wait`](Self::wait) says.
#[derive(Debug)]
#[must_use = "a poller does nothing until it is polled or awaited"]
pub struct Poller<T> {
    client: SecretClient,
    name: String,
    result: Option<T>,
    done: bool,
    /// Why an operation seen done has no result (a 403 on a resumed poller).
    unreadable: Option<Error>,
    interval: Duration,
    timeout: Option<Duration>,
}

impl<T: PollResult> Poller<T> {
    fn new(client: SecretClient, name: &str, result: Option<T>, done: bool) -> Self {
        let interval = client.poll_interval();
        Self {
            client,
            name: name.to_owned(),
            result,
            done,
            unreadable: None,
            interval,
            timeout: None,
        }
    }

    /// A poller from a resume token (see [`Self::resume_token`]).
    pub(crate) fn resume(client: &SecretClient, token: &str) -> Result<Self, Error> {
        let bad =
            |why: String| Error::invalid_input(format!("the resume token cannot be used: {why}"));
        let parsed: Token = serde_json::from_str(token)
            .map_err(|e| bad(format!("it is not a token from Poller::resume_token ({e})")))?;
        if parsed.operation != T::OPERATION {
            return Err(bad(format!(
                "it is for a {} operation; resume it with resume_{}",
                parsed.operation,
                if parsed.operation == "delete" {
                    "delete_secret"
                } else {
                    "recover_deleted_secret"
                }
            )));
        }
        if parsed.vault != client.vault_url().as_str() {
            return Err(bad(format!(
                "it is for vault {}, not this client's {}",
                parsed.vault,
                client.vault_url()
            )));
        }
        validate::secret_name(&parsed.name)?;
        Ok(Self::new(client.clone(), &parsed.name, None, false))
    }

    /// Whether the operation has finished.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The latest result: the service's answer to the operation, then to
    /// the last poll; `None` on a resumed poller until a poll reads it.
    pub fn result(&self) -> Option<&T> {
        self.result.as_ref()
    }

    /// The secret's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interval between polls when awaited (the client's, 2 s by default).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// A limit for the waiting when awaited; past it the await fails with a
    /// [`Transport`](crate::Error::Transport) error of kind `Timeout` (the
    /// operation goes on in the service).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A token from which [`SecretClient::resume_delete_secret`] or
    /// [`SecretClient::resume_recover_deleted_secret`] continues waiting,
    /// in this process or another. It holds the operation, the vault URL
    /// and the secret's name; no secret.
    pub fn resume_token(&self) -> String {
        let token = Token {
            operation: T::OPERATION.to_owned(),
            vault: self.client.vault_url().to_string(),
            name: self.name.clone(),
        };
        serde_json::to_string(&token).unwrap_or_default()
    }

    /// Polls once (no request when already done); returns whether the
    /// operation has finished.
    ///
    /// # Errors
    /// The operation's errors (see [`SecretClient`'s errors](crate::SecretClient#errors)),
    /// except `403 Forbidden`, which ends the polling (the identity may not read
    /// the result).
    pub async fn poll(&mut self) -> Result<bool, Error> {
        if self.done {
            return Ok(true);
        }
        match T::poll_once(&self.client, &self.name).await {
            Ok(Some(result)) => {
                self.result = Some(result);
                self.done = true;
            }
            Ok(None) => {}
            // No permission to read: it can't be observed; treat it as done.
            Err(e) if e.is_forbidden() => {
                self.done = true;
                if self.result.is_none() {
                    self.unreadable = Some(e);
                }
            }
            Err(e) => return Err(e),
        }
        Ok(self.done)
    }

    /// Polls until done, sleeping the interval between polls, and returns
    /// the final result (the same as `.await`).
    ///
    /// # Errors
    /// A poll's error (see [`poll`](Self::poll)); a [`Error::Transport`] of
    /// kind `Timeout` past the poller's timeout; the `403 Forbidden` that ended the
    /// polling when no result was read.
    pub async fn wait(mut self) -> Result<T, Error> {
        let timeout = self.timeout;
        let polling = async {
            while !self.poll().await? {
                tokio::time::sleep(self.interval).await;
            }
            Ok::<(), Error>(())
        };
        match timeout {
            None => polling.await?,
            Some(limit) => tokio::time::timeout(limit, polling)
                .await
                .map_err(|_| Error::timed_out(limit))??,
        }
        match (self.result, self.unreadable) {
            (Some(result), _) => Ok(result),
            (None, Some(e)) => Err(e),
            (None, None) => Err(Error::invalid_input(
                "the operation finished without a result",
            )),
        }
    }
}

impl Poller<DeletedSecret> {
    /// After the delete: done at once when the vault has no soft delete
    /// (no `recovery_id`).
    pub(crate) fn deleting(client: SecretClient, name: &str, deleted: DeletedSecret) -> Self {
        let done = deleted.recovery_id.is_none();
        Self::new(client, name, Some(deleted), done)
    }
}

impl Poller<SecretProperties> {
    /// After the recover was sent.
    pub(crate) fn recovering(client: SecretClient, name: &str, props: SecretProperties) -> Self {
        Self::new(client, name, Some(props), false)
    }

    /// The secret already existed: nothing to recover.
    pub(crate) fn recovered(client: SecretClient, name: &str, props: SecretProperties) -> Self {
        Self::new(client, name, Some(props), true)
    }
}

impl<T: PollResult> IntoFuture for Poller<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

impl SecretClient {
    /// Continues waiting for a delete from a [`Poller::resume_token`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a token that is not a delete poller's token of
    /// this client's vault.
    pub fn resume_delete_secret(&self, token: &str) -> Result<Poller<DeletedSecret>, Error> {
        Poller::resume(self, token)
    }

    /// Continues waiting for a recover from a [`Poller::resume_token`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a token that is not a recover poller's token of
    /// this client's vault.
    pub fn resume_recover_deleted_secret(
        &self,
        token: &str,
    ) -> Result<Poller<SecretProperties>, Error> {
        Poller::resume(self, token)
    }
}
