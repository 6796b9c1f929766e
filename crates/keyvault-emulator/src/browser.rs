//! [`SimulatedBrowser`]: a stand-in for the user's browser that signs in at
//! the emulator's `/authorize` and follows its redirect to the application's
//! loopback listener, for tests and for samples run without a browser.

use credential_core::__private::is_loopback;
use credential_core::async_trait;
use credential_core::{HttpClient, HttpRequest, Method, ReqwestHttpClient};
use credential_core::{ProcessError, ProcessOutput, ProcessRequest, ProcessRunner};
use url::Url;

/// A process runner that plays the browser: asked to open a URL (its last
/// argument), it `GET`s it from the emulator, takes the `302` redirect's
/// `Location` and `GET`s that too (the application's loopback redirect
/// listener). It only talks to loopback hosts. Any program name is
/// accepted, so it stands in for `xdg-open`, `open` or `rundll32`.
///
/// A failed step is reported as a failed process (exit code 1, the reason on
/// standard error), as a real opener would.
#[derive(Debug, Clone)]
pub struct SimulatedBrowser {
    http: ReqwestHttpClient,
}

impl Default for SimulatedBrowser {
    fn default() -> Self {
        Self {
            http: ReqwestHttpClient::new(),
        }
    }
}

impl SimulatedBrowser {
    /// A browser for loopback URLs.
    pub fn new() -> Self {
        Self::default()
    }

    /// `GET`s `url` if its host is loopback; refuses any other host.
    async fn get(&self, url: Url) -> Result<credential_core::HttpResponse, String> {
        if !is_loopback(&url) {
            return Err(format!(
                "refused to visit non-loopback host {}",
                url.host_str().unwrap_or("<none>")
            ));
        }
        self.http
            .send(HttpRequest::new(Method::GET, url))
            .await
            .map_err(|e| e.to_string())
    }

    async fn visit(&self, url: &str) -> Result<(), String> {
        let url = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
        let response = self
            .get(url)
            .await
            .map_err(|e| format!("the sign-in page did not answer ({e})"))?;
        if response.status.as_u16() != 302 {
            return Err(format!(
                "the sign-in page answered {} instead of a redirect",
                response.status.as_u16()
            ));
        }
        let location = response
            .header("location")
            .ok_or("the redirect has no Location")?;
        let target = Url::parse(location).map_err(|e| format!("bad redirect ({e})"))?;
        self.get(target)
            .await
            .map_err(|e| format!("the application's redirect listener did not answer ({e})"))?;
        Ok(())
    }
}

#[async_trait]
impl ProcessRunner for SimulatedBrowser {
    async fn run(&self, request: ProcessRequest) -> Result<ProcessOutput, ProcessError> {
        let url = request.args.last().cloned().unwrap_or_default();
        let (exit_code, stderr) = match self.visit(&url).await {
            Ok(()) => (0, String::new()),
            Err(reason) => (1, reason),
        };
        Ok(ProcessOutput::new(Some(exit_code), "", stderr))
    }
}
