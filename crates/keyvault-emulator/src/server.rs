//! The HTTP(S) server: routes, the fault layer, and the accept loop with
//! graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::faults::Action;
use crate::state::AppState;
use crate::wire::kv_error;
use crate::{admin, token, vault};

/// How long shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// All routes: the token issuer and, for every other path, the vault.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::entra_token))
        .route("/metadata/identity/oauth2/token", get(token::imds_token))
        // AKS pod identity's path, as the JavaScript SDK sends it.
        .route("/metadata/identity/oauth2/token/", get(token::imds_token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(token::openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(token::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(token::jwks))
        .route("/common/discovery/instance", get(token::instance_discovery))
        .route(
            "/admin/clock",
            get(admin::get_clock).post(admin::advance_clock),
        )
        .route(
            "/admin/faults",
            get(admin::get_faults).put(admin::set_faults),
        )
        .merge(crate::interactive::routes())
        .fallback(vault::handle)
        .with_state(state)
}

/// Adds a fresh `x-ms-request-id` and echoes `x-ms-client-request-id`, as
/// the service does on every answer, faults included (so a client's error
/// can name the request id).
fn with_request_ids(mut response: Response<Body>, request: &Request<Incoming>) -> Response<Body> {
    let client_request_id = request.headers().get("x-ms-client-request-id").cloned();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-ms-request-id", v);
    }
    if let Some(id) = client_request_id {
        headers.insert("x-ms-client-request-id", id);
    }
    response
}

fn is_vault_path(path: &str) -> bool {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    first == "secrets" || first == "deletedsecrets"
}

/// Serves one request: faults first (Key Vault paths only), then the router.
async fn serve_request(
    router: Router,
    state: Arc<AppState>,
    request: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    if is_vault_path(request.uri().path()) {
        let (action, delay) = state.faults.next();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match action {
            Action::Drop => {
                return Err(std::io::Error::other("fault injection: connection dropped"));
            }
            Action::Throttle(retry_after) => {
                let mut r = kv_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Throttled",
                    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
                );
                if let Some(after) = retry_after
                    && let Ok(v) = HeaderValue::from_str(&after.as_secs().to_string())
                {
                    r.headers_mut().insert("retry-after", v);
                }
                return Ok(with_request_ids(r, &request));
            }
            Action::Unavailable => {
                let r = kv_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable. Please retry.",
                );
                return Ok(with_request_ids(r, &request));
            }
            Action::Serve => {}
        }
    }
    let response: Result<Response<Body>, Infallible> = router.oneshot(request.map(Body::new)).await;
    match response {
        Ok(r) => Ok(r),
        Err(never) => match never {},
    }
}

async fn serve_connection<I>(
    io: I,
    router: Router,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        serve_request(router.clone(), state.clone(), request)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolves once shutdown is asked for (or the sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Accepts connections until `shutdown` turns true, then lets open
/// connections finish (up to a grace period).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = router(state.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let state = state.clone();
                let stop = shutdown.clone();
                match tls.clone() {
                    None => {
                        connections.spawn(serve_connection(stream, router, state, stop));
                    }
                    Some(acceptor) => {
                        connections.spawn(async move {
                            match acceptor.accept(stream).await {
                                Ok(tls_stream) => serve_connection(tls_stream, router, state, stop).await,
                                Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                            }
                        });
                    }
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
}
