//! Replays every recorded session in `tests/fixtures/keyvault-recordings/`:
//! the recorded responses are served in order from a loopback server, the
//! client runs the operation each recorded request stands for, and the
//! requests it sends and the results it returns are checked against the
//! recording.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use credential_core::LoopbackOnlyHttpClient;
use futures::TryStreamExt;
use keyvault_secrets::*;
use serde_json::Value;
use time::OffsetDateTime;

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keyvault-recordings");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "json") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    files
}

/// Path and query of a recorded URI, host dropped.
fn path_query(uri: &str) -> String {
    let url = url::Url::parse(uri).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// JS sends `"attributes": {}`; we omit an empty object (as Python does).
fn normalize(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut()
        && obj
            .get("attributes")
            .is_some_and(|a| a.as_object().is_some_and(|o| o.is_empty()))
    {
        obj.remove("attributes");
    }
    v
}

fn unix(v: &Value) -> Option<OffsetDateTime> {
    v.as_i64()
        .map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
}

fn check_properties(p: &SecretProperties, body: &Value) {
    assert_eq!(p.id, body["id"].as_str().unwrap());
    assert_eq!(p.content_type.as_deref(), body["contentType"].as_str());
    let a = &body["attributes"];
    assert_eq!(p.enabled, a["enabled"].as_bool());
    assert_eq!(p.expires_on, unix(&a["exp"]));
    assert_eq!(p.not_before, unix(&a["nbf"]));
    assert_eq!(p.created_on, unix(&a["created"]));
    assert_eq!(p.updated_on, unix(&a["updated"]));
    assert_eq!(p.recovery_level.as_deref(), a["recoveryLevel"].as_str());
    assert_eq!(
        p.recoverable_days.map(i64::from),
        a["recoverableDays"].as_i64()
    );
    assert_eq!(p.managed, body["managed"].as_bool());
    assert_eq!(p.key_id.as_deref(), body["kid"].as_str());
    assert_eq!(
        p.previous_version.as_deref(),
        body["previousVersion"].as_str()
    );
    if let Some(tags) = body["tags"].as_object() {
        assert_eq!(p.tags.len(), tags.len());
    }
}

fn check_error(err: &Error, entry: &Value) {
    let status = entry["StatusCode"].as_u64().unwrap() as u16;
    assert_eq!(err.status().map(u16::from), Some(status), "{err}");
    let e = &entry["ResponseBody"]["error"];
    let service = err.as_service().unwrap();
    assert_eq!(service.status().as_u16(), status);
    assert_eq!(service.code(), e["code"].as_str());
    assert_eq!(service.message(), e["message"].as_str());
    assert_eq!(service.inner_code(), e["innererror"]["code"].as_str());
    assert_eq!(
        service.request_id(),
        entry["ResponseHeaders"]["x-ms-request-id"].as_str()
    );
    assert_eq!(err.request_id(), service.request_id());
    // The helpers answer from the recorded status.
    assert_eq!(err.is_not_found(), status == 404, "{err}");
    assert_eq!(err.is_forbidden(), status == 403, "{err}");
    assert_eq!(err.is_conflict(), status == 409, "{err}");
    assert_eq!(err.is_throttled(), status == 429, "{err}");
    RECORDED_ERRORS.lock().unwrap().push(status);
}

/// The statuses of the recorded errors that `check_error` has seen.
static RECORDED_ERRORS: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());

fn page_size<T: Send + 'static>(pager: Pager<T>, max: Option<u32>) -> Pager<T> {
    match max {
        Some(m) => pager.max_page_size(m),
        None => pager,
    }
}

struct Replay {
    entries: Vec<Value>,
    pos: usize,
    client: SecretClient,
}

impl Replay {
    fn peek(&self) -> Option<&Value> {
        self.entries.get(self.pos)
    }
    fn segs(entry: &Value) -> (String, Vec<String>, url::Url) {
        let url = url::Url::parse(entry["RequestUri"].as_str().unwrap()).unwrap();
        let segs = url.path_segments().unwrap().map(str::to_owned).collect();
        (
            entry["RequestMethod"].as_str().unwrap().to_owned(),
            segs,
            url,
        )
    }
    /// Consumes poll entries (`GET` of `prefix/name...`) until a 200/403.
    fn skip_polls(&mut self, collection: &str, name: &str) {
        while let Some(e) = self.peek() {
            let (m, s, _) = Self::segs(e);
            let status = e["StatusCode"].as_u64().unwrap();
            if m == "GET"
                && s.first().map(String::as_str) == Some(collection)
                && s.get(1).map(String::as_str) == Some(name)
            {
                self.pos += 1;
                if status == 200 || status == 403 {
                    return;
                }
            } else {
                return;
            }
        }
    }

