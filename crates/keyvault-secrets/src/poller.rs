//! Pollers for delete and recover: the service has no operation resource,
//! so they poll the target collection until the secret shows up there.

use std::time::Duration;

use reqwest::Method;

use crate::client::SecretClient;
use crate::error::Error;
use crate::models::{DeletedSecret, SecretProperties, WireBundle, malformed};
use crate::pipeline::service_error;

struct PollState {
    client: SecretClient,
    name: String,
    done: bool,
    interval: Duration,
}

impl PollState {
    /// One poll of `segments`: `Ok(None)` while in progress (404),
    /// `Ok(Some(bundle))` when done (200 with the bundle, or 403 without one).
    async fn poll(&mut self, segments: &[&str]) -> Result<Option<Option<WireBundle>>, Error> {
        if self.done {
            return Ok(Some(None));
        }
        let url = self.client.url(segments, &[]);
        let response = self.client.send(Method::GET, url, None).await?;
        match response.status.as_u16() {
            404 => Ok(None),
            // No permission to read: the operation can't be observed; treat it as done.
            403 => {
                self.done = true;
                Ok(Some(None))
            }
            200 => {
                let bundle = serde_json::from_slice::<WireBundle>(&response.body).map_err(|e| {
                    malformed(
                        200,
                        response.header("x-ms-request-id").map(str::to_owned),
                        format!("the body is not the expected JSON: {e}"),
                    )
                })?;
                self.done = true;
                Ok(Some(Some(bundle)))
            }
            _ => Err(service_error(&response)),
        }
    }
}

macro_rules! poller_common {
    ($ty:ident, $out:ty) => {
        impl $ty {
            /// Whether the operation has finished.
            pub fn is_done(&self) -> bool {
                self.state.done
            }

            /// The latest result.
            pub fn result(&self) -> &$out {
                &self.result
            }

            /// The secret's name.
            pub fn name(&self) -> &str {
                &self.state.name
            }

            /// Changes the interval between polls for [`Self::wait`].
            pub fn with_interval(mut self, interval: Duration) -> Self {
                self.state.interval = interval;
                self
            }

            /// Polls until done, sleeping the interval between polls, and
            /// returns the final result. Dropping the future cancels the
            /// polling (not the operation itself, which the service can't cancel).
            pub async fn wait(mut self) -> Result<$out, Error> {
                while !self.poll().await? {
                    tokio::time::sleep(self.state.interval).await;
                }
                Ok(self.result)
            }
        }
    };
}

/// Waits for a deletion: polls `GET /deletedsecrets/{name}` (404 = in
/// progress, 200 or 403 = done). Done at once when the vault has no soft
/// delete (no `recovery_id`).
pub struct DeleteSecretPoller {
    state: PollState,
    result: DeletedSecret,
}

impl std::fmt::Debug for DeleteSecretPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeleteSecretPoller")
            .field("name", &self.state.name)
            .field("done", &self.state.done)
            .field("result", &self.result)
            .finish()
    }
}

impl DeleteSecretPoller {
    pub(crate) fn new(client: SecretClient, name: &str, result: DeletedSecret) -> Self {
        let interval = client.poll_interval();
        Self {
            state: PollState {
                client,
                name: name.to_owned(),
                done: result.recovery_id.is_none(),
                interval,
            },
            result,
        }
    }

    /// Polls once; returns whether the deletion is complete.
    pub async fn poll(&mut self) -> Result<bool, Error> {
        let name = self.state.name.clone();
        if let Some(Some(bundle)) = self.state.poll(&["deletedsecrets", &name]).await? {
            self.result = bundle.into_deleted().map_err(|m| malformed(200, None, m))?;
        }
        Ok(self.state.done)
    }
}

poller_common!(DeleteSecretPoller, DeletedSecret);

/// Waits for a recovery: polls `GET /secrets/{name}/` (404 = in progress,
/// 200 or 403 = done).
pub struct RecoverDeletedSecretPoller {
    state: PollState,
    result: SecretProperties,
}

impl std::fmt::Debug for RecoverDeletedSecretPoller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoverDeletedSecretPoller")
            .field("name", &self.state.name)
            .field("done", &self.state.done)
            .field("result", &self.result)
            .finish()
    }
}

impl RecoverDeletedSecretPoller {
    pub(crate) fn new(client: SecretClient, name: &str, result: SecretProperties) -> Self {
        let interval = client.poll_interval();
        Self {
            state: PollState {
                client,
                name: name.to_owned(),
                done: false,
                interval,
            },
            result,
        }
    }

    /// Polls once; returns whether the recovery is complete.
    pub async fn poll(&mut self) -> Result<bool, Error> {
        let name = self.state.name.clone();
        if let Some(Some(bundle)) = self.state.poll(&["secrets", &name, ""]).await? {
            self.result = bundle.properties().map_err(|m| malformed(200, None, m))?;
        }
        Ok(self.state.done)
    }
}

poller_common!(RecoverDeletedSecretPoller, SecretProperties);
