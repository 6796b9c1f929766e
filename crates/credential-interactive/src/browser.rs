//! [`InteractiveBrowserCredential`]: sign in in the system browser with the
//! authorization code flow and PKCE, redirected to a loopback listener.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use credential_core::CredentialError;
use credential_core::ProcessRequest;
use url::Url;

use crate::grant::GrantResponse;
use crate::loopback::RedirectListener;
use crate::options::{CommonOptions, SignIn, common_builder_methods, sign_in_builder_methods};
use crate::pkce::{Pkce, random_string};
use crate::public::PublicClient;

const NAME: &str = credential_core::__private::credential_names::INTERACTIVE_BROWSER;

/// How long the user has to finish signing in, unless set.
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// Signs a user in in the system browser: the authorization code flow with
/// PKCE (S256) and a random `state`, redirected to `http://localhost:PORT`
/// where a listener of this credential takes the code and shows the user a
/// short page. Later tokens come silently from the refresh token.
///
/// The browser is opened through the context's process runner, never a
/// shell, with the URL as one argument: `xdg-open` (Linux and others, which
/// honours `$BROWSER`), `open` (macOS), `rundll32 url.dll,FileProtocolHandler`
/// (Windows), or the program given to
/// [`with_browser_command`](InteractiveBrowserCredentialBuilder::with_browser_command).
///
/// ```no_run
/// use credential_interactive::InteractiveBrowserCredential;
/// use credential_core::{TokenCredential, TokenRequestOptions};
/// # async fn run() -> Result<(), credential_core::CredentialError> {
/// let credential = InteractiveBrowserCredential::builder()
///     .with_login_hint("alice@contoso.com")
///     .build()?;
/// let token = credential
///     .get_token(&["https://vault.azure.net/.default"], &TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct InteractiveBrowserCredential {
    /// Shared by clones, with its token cache and accounts.
    public: Arc<PublicClient>,
    options: BrowserOptions,
}

#[derive(Debug, Clone)]
struct BrowserOptions {
    redirect_port: Option<u16>,
    login_hint: Option<String>,
    prompt: String,
    domain_hint: Option<String>,
    timeout: Duration,
    browser: Option<PathBuf>,
}

impl fmt::Debug for InteractiveBrowserCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME)
            .field("public", &self.public)
            .field("options", &self.options)
            .finish()
    }
}

impl InteractiveBrowserCredential {
    /// A credential with the defaults.
    ///
    /// # Errors
    /// As [`InteractiveBrowserCredentialBuilder::build`] (never with the
    /// defaults).
    pub fn new() -> Result<Self, CredentialError> {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> InteractiveBrowserCredentialBuilder {
        InteractiveBrowserCredentialBuilder {
            common: CommonOptions::default(),
            sign_in: SignIn::default(),
            options: BrowserOptions {
                redirect_port: None,
                login_hint: None,
                prompt: "select_account".to_owned(),
                domain_hint: None,
                timeout: DEFAULT_SIGN_IN_TIMEOUT,
                browser: None,
            },
        }
    }

    async fn sign_in(
        &self,
        tenant: String,
        scope: String,
    ) -> Result<GrantResponse, CredentialError> {
        let listener = RedirectListener::bind(NAME, self.options.redirect_port).await?;
        let redirect_uri = listener.redirect_uri();
        let pkce = Pkce::new(NAME)?;
        let state = random_string(NAME, 16)?;
        let url = self.authorize_url(&tenant, &scope, &redirect_uri, &pkce, &state);
        let wait = listener.wait(NAME, &state);
        tokio::pin!(wait);
        let code = tokio::time::timeout(self.options.timeout, async {
            tokio::select! {
                result = &mut wait => return result,
                opened = self.open_browser(&url) => opened?,
            }
            wait.await
        })
        .await
        .map_err(|_| {
            CredentialError::authentication(
                NAME,
                format!(
                    "no sign-in completed in the browser within {} s; try again, or raise the limit with with_timeout",
                    self.options.timeout.as_secs()
                ),
            )
        })??;
        self.public
            .redeem(
                &tenant,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code.expose_secret()),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", pkce.verifier.expose_secret()),
                    ("scope", &scope),
                ],
            )
            .await
    }

    /// The authorize URL (pure).
    fn authorize_url(
        &self,
        tenant: &str,
        scope: &str,
        redirect_uri: &str,
        pkce: &Pkce,
        state: &str,
    ) -> Url {
        let mut url = self.public.client.endpoint(tenant, "authorize");
        let login_hint = self
            .options
            .login_hint
            .clone()
            .or_else(|| self.public.login_hint());
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.public.client.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", scope)
                .append_pair("state", state)
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("client_info", "1");
            if !self.options.prompt.is_empty() {
                query.append_pair("prompt", &self.options.prompt);
            }
            if let Some(hint) = &login_hint {
                query.append_pair("login_hint", hint);
            }
            if let Some(hint) = &self.options.domain_hint {
                query.append_pair("domain_hint", hint);
            }
        }
        url
    }

    /// Opens `url` in the browser, without a shell.
    async fn open_browser(&self, url: &Url) -> Result<(), CredentialError> {
        let (program, mut args) = match &self.options.browser {
            Some(program) => (program.clone(), Vec::new()),
            None => default_opener(),
        };
        args.push(url.to_string());
        let request = ProcessRequest::new(program.clone(), args);
        let failed = |why: String| {
            CredentialError::unavailable(
                NAME,
                format!(
                    "could not open a browser with {} ({why}); on a machine without a browser use \
                     DeviceCodeCredential, or name a browser with with_browser_command",
                    program.display()
                ),
            )
        };
        match self.public.client.context.process.run(request).await {
            Ok(output) if output.success() => Ok(()),
            Ok(output) => Err(failed(format!(
                "it exited with {}",
                output
                    .exit_code
                    .map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"))
            ))),
            Err(error) => Err(failed(error.to_string())),
        }
    }
}