    async fn step(&mut self) {
        let entry = self.entries[self.pos].clone();
        self.pos += 1;
        let (method, segs, url) = Self::segs(&entry);
        let status = entry["StatusCode"].as_u64().unwrap();
        let body = &entry["ResponseBody"];
        let req = &entry["RequestBody"];
        let seg = |i: usize| segs.get(i).map(String::as_str).unwrap_or_default();
        let c = self.client.clone();
        match (method.as_str(), seg(0), segs.len()) {
            ("PUT", "secrets", 2) => {
                let mut o = c.set_secret(seg(1), req["value"].as_str().unwrap());
                let a = &req["attributes"];
                if let Some(e) = a["enabled"].as_bool() {
                    o = o.enabled(e)
                }
                if let Some(t) = unix(&a["exp"]) {
                    o = o.expires_on(t)
                }
                if let Some(t) = unix(&a["nbf"]) {
                    o = o.not_before(t)
                }
                if let Some(ct) = req["contentType"].as_str() {
                    o = o.content_type(ct)
                }
                match o.await {
                    Ok(s) => {
                        assert_eq!(s.value, body["value"].as_str().unwrap());
                        check_properties(&s.properties, body);
                    }
                    Err(e) => check_error(&e, &entry),
                }
            }
            // As the JS client, a recover first reads the secret.
            ("GET", "secrets", 3) if seg(2).is_empty() && self.recover_follows(seg(1)) => {
                assert_eq!(status, 404);
                let post = self.entries[self.pos].clone();
                self.pos += 1;
                self.recover(seg(1), &post).await;
            }
            ("GET", "secrets", 3) if seg(2) != "versions" => {
                let out_content_type = url
                    .query_pairs()
                    .find(|(k, _)| k == "outContentType")
                    .map(|(_, v)| v.into_owned());
                let mut o = c.get_secret(seg(1)).version(seg(2));
                if let Some(v) = &out_content_type {
                    o = o.out_content_type(v)
                }
                match o.await {
                    Ok(s) => {
                        assert_eq!(status, 200);
                        assert_eq!(s.value, body["value"].as_str().unwrap());
                        check_properties(&s.properties, body);
                    }
                    Err(e) => check_error(&e, &entry),
                }
            }
            ("PATCH", "secrets", 3) => {
                let mut o = c.update_secret_properties(seg(1)).version(seg(2));
                if let Some(t) = unix(&req["attributes"]["exp"]) {
                    o = o.expires_on(t)
                }
                if let Some(ct) = req["contentType"].as_str() {
                    o = o.content_type(ct)
                }
                if let Some(tags) = req["tags"].as_object() {
                    o = o.tags(
                        tags.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                            .collect(),
                    );
                }
                let p = o.await.unwrap();
                check_properties(&p, body);
            }
            ("DELETE", "secrets", 2) => {
                let poller = c.begin_delete_secret(seg(1)).await.unwrap();
                assert_eq!(
                    poller.result().unwrap().recovery_id.as_deref(),
                    body["recoveryId"].as_str()
                );
                let name = seg(1).to_owned();
                let expected_end = self.poll_end("deletedsecrets", &name);
                let deleted = poller.wait().await.unwrap();
                self.skip_polls("deletedsecrets", &name);
                if let Some(end) = expected_end {
                    check_properties(&deleted.properties, &end["ResponseBody"]);
                    assert_eq!(
                        deleted.deleted_on,
                        unix(&end["ResponseBody"]["deletedDate"])
                    );
                    assert_eq!(
                        deleted.scheduled_purge_date,
                        unix(&end["ResponseBody"]["scheduledPurgeDate"])
                    );
                }
            }
            ("GET", "deletedsecrets", 2) => {
                let d = c.get_deleted_secret(seg(1)).await.unwrap();
                check_properties(&d.properties, body);
                assert_eq!(d.recovery_id.as_deref(), body["recoveryId"].as_str());
            }
            ("DELETE", "deletedsecrets", 2) => {
                c.purge_deleted_secret(seg(1)).await.unwrap();
                assert_eq!(status, 204);
            }
            ("POST", "secrets", 3) if seg(2) == "backup" => {
                let blob = c.backup_secret(seg(1)).await.unwrap();
                let text = body["value"].as_str().unwrap();
                assert_eq!(
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&blob),
                    text
                );
                assert!(blob.starts_with(b")AzureKeyVaultSecretBackupV1"));
            }
            ("POST", "secrets", 2) if seg(1) == "restore" => {
                let blob = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(req["value"].as_str().unwrap())
                    .unwrap();
                match c.restore_secret_backup(&blob).await {
                    Ok(p) => check_properties(&p, body),
                    Err(e) => check_error(&e, &entry),
                }
            }
            ("GET", "secrets", 1) | ("GET", "deletedsecrets", 1) | ("GET", "secrets", 3) => {
                let max = url
                    .query_pairs()
                    .find(|(k, _)| k == "maxresults")
                    .map(|(_, v)| v.parse().unwrap());
                // Every page of this listing, in order.
                let mut pages = vec![entry.clone()];
                while self
                    .peek()
                    .is_some_and(|e| e["RequestUri"].as_str().unwrap().contains("skiptoken"))
                {
                    pages.push(self.entries[self.pos].clone());
                    self.pos += 1;
                }
                let expected: Vec<Value> = pages
                    .iter()
                    .flat_map(|p| p["ResponseBody"]["value"].as_array().unwrap().clone())
                    .collect();
                if seg(0) == "deletedsecrets" {
                    let items: Vec<DeletedSecret> = page_size(c.list_deleted_secrets(), max)
                        .try_collect()
                        .await
                        .unwrap();
                    assert_eq!(items.len(), expected.len());
                    for (i, e) in items.iter().zip(&expected) {
                        check_properties(&i.properties, e);
                        assert_eq!(i.recovery_id.as_deref(), e["recoveryId"].as_str());
                        assert_eq!(i.deleted_on, unix(&e["deletedDate"]));
                    }
                } else {
                    let items: Vec<SecretProperties> = if segs.len() == 3 {
                        page_size(c.list_properties_of_secret_versions(seg(1)), max)
                            .try_collect()
                            .await
                            .unwrap()
                    } else {
                        page_size(c.list_properties_of_secrets(), max)
                            .try_collect()
                            .await
                            .unwrap()
                    };
                    assert_eq!(items.len(), expected.len());
                    for (i, e) in items.iter().zip(&expected) {
                        check_properties(i, e);
                    }
                }
            }
            other => panic!("no operation for recorded request {other:?}"),
        }
    }

    /// Whether the next entry is the recover of `name`.
    fn recover_follows(&self, name: &str) -> bool {
        self.peek().is_some_and(|e| {
            let (m, s, _) = Self::segs(e);
            m == "POST" && s == ["deletedsecrets", name, "recover"]
        })
    }

    /// A recover whose first read found nothing: `post` is the recorded
    /// recover, then the polls.
    async fn recover(&mut self, name: &str, post: &Value) {
        let c = self.client.clone();
        match c.begin_recover_deleted_secret(name).await {
            Ok(poller) => {
                assert!(!poller.is_done());
                check_properties(poller.result().unwrap(), &post["ResponseBody"]);
                let end = self.poll_end("secrets", name);
                let p = poller.await.unwrap();
                self.skip_polls("secrets", name);
                check_properties(&p, &end.unwrap()["ResponseBody"]);
            }
            Err(e) => check_error(&e, post),
        }
    }

    /// The entry a poll on `collection/name` will end at.
    fn poll_end(&self, collection: &str, name: &str) -> Option<Value> {
        self.entries[self.pos..]
            .iter()
            .take_while(|e| {
                let (m, s, _) = Self::segs(e);
                m == "GET"
                    && s.first().map(String::as_str) == Some(collection)
                    && s.get(1).map(String::as_str) == Some(name)
            })
            .find(|e| matches!(e["StatusCode"].as_u64(), Some(200 | 403)))
            .cloned()
    }
}

