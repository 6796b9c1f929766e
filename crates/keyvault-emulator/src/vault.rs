//! The Key Vault secrets REST API: authentication, `api-version`, routing
//! and the operations.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, Response, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::access::Operation;
use crate::api_version::{self, ApiVersion};
use crate::state::AppState;
use crate::store::{Deleted, Entry, Pending, State as EntryState, Store, Version, data_file};
use crate::wire::{
    bad_parameter, deleted_secret_not_found, json_response, kv_error, kv_error_inner,
    method_not_allowed, secret_not_found,
};

/// The recovery level of every secret (soft delete on, purge allowed).
const RECOVERY_LEVEL: &str = "Recoverable+Purgeable";
/// Days a deleted secret stays recoverable.
const RECOVERABLE_DAYS: i64 = 90;
/// The most bytes a secret value may hold (the service's 25k).
const MAX_VALUE_BYTES: usize = 25 * 1024;
/// The most bytes of a request body read.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The prefix of the emulator's backup blobs.
const BACKUP_MAGIC: &[u8] = b"AzureKeyVaultEmulatorSecretBackupV1.";

/// The query parameters the API uses.
#[derive(Debug, Default)]
struct Query {
    api_version: Option<String>,
    max_results: Option<String>,
    skip_token: Option<String>,
    out_content_type: Option<String>,
}

fn parse_query(raw: Option<&str>) -> Query {
    let mut q = Query::default();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "api-version" => q.api_version = Some(v.into_owned()),
            "maxresults" => q.max_results = Some(v.into_owned()),
            "$skiptoken" => q.skip_token = Some(v.into_owned()),
            "outContentType" => q.out_content_type = Some(v.into_owned()),
            _ => {}
        }
    }
    q
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = segment
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn valid_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn invalid_name(name: &str) -> Response<Body> {
    bad_parameter(&format!("The request URI contains an invalid name: {name}"))
}

/// The handler for every Key Vault path.
pub(crate) async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response<Body> {
    let client_request_id = request.headers().get("x-ms-client-request-id").cloned();
    let mut response = handle_inner(&state, request).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-ms-request-id", v);
    }
    headers.insert(
        "x-ms-keyvault-service-version",
        HeaderValue::from_static("1.9.0.0-emulator"),
    );
    headers.insert("x-ms-keyvault-region", HeaderValue::from_static("local"));
    if let Some(id) = client_request_id {
        headers.insert("x-ms-client-request-id", id);
    }
    response
}