/// The platform's URL opener and its arguments before the URL.
fn default_opener() -> (PathBuf, Vec<String>) {
    if cfg!(target_os = "macos") {
        ("open".into(), Vec::new())
    } else if cfg!(windows) {
        (
            "rundll32".into(),
            vec!["url.dll,FileProtocolHandler".to_owned()],
        )
    } else {
        ("xdg-open".into(), Vec::new())
    }
}

crate::public::sign_in_credential!(InteractiveBrowserCredential);

/// Builds an [`InteractiveBrowserCredential`].
#[derive(Debug)]
pub struct InteractiveBrowserCredentialBuilder {
    common: CommonOptions,
    sign_in: SignIn,
    options: BrowserOptions,
}

impl InteractiveBrowserCredentialBuilder {
    common_builder_methods!();
    sign_in_builder_methods!();

    /// The loopback port of the redirect `http://localhost:PORT` (default: a
    /// free port for each sign-in). Give one when the app registration
    /// lists a fixed redirect URI.
    pub fn with_redirect_port(mut self, port: u16) -> Self {
        self.options.redirect_port = Some(port);
        self
    }

    /// The account to suggest on the sign-in page.
    pub fn with_login_hint(mut self, login_hint: impl Into<String>) -> Self {
        self.options.login_hint = Some(login_hint.into());
        self
    }

    /// The `prompt` parameter (default `select_account`; also `login`,
    /// `consent`, `none`; empty to send none).
    pub fn with_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.options.prompt = prompt.into();
        self
    }

    /// The `domain_hint` parameter (e.g. `contoso.com`, `consumers`).
    pub fn with_domain_hint(mut self, domain_hint: impl Into<String>) -> Self {
        self.options.domain_hint = Some(domain_hint.into());
        self
    }

    /// How long the user has to finish signing in (default 5 minutes).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// The program that opens the URL (given as its only argument) instead
    /// of the platform's opener.
    pub fn with_browser_command(mut self, program: impl Into<PathBuf>) -> Self {
        self.options.browser = Some(program.into());
        self
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`CredentialError::InvalidConfiguration`] for a malformed tenant or client
    /// id, a bad redirect URI or authority host, or an authentication record
    /// for another tenant or client, naming the input and the fix.
    pub fn build(self) -> Result<InteractiveBrowserCredential, CredentialError> {
        if self.options.timeout.is_zero() {
            return Err(CredentialError::invalid_configuration(
                NAME,
                "the sign-in timeout is zero; pass a positive duration to with_timeout (default 5 minutes)",
            ));
        }
        let public = PublicClient::for_sign_in(
            NAME,
            &self.common,
            self.sign_in,
            "call InteractiveBrowserCredential::authenticate",
        )?;
        Ok(InteractiveBrowserCredential {
            public: Arc::new(public),
            options: self.options,
        })
    }
}