/// Python recordings post `/recover` at once; our client (as the JS one)
/// first reads the secret, which the service answers with 404 while it is
/// deleted. That read is put in front of each recover that lacks it.
fn with_recover_reads(entries: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for e in entries {
        let (m, s, url) = Replay::segs(e);
        if m == "POST" && s.len() == 3 && s[0] == "deletedsecrets" && s[2] == "recover" {
            let read_before = out.last().is_some_and(|p| {
                let (pm, ps, _) = Replay::segs(p);
                pm == "GET" && ps == ["secrets", s[1].as_str(), ""]
            });
            if !read_before {
                let mut read = url.clone();
                read.set_path(&format!("/secrets/{}/", s[1]));
                out.push(serde_json::json!({
                    "RequestUri": read.as_str(),
                    "RequestMethod": "GET",
                    "RequestBody": null,
                    "StatusCode": 404,
                    "ResponseHeaders": {"x-ms-request-id": "synthetic-read"},
                    "ResponseBody": {"error": {"code": "SecretNotFound", "message": "A secret with (name/id) was not found in this key vault."}},
                }));
            }
        }
        out.push(e.clone());
    }
    out
}

async fn replay(file: &Path) {
    #[allow(clippy::disallowed_methods)] // Test fixtures, read at test time.
    let text = std::fs::read_to_string(file).unwrap();
    let recording: Value = serde_json::from_str(&text).unwrap();
    let entries = with_recover_reads(recording["Entries"].as_array().unwrap());
    let api_version = url::Url::parse(entries[0]["RequestUri"].as_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "api-version")
        .unwrap()
        .1
        .into_owned();
    // The server answers in order; nextLinks are pointed at it.
    let placeholder = "http://127.0.0.1:1";
    let mut script = Vec::new();
    for e in &entries {
        let mut headers: Vec<(String, String)> = Vec::new();
        for (k, v) in e["ResponseHeaders"].as_object().unwrap() {
            let lower = k.to_ascii_lowercase();
            if [
                "content-length",
                "transfer-encoding",
                "connection",
                "content-encoding",
            ]
            .contains(&lower.as_str())
            {
                continue;
            }
            headers.push((k.clone(), v.as_str().unwrap_or_default().to_owned()));
        }
        let body = match &e["ResponseBody"] {
            Value::Null => String::new(),
            b => b
                .to_string()
                .replace("https://vaultname.vault.azure.net:443", placeholder),
        };
        script.push(Some((
            e["StatusCode"].as_u64().unwrap() as u16,
            headers,
            body,
        )));
    }
    // Bind first so the nextLink placeholder can be replaced with the real address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for s in script.iter_mut().flatten() {
        s.2 = s.2.replace(placeholder, &addr);
    }
    let server = common::serve_at(&addr, script).await;

    let cred = common::Counting::default();
    let client = SecretClient::builder(server.url.clone(), cred.credential())
        .with_api_version(match api_version.as_str() {
            "2025-07-01" => ApiVersion::V2025_07_01,
            v => ApiVersion::Custom(v.to_owned()),
        })
        .with_verify_challenge_resource(false)
        .with_poll_interval(Duration::ZERO)
        .with_http_client(Arc::new(LoopbackOnlyHttpClient::real()))
        .build()
        .unwrap();

    let mut replay = Replay {
        entries: entries.clone(),
        pos: 1,
        client: client.clone(),
    };
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    if name.contains("empty_name") {
        // We validate names before sending: nothing goes out.
        let err = client.set_secret("", "SECRET_VALUE").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        assert!(server.seen.lock().unwrap().is_empty());
        return;
    }
    while replay.pos < replay.entries.len() {
        replay.step().await;
    }
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), entries.len(), "{name}: request count");
    for (i, (e, (method, target, body))) in entries.iter().zip(&seen).enumerate() {
        assert_eq!(method, e["RequestMethod"].as_str().unwrap(), "{name} #{i}");
        assert_eq!(
            target,
            &path_query(e["RequestUri"].as_str().unwrap()),
            "{name} #{i}"
        );
        let recorded = &e["RequestBody"];
        if i == 0 || recorded.is_null() {
            assert!(body.is_empty(), "{name} #{i}: body must be empty");
        } else {
            let sent: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(
                normalize(sent),
                normalize(recorded.clone()),
                "{name} #{i}: body"
            );
        }
    }
    // One challenge, one token, tenant taken from the challenge.
    assert_eq!(cred.count(), 1, "{name}");
    let (scopes, options) = cred.seen.lock().unwrap()[0].clone();
    assert_eq!(scopes, vec!["https://vault.azure.net/.default".to_owned()]);
    assert!(options.tenant_id.is_some());
    assert!(options.enable_cae);
}

#[tokio::test]
async fn replays_every_recording() {
    let files = fixture_files();
    assert_eq!(files.len(), 15, "expected the 15 recordings");
    for file in files {
        eprintln!("replaying {}", file.display());
        replay(&file).await;
    }
    // The recorded errors include a 404 and a 403, so `is_not_found` and
    // `is_forbidden` were checked against real answers of the service.
    let seen = RECORDED_ERRORS.lock().unwrap();
    assert!(seen.contains(&404) && seen.contains(&403), "{seen:?}");
}