async fn handle_inner(state: &AppState, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let named = state.vault_names.select(host);
    let (vault, origin, resource) = match &named {
        Some(v) => (
            v.name.as_str(),
            v.origin.clone(),
            v.challenge_resource.as_str(),
        ),
        None => ("", state.origin.clone(), state.challenge_resource.as_str()),
    };
    let claims = match state
        .tokens
        .verify_also(authorization, state.now(), resource)
    {
        Ok(claims) => claims,
        Err(message) => {
            let mut r = kv_error(StatusCode::UNAUTHORIZED, "Unauthorized", &message);
            if let Ok(v) = HeaderValue::from_str(&state.challenge_for(resource)) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            return r;
        }
    };
    let query = parse_query(parts.uri.query());
    let version = match query.api_version.as_deref() {
        None | Some("") => {
            return bad_parameter("The 'api-version' query parameter is missing.");
        }
        Some(v) => match api_version::lookup(v) {
            Some(version) => version,
            None => return bad_parameter(&api_version::unsupported_message(v)),
        },
    };
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return bad_parameter("The request body is too large."),
    };
    let path = parts.uri.path();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = &parts.method;
    let ctx = Ctx {
        state,
        query: &query,
        path,
        vault,
        origin,
        version,
        client: claims.appid,
    };
    use Operation::{Backup, Delete, Get, List, Purge, Recover, Restore, Set};
    match (seg.as_slice(), m) {
        (["secrets"] | ["secrets", ""], &Method::GET) => ctx.run(List, || ctx.list_secrets()),
        (["secrets"] | ["secrets", ""], _) => method_not_allowed(m.as_str()),
        (["secrets", "restore"], &Method::POST) => ctx.run(Restore, || ctx.restore(&body)),
        (["secrets", name], &Method::PUT) => ctx.run(Set, || ctx.set(name, &body)),
        (["secrets", name], &Method::DELETE) => ctx.run(Delete, || ctx.delete(name)),
        (["secrets", name] | ["secrets", name, ""], &Method::GET) => {
            ctx.run(Get, || ctx.get(name, None))
        }
        (["secrets", name] | ["secrets", name, ""], &Method::PATCH) => {
            ctx.run(Set, || ctx.update(name, None, &body))
        }
        (["secrets", name, "versions"], &Method::GET) => ctx.run(List, || ctx.list_versions(name)),
        (["secrets", name, "backup"], &Method::POST) => ctx.run(Backup, || ctx.backup(name)),
        (["secrets", name, version], &Method::GET) => ctx.run(Get, || ctx.get(name, Some(version))),
        (["secrets", name, version], &Method::PATCH) => {
            ctx.run(Set, || ctx.update(name, Some(version), &body))
        }
        (["secrets", ..], _) => method_not_allowed(m.as_str()),
        (["deletedsecrets"] | ["deletedsecrets", ""], &Method::GET) => {
            ctx.run(List, || ctx.list_deleted())
        }
        (["deletedsecrets", name], &Method::GET) => ctx.run(Get, || ctx.get_deleted(name)),
        (["deletedsecrets", name], &Method::DELETE) => ctx.run(Purge, || ctx.purge(name)),
        (["deletedsecrets", name, "recover"], &Method::POST) => {
            ctx.run(Recover, || ctx.recover(name))
        }
        (["deletedsecrets", ..], _) => method_not_allowed(m.as_str()),
        _ => kv_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("The path {path} is not served by this emulator (secrets only)."),
        ),
    }
}

/// The body of a set (PUT).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetBody {
    value: Option<String>,
    content_type: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    attributes: Option<AttributesIn>,
}

/// The body of an update (PATCH).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    content_type: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    attributes: Option<AttributesIn>,
}

#[derive(Debug, Default, Deserialize)]
struct AttributesIn {
    enabled: Option<bool>,
    nbf: Option<i64>,
    exp: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct RestoreBody {
    value: Option<String>,
}

/// What a backup blob holds.
#[derive(Debug, Serialize, Deserialize)]
struct BackupPayload {
    name: String,
    versions: Vec<Version>,
}

// The error is the finished HTTP answer, made at most once per request.
#[allow(clippy::result_large_err)]
fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Response<Body>> {
    if body.is_empty() {
        return Err(bad_parameter("The request body is missing."));
    }
    serde_json::from_slice(body)
        .map_err(|e| bad_parameter(&format!("The request body is not valid: {e}")))
}

// The error is the finished HTTP answer, made at most once per request.
#[allow(clippy::result_large_err)]
fn check_content_type_and_tags(
    content_type: Option<&String>,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<(), Response<Body>> {
    if content_type.is_some_and(|c| c.chars().count() > 255) {
        return Err(bad_parameter(
            "The contentType may have at most 255 characters.",
        ));
    }
    if let Some(tags) = tags {
        if tags.len() > 15 {
            return Err(bad_parameter("A secret may have at most 15 tags."));
        }
        if tags
            .iter()
            .any(|(k, v)| k.chars().count() > 512 || v.chars().count() > 256)
        {
            return Err(bad_parameter(
                "Tag names may have at most 512 characters and tag values at most 256.",
            ));
        }
    }
    Ok(())
}

struct Ctx<'a> {
    state: &'a AppState,
    query: &'a Query,
    path: &'a str,
    /// The vault's store key (`""` for the default vault).
    vault: &'a str,
    /// The vault's origin, as its ids name it.
    origin: String,
    /// The shape of the answers.
    version: ApiVersion,
    /// The caller's client id (the token's `appid`).
    client: String,
}

impl Ctx<'_> {
    fn origin(&self) -> &str {
        &self.origin
    }

