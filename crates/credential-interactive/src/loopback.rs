//! The loopback redirect listener: `http://localhost:PORT` takes the
//! browser's `GET /?code=…&state=…` (or `?error=…`), shows a short page, and
//! hands the code back.

use std::io::ErrorKind;
use std::time::Duration;

use credential_core::{CredentialError, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The most a request head may take; longer ones are refused.
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

const SUCCESS_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body><h1>Authentication complete</h1><p>You can close this window and return to the application.</p></body></html>";
const FAILURE_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
<body><h1>Sign-in failed</h1><p>Return to the application for details. You can close this window.</p></body></html>";

/// A listener on `127.0.0.1:PORT` for one redirect.
#[derive(Debug)]
pub(crate) struct RedirectListener {
    listener: TcpListener,
    port: u16,
}

/// What one redirect said.
enum Redirect {
    Code(Secret),
    Failed(CredentialError),
    /// Not the redirect (another path, no parameters): keep waiting.
    Ignored,
}

impl RedirectListener {
    /// Listens on `port` (`None`: a free one).
    pub(crate) async fn bind(
        credential: &'static str,
        port: Option<u16>,
    ) -> Result<Self, CredentialError> {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .await
            .map_err(|e| {
                let message = match (e.kind(), port) {
                    (ErrorKind::AddrInUse, Some(port)) => format!(
                        "the redirect port {port} on 127.0.0.1 is already in use; pass another port \
                         with with_redirect_port, or leave it unset to use a free one"
                    ),
                    _ => format!("could not listen on 127.0.0.1 for the sign-in redirect ({e})"),
                };
                CredentialError::invalid_configuration(credential, message)
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| {
                CredentialError::invalid_configuration(
                    credential,
                    format!("could not read the redirect listener's port ({e})"),
                )
            })?
            .port();
        Ok(Self { listener, port })
    }

    /// `http://localhost:PORT`.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Waits for the redirect carrying `state`, and returns its code.
    pub(crate) async fn wait(
        &self,
        credential: &'static str,
        state: &str,
    ) -> Result<Secret, CredentialError> {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                continue;
            };
            match handle(credential, stream, state).await {
                Redirect::Code(code) => return Ok(code),
                Redirect::Failed(error) => return Err(error),
                Redirect::Ignored => {}
            }
        }
    }
}

async fn handle(credential: &'static str, mut stream: TcpStream, state: &str) -> Redirect {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return Redirect::Ignored,
    };
    let (status, page, outcome) = parse_redirect(credential, &head, state);
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    outcome
}

/// Reads up to the end of the request head.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        if buffer.len() > MAX_REQUEST {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buffer).into_owned())
}

/// The status line, the page and the outcome of one request head (pure).
fn parse_redirect(
    credential: &'static str,
    head: &str,
    expected_state: &str,
) -> (&'static str, &'static str, Redirect) {
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method != "GET" {
        return ("405 Method Not Allowed", FAILURE_PAGE, Redirect::Ignored);
    }
    let Ok(url) = url::Url::parse(&format!("http://localhost{target}")) else {
        return ("400 Bad Request", FAILURE_PAGE, Redirect::Ignored);
    };
    if url.path() != "/" {
        return ("404 Not Found", FAILURE_PAGE, Redirect::Ignored);
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in url.query_pairs() {
        match &*key {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    if code.is_none() && error.is_none() {
        return ("400 Bad Request", FAILURE_PAGE, Redirect::Ignored);
    }
    if state.as_deref() != Some(expected_state) {
        let error = CredentialError::authentication(
            credential,
            "the sign-in redirect's state did not match the one sent (a forged or stale redirect); \
             nothing was redeemed; sign in again",
        );
        return ("400 Bad Request", FAILURE_PAGE, Redirect::Failed(error));
    }
    if let Some(error) = error {
        let description = description.map(|d| untrusted_text(&d)).unwrap_or_default();
        let error = CredentialError::refused(
            credential,
            None,
            format!("the sign-in page redirected with an error: {description}"),
        )
        .with_codes(Some(untrusted_text(&error)), None);
        return ("200 OK", FAILURE_PAGE, Redirect::Failed(error));
    }
    match code.filter(|c| !c.trim().is_empty()) {
        Some(code) => ("200 OK", SUCCESS_PAGE, Redirect::Code(Secret::new(code))),
        None => ("400 Bad Request", FAILURE_PAGE, Redirect::Ignored),
    }
}

/// Untrusted text for an error message: printable characters, at most 300.
fn untrusted_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(head: &str) -> Redirect {
        parse_redirect("C", head, "s1").2
    }

    #[test]
    fn code_with_the_right_state_is_taken() {
        match outcome("GET /?code=abc&state=s1 HTTP/1.1\r\nHost: localhost\r\n\r\n") {
            Redirect::Code(code) => assert_eq!(code.expose_secret(), "abc"),
            _ => panic!("expected a code"),
        }
    }

    #[test]
    fn other_paths_and_empty_queries_are_ignored() {
        assert!(matches!(
            outcome("GET /favicon.ico HTTP/1.1\r\n\r\n"),
            Redirect::Ignored
        ));
        assert!(matches!(
            outcome("GET / HTTP/1.1\r\n\r\n"),
            Redirect::Ignored
        ));
        assert!(matches!(
            outcome("POST /?code=a&state=s1 HTTP/1.1\r\n\r\n"),
            Redirect::Ignored
        ));
    }

    #[test]
    fn state_mismatch_and_error_redirects_fail() {
        let Redirect::Failed(err) = outcome("GET /?code=abc&state=evil HTTP/1.1\r\n\r\n") else {
            panic!("expected a failure");
        };
        assert!(err.to_string().contains("state did not match"), "{err}");
        let Redirect::Failed(err) = outcome(
            "GET /?error=access_denied&error_description=AADSTS65004%3A+declined&state=s1 HTTP/1.1\r\n\r\n",
        ) else {
            panic!("expected a failure");
        };
        assert!(
            matches!(&err, CredentialError::Authentication { oauth_error: Some(e), .. } if e == "access_denied"),
            "{err:?}"
        );
        assert!(err.to_string().contains("AADSTS65004: declined"), "{err}");
    }
}
