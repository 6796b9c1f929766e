//! [`DeviceCodeCredential`]: sign in on another device with a short code,
//! for machines without a browser (SSH sessions, containers).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credential_core::__private::entra::Seconds;
use credential_core::{CredentialError, StatusCode};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::cancel::{Cancellation, cancelled};
use crate::client::{oauth_error, restate};
use crate::grant::{GrantResponse, parse_grant_response};
use crate::options::{CommonOptions, SignIn, common_builder_methods, sign_in_builder_methods};
use crate::public::PublicClient;

const NAME: &str = credential_core::__private::credential_names::DEVICE_CODE;

/// The device-code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How much longer to wait between polls after `slow_down`.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// What the user needs to sign in: shown through the credential's prompt
/// callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodeInfo {
    /// The code to type at [`verification_uri`](Self::verification_uri).
    pub user_code: String,
    /// The page where the user signs in, e.g. `https://microsoft.com/devicelogin`.
    pub verification_uri: String,
    /// The sentence Entra ID suggests showing, naming the page and the code.
    pub message: String,
    /// When the code stops working.
    pub expires_on: OffsetDateTime,
}

type PromptCallback = Arc<dyn Fn(&DeviceCodeInfo) + Send + Sync>;

/// Signs a user in with the device code flow: asks Entra ID for a code,
/// shows the user where to enter it (by default on standard error), and
/// polls until the user has signed in on any device. Later tokens (other
/// scopes, after expiry) come silently from the refresh token.
///
/// Defaults, as the reference SDKs: tenant `organizations`, the Azure
/// developer sign-on client id, scopes plus `offline_access openid profile`.
///
/// ```no_run
/// use credential_interactive::DeviceCodeCredential;
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_core::CredentialError> {
/// let credential = DeviceCodeCredential::builder()
///     .with_prompt_callback(|info| eprintln!("{}", info.message))
///     .build()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DeviceCodeCredential {
    /// Shared by clones, with its token cache and accounts.
    public: Arc<PublicClient>,
    prompt_callback: PromptCallback,
    cancellation: Option<Cancellation>,
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeCredential {
    /// A credential with the defaults.
    ///
    /// # Errors
    /// As [`DeviceCodeCredentialBuilder::build`] (never with the defaults).
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> DeviceCodeCredentialBuilder {
        DeviceCodeCredentialBuilder {
            common: CommonOptions::default(),
            sign_in: SignIn::default(),
            prompt_callback: None,
            cancellation: None,
        }
    }

    async fn sign_in(
        &self,
        tenant: String,
        scope: String,
    ) -> Result<GrantResponse, CredentialError> {
        let client = &self.public.client;
        let fields = [("client_id", client.client_id.as_str()), ("scope", &scope)];
        let requested_at = client.context.clock.now();
        let response = client
            .post_form(client.endpoint(&tenant, "devicecode"), &fields)
            .await?;
        let code = response.tag_error(parse_device_code(
            response.status.as_u16(),
            &response.body,
            requested_at,
        ))?;
        (self.prompt_callback)(&code.info);
        self.poll(&tenant, &code).await
    }

    /// Polls the token endpoint at the server's interval until the user
    /// signs in, declines, the code expires, or the caller cancels.
    async fn poll(
        &self,
        tenant: &str,
        code: &DeviceCode,
    ) -> Result<GrantResponse, CredentialError> {
        let mut interval = code.interval;
        let mut waited = Duration::ZERO;
        loop {
            if waited >= code.lifetime {
                return Err(expired(None));
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = cancelled(self.cancellation.as_ref()) => return Err(cancelled_error()),
            }
            waited = waited.saturating_add(interval);
            let fields = [
                ("grant_type", DEVICE_CODE_GRANT),
                ("device_code", code.device_code.as_str()),
            ];
            match self.public.redeem(tenant, &fields).await {
                Ok(grant) => return Ok(grant),
                Err(error) => match oauth_error(&error) {
                    Some("authorization_pending") => {}
                    Some("slow_down") => interval = interval.saturating_add(SLOW_DOWN_STEP),
                    Some("authorization_declined") => {
                        return Err(restate(
                            error,
                            "the user declined the sign-in at the verification page",
                        ));
                    }
                    Some("expired_token") => return Err(expired(Some(error))),
                    Some("bad_verification_code") => {
                        return Err(restate(
                            error,
                            "the token endpoint does not know this device code (bad_verification_code); sign in again",
                        ));
                    }
                    _ => return Err(error),
                },
            }
        }
    }
}

fn expired(error: Option<CredentialError>) -> CredentialError {
    const MESSAGE: &str =
        "the device code expired before the user signed in; call again to get a new code";
    match error {
        Some(error) => restate(error, MESSAGE),
        None => CredentialError::refused(NAME, None, MESSAGE)
            .with_codes(Some("expired_token".to_owned()), None),
    }
}

fn cancelled_error() -> CredentialError {
    CredentialError::authentication(NAME, "the sign-in was cancelled by the caller")
}

crate::public::sign_in_credential!(DeviceCodeCredential);

/// A device code answer.
#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    device_code: String,
    info: DeviceCodeInfo,
    interval: Duration,
    lifetime: Duration,
}