    /// Runs `f` if the access rules let the caller perform `op`, else
    /// answers the service's 403.
    fn run(&self, op: Operation, f: impl FnOnce() -> Response<Body>) -> Response<Body> {
        if self.state.access.allows(&self.client, op) {
            return f();
        }
        let vault = if self.vault.is_empty() {
            "emulator"
        } else {
            self.vault
        };
        kv_error_inner(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "The user, group or application 'appid={client};oid={client}' does not have secrets {op} permission on key vault '{vault};location=local'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                client = self.client
            ),
            "AccessDenied",
        )
    }

    fn attributes(&self, v: &Version) -> Value {
        let mut a = Map::new();
        a.insert("enabled".into(), json!(v.enabled));
        if let Some(nbf) = v.nbf {
            a.insert("nbf".into(), json!(nbf));
        }
        if let Some(exp) = v.exp {
            a.insert("exp".into(), json!(exp));
        }
        a.insert("created".into(), json!(v.created));
        a.insert("updated".into(), json!(v.updated));
        a.insert("recoveryLevel".into(), json!(RECOVERY_LEVEL));
        if self.version.recoverable_days {
            a.insert("recoverableDays".into(), json!(RECOVERABLE_DAYS));
        }
        Value::Object(a)
    }

    /// A `SecretBundle` (versioned id), with or without the value.
    fn bundle(&self, name: &str, v: &Version, with_value: bool) -> Map<String, Value> {
        let mut b = Map::new();
        if with_value {
            b.insert("value".into(), json!(v.value));
        }
        b.insert(
            "id".into(),
            json!(format!("{}/secrets/{name}/{}", self.origin(), v.id)),
        );
        if let Some(ct) = &v.content_type {
            b.insert("contentType".into(), json!(ct));
        }
        b.insert("attributes".into(), self.attributes(v));
        if let Some(tags) = &v.tags {
            b.insert("tags".into(), json!(tags));
        }
        b
    }

    /// A `SecretItem` with the given id.
    fn item(&self, id: String, v: &Version) -> Map<String, Value> {
        let mut b = Map::new();
        if let Some(ct) = &v.content_type {
            b.insert("contentType".into(), json!(ct));
        }
        b.insert("id".into(), json!(id));
        b.insert("attributes".into(), self.attributes(v));
        if let Some(tags) = &v.tags {
            b.insert("tags".into(), json!(tags));
        }
        b
    }

    fn add_deleted(&self, mut m: Map<String, Value>, name: &str, d: &Deleted) -> Value {
        m.insert(
            "recoveryId".into(),
            json!(format!("{}/deletedsecrets/{name}", self.origin())),
        );
        m.insert("deletedDate".into(), json!(d.deleted_date));
        m.insert("scheduledPurgeDate".into(), json!(d.scheduled_purge_date));
        Value::Object(m)
    }

    fn ok(body: Value) -> Response<Body> {
        json_response(StatusCode::OK, &body)
    }

    /// Runs a read under the store lock (after purging what is due).
    fn read<R>(&self, f: impl FnOnce(&mut Store, tokio::time::Instant) -> R) -> R {
        let mut stores = self.state.stores.lock().unwrap_or_else(|e| e.into_inner());
        let store = stores.entry(self.vault.to_owned()).or_default();
        store.purge_due(self.state.vault_now());
        f(store, tokio::time::Instant::now())
    }

    /// Runs a write under the store lock; when it reports a change and a
    /// data directory is set, persists before answering (and undoes the
    /// change if that fails).
    fn write(
        &self,
        f: impl FnOnce(&mut Store, tokio::time::Instant, i64) -> (Response<Body>, bool),
    ) -> Response<Body> {
        let mut stores = self.state.stores.lock().unwrap_or_else(|e| e.into_inner());
        let store = stores.entry(self.vault.to_owned()).or_default();
        let now = self.state.vault_now();
        let purged = store.purge_due(now);
        let snapshot = self.state.data_dir.as_ref().map(|_| store.clone());
        let (response, changed) = f(store, tokio::time::Instant::now(), now);
        if let (true, Some(dir), Some(snapshot)) =
            (changed || purged, &self.state.data_dir, snapshot)
            && let Err(e) = store.persist(dir, &data_file(self.vault))
        {
            tracing::error!(error = %e, "cannot persist the vault; the change was undone");
            *store = snapshot;
            return kv_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &format!("The emulator could not save the vault to its data directory: {e}"),
            );
        }
        response
    }

    fn pending_until(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        let delay = self.state.operation_delay();
        (!delay.is_zero()).then(|| now + delay)
    }

    fn conflict(name: &str, state: EntryState) -> Response<Body> {
        let (message, inner) = match state {
            EntryState::BeingDeleted => (
                format!("Secret {name} is currently being deleted."),
                "ObjectIsBeingDeleted",
            ),
            EntryState::BeingRecovered => (
                format!(
                    "Secret {name} is currently being recovered and cannot be re-created; retry later."
                ),
                "ObjectIsBeingRecovered",
            ),
            _ => (
                format!(
                    "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
                ),
                "ObjectIsDeletedButRecoverable",
            ),
        };
        kv_error_inner(StatusCode::CONFLICT, "Conflict", &message, inner)
    }

    fn set(&self, name: &str, body: &[u8]) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        let body: SetBody = match parse_body(body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(value) = body.value else {
            return bad_parameter("The parameter 'value' is required.");
        };
        if value.len() > MAX_VALUE_BYTES {
            return bad_parameter(
                "The secret value is larger than the 25k bytes Key Vault allows.",
            );
        }
        if let Err(r) = check_content_type_and_tags(body.content_type.as_ref(), body.tags.as_ref())
        {
            return r;
        }
        let attrs = body.attributes.unwrap_or_default();
        self.write(|store, instant, now| {
            let key = name.to_ascii_lowercase();
            let entry = store.secrets.entry(key).or_insert_with(|| Entry {
                name: name.to_owned(),
                versions: Vec::new(),
                deleted: None,
                pending: None,
            });
            let st = entry.state(instant);
            if st != EntryState::Active {
                return (Self::conflict(&entry.name, st), false);
            }
            let version = Version {
                id: uuid::Uuid::new_v4().simple().to_string(),
                value,
                content_type: body.content_type,
                tags: body.tags,
                enabled: attrs.enabled.unwrap_or(true),
                nbf: attrs.nbf,
                exp: attrs.exp,
                created: now,
                updated: now,
            };
            let response = Self::ok(Value::Object(self.bundle(&entry.name, &version, true)));
            entry.versions.push(version);
            (response, true)
        })
    }

    fn get(&self, name: &str, version: Option<&str>) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        self.read(|store, instant| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return secret_not_found(name);
            };
            if entry.state(instant) != EntryState::Active {
                return secret_not_found(name);
            }
            let found = match version {
                None => entry.latest(),
                Some(v) => entry.versions.iter().find(|x| x.id.eq_ignore_ascii_case(v)),
            };
            let Some(v) = found else {
                return secret_not_found(&format!("{name}/{}", version.unwrap_or_default()));
            };
            if !v.enabled {
                return kv_error_inner(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "Operation get is not allowed on a disabled secret.",
                    "SecretDisabled",
                );
            }
            let out_content_type = self
                .query
                .out_content_type
                .as_deref()
                .filter(|_| self.version.out_content_type);
            if let Some(out) = out_content_type {
                let target = match out {
                    "application/x-pem-file" => "PEM",
                    "application/x-pkcs12" => "PFX",
                    _ => {
                        return bad_parameter(&format!(
                            "The value '{out}' of outContentType is not supported. Use application/x-pkcs12 or application/x-pem-file."
                        ));
                    }
                };
                let source = match v.content_type.as_deref() {
                    Some("application/x-pkcs12") => "PFX",
                    Some("application/x-pem-file") => "PEM",
                    _ => "Unsupported",
                };
                if source != target {
                    return bad_parameter(&format!(
                        "The '{source}' to '{target}' transformation is not supported. Only PFX to PEM transformation is supported."
                    ));
                }
            }
            Self::ok(Value::Object(self.bundle(&entry.name, v, true)))
        })
    }

    fn update(&self, name: &str, version: Option<&str>, body: &[u8]) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        let body: UpdateBody = match parse_body(body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        if let Err(r) = check_content_type_and_tags(body.content_type.as_ref(), body.tags.as_ref())
        {
            return r;
        }
        self.write(|store, instant, now| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return (secret_not_found(name), false);
            };
            if entry.state(instant) != EntryState::Active {
                return (secret_not_found(name), false);
            }
            let entry_name = entry.name.clone();
            let found = match version {
                None => entry.versions.last_mut(),
                Some(v) => entry
                    .versions
                    .iter_mut()
                    .find(|x| x.id.eq_ignore_ascii_case(v)),
            };
            let Some(v) = found else {
                return (
                    secret_not_found(&format!("{name}/{}", version.unwrap_or_default())),
                    false,
                );
            };
            if let Some(ct) = body.content_type {
                v.content_type = Some(ct);
            }
            if let Some(tags) = body.tags {
                v.tags = Some(tags);
            }
            if let Some(a) = body.attributes {
                if let Some(e) = a.enabled {
                    v.enabled = e;
                }
                if a.nbf.is_some() {
                    v.nbf = a.nbf;
                }
                if a.exp.is_some() {
                    v.exp = a.exp;
                }
            }
            v.updated = now;
            (
                Self::ok(Value::Object(self.bundle(&entry_name, v, false))),
                true,
            )
        })
    }

    fn delete(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        let pending = self.pending_until(tokio::time::Instant::now());
        self.write(|store, instant, now| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return (secret_not_found(name), false);
            };
            if entry.state(instant) != EntryState::Active {
                return (secret_not_found(name), false);
            }
            let deleted = Deleted {
                deleted_date: now,
                scheduled_purge_date: now + RECOVERABLE_DAYS * 86_400,
            };
            entry.deleted = Some(deleted);
            entry.pending = pending.map(Pending::Deleting);
            let Some(latest) = entry.latest() else {
                return (secret_not_found(name), false);
            };
            let body = self.add_deleted(
                self.bundle(&entry.name, latest, false),
                &entry.name,
                &deleted,
            );
            store.note_deleted(deleted.scheduled_purge_date);
            (Self::ok(body), true)
        })
    }

    fn get_deleted(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        self.read(|store, instant| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return deleted_secret_not_found(name);
            };
            match (entry.state(instant), entry.deleted, entry.latest()) {
                (EntryState::Deleted, Some(d), Some(latest)) => Self::ok(self.add_deleted(
                    self.bundle(&entry.name, latest, false),
                    &entry.name,
                    &d,
                )),
                _ => deleted_secret_not_found(name),
            }
        })
    }

    fn purge(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        self.write(|store, instant, _| {
            let key = name.to_ascii_lowercase();
            let Some(entry) = store.secrets.get_mut(&key) else {
                return (deleted_secret_not_found(name), false);
            };
            match entry.state(instant) {
                EntryState::Deleted => {
                    store.secrets.remove(&key);
                    let mut r = Response::new(Body::empty());
                    *r.status_mut() = StatusCode::NO_CONTENT;
                    (r, true)
                }
                EntryState::BeingDeleted => {
                    (Self::conflict(&entry.name, EntryState::BeingDeleted), false)
                }
                _ => (deleted_secret_not_found(name), false),
            }
        })
    }

    fn recover(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        let pending = self.pending_until(tokio::time::Instant::now());
        self.write(|store, instant, _| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return (secret_not_found(name), false);
            };
            match entry.state(instant) {
                EntryState::Deleted => {
                    entry.deleted = None;
                    entry.pending = pending.map(Pending::Recovering);
                    match entry.latest() {
                        Some(latest) => (
                            Self::ok(Value::Object(self.bundle(&entry.name, latest, false))),
                            true,
                        ),
                        None => (secret_not_found(name), true),
                    }
                }
                EntryState::BeingDeleted => {
                    (Self::conflict(&entry.name, EntryState::BeingDeleted), false)
                }
                _ => (secret_not_found(name), false),
            }
        })
    }

    fn backup(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        self.read(|store, instant| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return secret_not_found(name);
            };
            if entry.state(instant) != EntryState::Active {
                return secret_not_found(name);
            }
            let payload = BackupPayload {
                name: entry.name.clone(),
                versions: entry.versions.clone(),
            };
            let mut bytes = BACKUP_MAGIC.to_vec();
            match serde_json::to_vec(&payload) {
                Ok(json) => bytes.extend_from_slice(&json),
                Err(e) => {
                    return kv_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalServerError",
                        &e.to_string(),
                    );
                }
            }
            Self::ok(json!({ "value": URL_SAFE_NO_PAD.encode(bytes) }))
        })
    }

    fn restore(&self, body: &[u8]) -> Response<Body> {
        let body: RestoreBody = match parse_body(body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(value) = body.value else {
            return bad_parameter("The parameter 'value' is required.");
        };
        let malformed = || {
            kv_error(
                StatusCode::BAD_REQUEST,
                "Malformed backup blob",
                "Backup blob contains invalid or corrupt version.",
            )
        };
        let trimmed = value.trim().trim_end_matches('=');
        let Ok(bytes) = URL_SAFE_NO_PAD
            .decode(trimmed)
            .or_else(|_| URL_SAFE.decode(value.trim()))
        else {
            return malformed();
        };
        let Some(json) = bytes.strip_prefix(BACKUP_MAGIC) else {
            return malformed();
        };
        let Ok(payload) = serde_json::from_slice::<BackupPayload>(json) else {
            return malformed();
        };
        if !valid_name(&payload.name) || payload.versions.is_empty() {
            return malformed();
        }
        self.write(|store, instant, _| {
            let key = payload.name.to_ascii_lowercase();
            if let Some(existing) = store.secrets.get_mut(&key) {
                let st = existing.state(instant);
                if st == EntryState::Active {
                    return (
                        kv_error(
                            StatusCode::CONFLICT,
                            "Conflict",
                            &format!("Secret {} already exists.", existing.name),
                        ),
                        false,
                    );
                }
                return (Self::conflict(&existing.name, st), false);
            }
            let entry = Entry {
                name: payload.name,
                versions: payload.versions,
                deleted: None,
                pending: None,
            };
            let response = match entry.latest() {
                Some(latest) => Self::ok(Value::Object(self.bundle(&entry.name, latest, false))),
                None => malformed(),
            };
            store.secrets.insert(key, entry);
            (response, true)
        })
    }

    /// `maxresults` (1 to 25, default 25), or the service's error message.
    fn max_results(&self) -> Result<usize, &'static str> {
        match self.query.max_results.as_deref() {
            None => Ok(25),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=25).contains(&n) => Ok(n),
                _ => Err(
                    "The value of the maxresults parameter must be an integer between 1 and 25.",
                ),
            },
        }
    }

    /// Where a page starts (after which key) and how long it is: from the
    /// `$skiptoken`, else the start and `maxresults`. An explicit
    /// `maxresults` wins over the one the token remembers.
    fn cursor(&self) -> Result<(Option<String>, usize), &'static str> {
        let max = self.max_results()?;
        match self.query.skip_token.as_deref() {
            None => Ok((None, max)),
            Some(token) => match decode_skip_token(token) {
                Some((after, remembered)) => {
                    let max = if self.query.max_results.is_some() {
                        max
                    } else {
                        remembered
                    };
                    Ok((Some(after), max))
                }
                None => Err("The $skiptoken is not valid."),
            },
        }
    }

    /// Answers one page. `items` holds up to `max + 1` (key, item) pairs in
    /// key order after the cursor: the extra one says there is a next page,
    /// which starts after the last key shown. Only the page is ever built,
    /// so listing a large vault costs linear time in all.
    fn page(&self, mut items: Vec<(String, Value)>, max: usize) -> Response<Body> {
        let next = (items.len() > max).then(|| {
            items.truncate(max);
            let last = items.last().map(|(k, _)| k.as_str()).unwrap_or_default();
            let api_version = self
                .query
                .api_version
                .as_deref()
                .unwrap_or(api_version::latest().name);
            format!(
                "{}{}?api-version={}&$skiptoken={}",
                self.origin(),
                self.path.trim_end_matches('/'),
                url::form_urlencoded::byte_serialize(api_version.as_bytes()).collect::<String>(),
                encode_skip_token(last, max)
            )
        });
        let page: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
        Self::ok(json!({ "value": page, "nextLink": next }))
    }

    /// The secrets in `state` (latest versions), as (key, item) pairs after
    /// `after`, at most `limit`.
    fn collect_entries(
        &self,
        after: Option<&str>,
        limit: usize,
        state: EntryState,
    ) -> Vec<(String, Value)> {
        use std::ops::Bound::{Excluded, Unbounded};
        self.read(|store, instant| {
            let lower = after.map_or(Unbounded, Excluded);
            let mut items = Vec::new();
            for (key, entry) in store.secrets.range_mut::<str, _>((lower, Unbounded)) {
                if items.len() >= limit {
                    break;
                }
                if entry.state(instant) != state {
                    continue;
                }
                let Some(latest) = entry.latest() else {
                    continue;
                };
                let id = format!("{}/secrets/{}", self.origin(), entry.name);
                let item = self.item(id, latest);
                let value = match (state, entry.deleted) {
                    (EntryState::Deleted, Some(d)) => self.add_deleted(item, &entry.name, &d),
                    (EntryState::Deleted, None) => continue,
                    _ => Value::Object(item),
                };
                items.push((key.clone(), value));
            }
            items
        })
    }

    fn list_secrets(&self) -> Response<Body> {
        let (after, max) = match self.cursor() {
            Ok(c) => c,
            Err(message) => return bad_parameter(message),
        };
        let items = self.collect_entries(after.as_deref(), max + 1, EntryState::Active);
        self.page(items, max)
    }

    fn list_versions(&self, name: &str) -> Response<Body> {
        if !valid_name(name) {
            return invalid_name(name);
        }
        let (after, max) = match self.cursor() {
            Ok(c) => c,
            Err(message) => return bad_parameter(message),
        };
        let items = self.read(|store, instant| {
            let Some(entry) = store.secrets.get_mut(&name.to_ascii_lowercase()) else {
                return Vec::new();
            };
            if entry.state(instant) != EntryState::Active {
                return Vec::new();
            }
            // Versions are keyed by their position, zero-padded so keys sort.
            let start = after
                .as_deref()
                .and_then(|a| a.parse::<usize>().ok())
                .map_or(0, |a| a + 1);
            entry
                .versions
                .iter()
                .enumerate()
                .skip(start)
                .take(max + 1)
                .map(|(i, v)| {
                    let id = format!("{}/secrets/{}/{}", self.origin(), entry.name, v.id);
                    (format!("{i:010}"), Value::Object(self.item(id, v)))
                })
                .collect()
        });
        self.page(items, max)
    }

    fn list_deleted(&self) -> Response<Body> {
        let (after, max) = match self.cursor() {
            Ok(c) => c,
            Err(message) => return bad_parameter(message),
        };
        let items = self.collect_entries(after.as_deref(), max + 1, EntryState::Deleted);
        self.page(items, max)
    }
}

/// An opaque token: the page length and the last key shown.
fn encode_skip_token(after: &str, max: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("emu2:{max}:{after}"))
}

fn decode_skip_token(token: &str) -> Option<(String, usize)> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (max, after) = text.strip_prefix("emu2:")?.split_once(':')?;
    let max: usize = max.parse().ok()?;
    (1..=25).contains(&max).then(|| (after.to_owned(), max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tokens() {
        assert!(valid_name("a-B-9"));
        assert!(!valid_name(""));
        assert!(!valid_name("a_b"));
        assert!(!valid_name(&"a".repeat(128)));
        assert_eq!(
            decode_skip_token(&encode_skip_token("name-5", 2)),
            Some(("name-5".to_owned(), 2))
        );
        assert_eq!(decode_skip_token("garbage"), None);
        assert_eq!(percent_decode("a%20b%zz"), "a b%zz");
    }
}
