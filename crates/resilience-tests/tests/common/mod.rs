//! Test helpers: a scripted raw-TCP loopback HTTP server (so that a test can
//! reset a connection, hang, or truncate a body), fast retry policies, and a
//! `SecretClient` pointed at such a server.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credential_core::RetryPolicy;
use credential_core::{AccessToken, LoopbackOnlyHttpClient, token_credential_fn};
use keyvault_secrets::{Error, KeyVaultSecret, SecretClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this status, extra headers and body (`Connection: close`).
    Respond(u16, Vec<(String, String)>, String),
    /// Send the start of a response, then reset the connection (RST).
    ResetMidResponse,
    /// Never answer (keep the connection open).
    Hang,
    /// Announce a longer body than is sent, then close cleanly.
    Truncated,
}

impl Behaviour {
    pub fn status(status: u16) -> Self {
        Self::Respond(status, vec![], String::new())
    }
    pub fn json(status: u16, body: &str) -> Self {
        Self::Respond(status, vec![], body.to_owned())
    }
    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Self::Respond(s, mut h, b) => {
                h.push((name.to_owned(), value.to_owned()));
                Self::Respond(s, h, b)
            }
            other => other,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Seen, usize) -> Option<Behaviour> + Send + Sync;

/// A loopback HTTP/1.1 server: each request goes to `handler` (with the
/// number of requests it has seen before); `None` falls back to the script,
/// then to `fallback`.
#[derive(Clone)]
pub struct Server {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Behaviour>>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    /// Requests carrying an `Authorization` header.
    pub fn authorized(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.header("authorization").is_some())
            .count()
    }
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    pub fn push(&self, behaviour: Behaviour) -> &Self {
        self.script.lock().unwrap().push_back(behaviour);
        self
    }
    /// Empties the script (the endpoint is healthy again).
    pub fn clear(&self) {
        self.script.lock().unwrap().clear();
    }
    /// A server value pointing at a port where nothing listens.
    pub fn closed() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server {
            port,
            seen: Arc::default(),
            script: Arc::default(),
        }
    }
    pub fn push_n(&self, n: usize, behaviour: Behaviour) -> &Self {
        for _ in 0..n {
            self.push(behaviour.clone());
        }
        self
    }

    /// A server whose script applies to every request matching `scripted`;
    /// other requests go to `fallback`.
    pub async fn start(
        scripted: impl Fn(&Seen) -> bool + Send + Sync + 'static,
        fallback: impl Fn(&Seen, &Server) -> Behaviour + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            port: listener.local_addr().unwrap().port(),
            seen: Arc::default(),
            script: Arc::default(),
        };
        let handler: Arc<dyn Fn(&Seen) -> Behaviour + Send + Sync> = {
            let server = server.clone();
            Arc::new(move |seen: &Seen| {
                if scripted(seen)
                    && let Some(b) = server.script.lock().unwrap().pop_front()
                {
                    return b;
                }
                fallback(seen, &server)
            })
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let seen = s.seen.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, handler, seen).await;
                });
            }
        });
        server
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: Arc<dyn Fn(&Seen) -> Behaviour + Send + Sync>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).into_owned();
    let request = Seen {
        method,
        path,
        headers,
        body,
    };
    let behaviour = handler(&request);
    seen.lock().unwrap().push(request);
    match behaviour {
        Behaviour::Respond(status, headers, body) => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            stream.write_all(out.as_bytes()).await?;
            stream.shutdown().await?;
        }
        Behaviour::ResetMidResponse => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\ncontent-type: application/json\r\n\r\n{\"value\":\"par")
                .await?;
            // A zero linger makes the close a reset and never blocks.
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            drop(stream);
        }
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Behaviour::Truncated => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\nconnection: close\r\ncontent-type: application/json\r\n\r\n{\"value\":\"tru")
                .await?;
            stream.shutdown().await?;
        }
    }
    Ok(())
}

/// A secret bundle as Key Vault returns it.
pub fn secret_body(port: u16, name: &str, value: &str) -> String {
    serde_json::json!({
        "value": value,
        "id": format!("http://127.0.0.1:{port}/secrets/{name}/0123456789abcdef0123456789abcdef"),
        "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000},
    })
    .to_string()
}

/// A Key Vault look-alike: requests without `Authorization` get the
/// challenge; authorized requests follow the script, then get a secret.
pub async fn vault_server() -> Server {
    Server::start(
        |seen| seen.header("authorization").is_some(),
        |seen, server| {
            if seen.header("authorization").is_none() {
                let origin = server.url();
                Behaviour::status(401).with_header(
                    "www-authenticate",
                    &format!(r#"Bearer authorization="{origin}/tenant-1", resource="{origin}""#),
                )
            } else {
                Behaviour::json(200, &secret_body(server.port, "s", "the-value"))
                    .with_header("x-ms-request-id", "rid-ok")
            }
        },
    )
    .await
}

/// Retries with 10 ms base delay so that exhausting the budget is quick.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

pub const TOKEN: &str = "static-token-value-0123456789";

/// A credential that always returns [`TOKEN`].
pub fn static_credential() -> credential_core::FnCredential {
    token_credential_fn("StaticCredential", |_scopes, _options| async {
        Ok(AccessToken::new(
            TOKEN,
            time::OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
        ))
    })
}

/// A client for `url` with fast retries over the loopback-only transport.
pub fn client(url: &str) -> SecretClient {
    SecretClient::builder(url, static_credential())
        .with_retry_policy(fast_retry())
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap()
}

/// Gets the secret named `s` (the one [`vault_server`] serves) through `client`.
pub async fn get_s(client: &SecretClient) -> Result<KeyVaultSecret, Error> {
    client.get_secret("s").await
}

/// Gets the secret named `s` from `server` through a fresh [`client`].
pub async fn get_s_from(server: &Server) -> Result<KeyVaultSecret, Error> {
    get_s(&client(&server.url())).await
}
