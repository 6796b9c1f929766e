//! Test helpers: a counting credential, an in-memory scripted HTTP client,
//! and a tiny loopback HTTP server that serves scripted responses in order.
#![allow(dead_code, clippy::unwrap_used, clippy::type_complexity)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use credential_core::{
    AccessToken, FnCredential, HttpClient, HttpRequest, HttpResponse, TokenRequestOptions,
    TransportError, TransportErrorKind, async_trait, token_credential_fn,
};
use keyvault_secrets::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const KV_CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;
pub const LOCAL_CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/tenant-a", resource="https://127.0.0.1""#;

/// A credential that counts calls and remembers each call's scopes and options.
#[derive(Clone, Default)]
pub struct Counting {
    pub calls: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<(Vec<String>, TokenRequestOptions)>>>,
}

impl Counting {
    pub fn credential(&self) -> FnCredential {
        let calls = self.calls.clone();
        let seen = self.seen.clone();
        token_credential_fn("Counting", move |scopes, options| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            seen.lock().unwrap().push((scopes, options));
            async move {
                tokio::task::yield_now().await;
                Ok(AccessToken::new(
                    format!("token-{n}"),
                    OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 100),
                ))
            }
        })
    }
    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

pub fn response(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, TransportError> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    Ok(HttpResponse::new(
        StatusCode::from_u16(status).unwrap(),
        map,
        Bytes::from(body.to_owned()),
    ))
}

/// The vault's challenge on `server`: a `401` naming the loopback resource
/// to any `method` request without `Authorization` (not yet created).
pub fn challenge_mock(server: &mut mockito::ServerGuard, method: &str) -> mockito::Mock {
    server
        .mock(method, mockito::Matcher::Any)
        .match_header("authorization", mockito::Matcher::Missing)
        .with_status(401)
        .with_header("www-authenticate", LOCAL_CHALLENGE)
}

pub fn challenge_401(header: &str) -> Result<HttpResponse, TransportError> {
    response(
        401,
        &[("www-authenticate", header)],
        r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token."}}"#,
    )
}

pub fn reset() -> Result<HttpResponse, TransportError> {
    Err(TransportError::new(
        TransportErrorKind::Request,
        "connection reset by peer",
    ))
}

/// What a scripted client saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub url: url::Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

impl Seen {
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_owned(),
        }
    }
    pub fn auth(&self) -> Option<String> {
        self.headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
    }
    pub fn json(&self) -> Option<serde_json::Value> {
        self.body
            .as_ref()
            .filter(|b| !b.is_empty())
            .map(|b| serde_json::from_slice(b).unwrap())
    }
}

/// An in-memory HTTP client answering from a script, in order.
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    pub script: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub fn new(script: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Self {
            script: Arc::new(Mutex::new(script.into())),
            seen: Arc::default(),
        }
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn remaining(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

#[async_trait]
impl HttpClient for Scripted {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.seen.lock().unwrap().push(Seen {
            method: request.method.to_string(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        });
        self.script.lock().unwrap().pop_front().unwrap_or_else(|| {
            Err(TransportError::new(
                TransportErrorKind::Connect,
                "script exhausted",
            ))
        })
    }
}

/// A scripted response for the loopback server; `None` drops the connection.
pub type Served = Option<(u16, Vec<(String, String)>, String)>;

/// A loopback HTTP/1.1 server answering connections in order from a script.
pub struct Server {
    pub url: String,
    pub seen: Arc<Mutex<Vec<(String, String, Vec<u8>)>>>,
}

pub async fn serve(script: Vec<Served>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_listener(listener, script)
}

fn serve_listener(listener: TcpListener, script: Vec<Served>) -> Server {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<(String, String, Vec<u8>)>>> = Arc::default();
    let seen2 = seen.clone();
    tokio::spawn(async move {
        let mut script: VecDeque<Served> = script.into();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let head_end = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(p + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < head_end + length {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let mut first = head.lines().next().unwrap_or_default().split(' ');
            let method = first.next().unwrap_or_default().to_owned();
            let target = first.next().unwrap_or_default().to_owned();
            seen2
                .lock()
                .unwrap()
                .push((method, target, buf[head_end..].to_vec()));
            match script.pop_front().flatten() {
                None => drop(socket),
                Some((status, headers, body)) => {
                    let mut out = format!(
                        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(&body);
                    let _ = socket.write_all(out.as_bytes()).await;
                    let _ = socket.shutdown().await;
                }
            }
        }
    });
    Server { url, seen }
}

/// Like [`serve`], at a given `http://127.0.0.1:port` address.
pub async fn serve_at(addr: &str, script: Vec<Served>) -> Server {
    let listener = TcpListener::bind(addr.trim_start_matches("http://"))
        .await
        .unwrap();
    serve_listener(listener, script)
}