#[derive(Deserialize)]
struct DeviceCodeBody {
    device_code: Option<String>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    verification_url: Option<String>,
    message: Option<String>,
    expires_in: Option<Seconds>,
    interval: Option<Seconds>,
}

/// Parses the device code endpoint's answer (pure). Without `interval` the
/// client polls every 5 s (RFC 8628); without `expires_in` the code lives
/// 15 minutes.
pub(crate) fn parse_device_code(
    status: u16,
    body: &[u8],
    requested_at: OffsetDateTime,
) -> Result<DeviceCode, CredentialError> {
    if !(200..300).contains(&status) {
        return Err(
            match parse_grant_response(NAME, status, body, requested_at) {
                Err(error) => error,
                Ok(_) => CredentialError::unexpected_response(
                    NAME,
                    StatusCode::from_u16(status).ok(),
                    "unexpected status",
                ),
            },
        );
    }
    let bad = |what: &str| {
        CredentialError::unexpected_response(
            NAME,
            StatusCode::from_u16(status).ok(),
            what.to_owned(),
        )
    };
    let parsed: DeviceCodeBody = serde_json::from_slice(body).map_err(|e| {
        bad(&format!(
            "the device code answer is not the expected JSON ({e})"
        ))
    })?;
    let device_code = parsed
        .device_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| bad("the device code answer has no device_code"))?;
    let user_code = parsed
        .user_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| bad("the device code answer has no user_code"))?;
    let verification_uri = parsed
        .verification_uri
        .or(parsed.verification_url)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| bad("the device code answer has no verification_uri"))?;
    let seconds = |s: Option<Seconds>, default: u64| {
        s.and_then(|s| s.value())
            .map_or(default, |v| u64::try_from(v).unwrap_or(default))
    };
    let lifetime = Duration::from_secs(seconds(parsed.expires_in, 900));
    let interval = Duration::from_secs(seconds(parsed.interval, 5));
    let message = parsed.message.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
    });
    Ok(DeviceCode {
        device_code,
        info: DeviceCodeInfo {
            user_code,
            verification_uri,
            message,
            expires_on: requested_at.saturating_add(time::Duration::seconds(
                i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
            )),
        },
        interval,
        lifetime,
    })
}

/// Builds a [`DeviceCodeCredential`].
pub struct DeviceCodeCredentialBuilder {
    common: CommonOptions,
    sign_in: SignIn,
    prompt_callback: Option<PromptCallback>,
    cancellation: Option<Cancellation>,
}

impl fmt::Debug for DeviceCodeCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeCredentialBuilder")
            .field("common", &self.common)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeCredentialBuilder {
    common_builder_methods!();
    sign_in_builder_methods!();

    /// Shows the user the code (default: its message on standard error).
    pub fn with_prompt_callback(
        mut self,
        callback: impl Fn(&DeviceCodeInfo) + Send + Sync + 'static,
    ) -> Self {
        self.prompt_callback = Some(Arc::new(callback));
        self
    }

    /// Stops a sign-in that is waiting for the user when `cancellation` fires.
    pub fn with_cancellation(mut self, cancellation: Cancellation) -> Self {
        self.cancellation = Some(cancellation);
        self
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a malformed tenant or client
    /// id, a bad authority host, or an authentication record for another tenant
    /// or client, naming the input and the fix.
    pub fn build(self) -> Result<DeviceCodeCredential, CredentialError> {
        let public = PublicClient::for_sign_in(
            NAME,
            &self.common,
            self.sign_in,
            "call DeviceCodeCredential::authenticate",
        )?;
        Ok(DeviceCodeCredential {
            public: Arc::new(public),
            prompt_callback: self
                .prompt_callback
                .unwrap_or_else(|| Arc::new(|info: &DeviceCodeInfo| eprintln!("{}", info.message))),
            cancellation: self.cancellation,
        })
    }
}
