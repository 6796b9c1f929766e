//! Every start option and admin endpoint, over raw HTTP: api versions,
//! named vaults, seeding, the clock, access rules, bind and advertised
//! host, and faults set over HTTP.
#![allow(clippy::unwrap_used)]

use crate::common::{self, send};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use keyvault_emulator::{Emulator, EmulatorBuilder, Operation, RunningEmulator};
use serde_json::{Value, json};

/// A token for `scope` from `emulator`'s token endpoint, for `client`.
async fn token_as(emulator: &RunningEmulator, client: (&str, &str), scope: &str) -> String {
    token_via(&reqwest::Client::new(), emulator, client, scope).await
}

/// [`token_as`] through `http`.
async fn token_via(
    http: &reqwest::Client,
    emulator: &RunningEmulator,
    client: (&str, &str),
    scope: &str,
) -> String {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client.0)
        .append_pair("client_secret", client.1)
        .append_pair("scope", scope)
        .finish();
    let (status, _, json) = send(
        http.post(emulator.token_endpoint())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    assert_eq!(status, 200, "{json}");
    json["access_token"].as_str().unwrap().to_owned()
}

/// `PUT /secrets/{name}` with `body` at `base` (a vault origin).
async fn put(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
    body: Value,
) -> (u16, Value) {
    let (status, _, json) = send(
        http.put(format!("{base}/secrets/{name}?api-version=2026-04-01"))
            .bearer_auth(token)
            .json_body(&body),
    )
    .await;
    (status, json)
}

/// `GET {base}{path}` (api-version appended if missing).
async fn get(http: &reqwest::Client, base: &str, token: &str, path: &str) -> (u16, Value) {
    let url = if path.contains("api-version=") {
        format!("{base}{path}")
    } else {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{base}{path}{sep}api-version=2026-04-01")
    };
    let (status, _, json) = send(http.get(url).bearer_auth(token)).await;
    (status, json)
}

/// A default emulator, a token for it, an HTTP client and its vault URL.
async fn started() -> (RunningEmulator, String, reqwest::Client, String) {
    started_with(Emulator::builder()).await
}

/// [`started`] with `builder`'s options.
async fn started_with(
    builder: EmulatorBuilder,
) -> (RunningEmulator, String, reqwest::Client, String) {
    let emulator = builder.start().await.unwrap();
    let token = common::token(&emulator).await;
    let base = emulator.vault_url();
    (emulator, token, reqwest::Client::new(), base)
}

#[tokio::test]
async fn every_ga_version_and_preview_form_is_served_with_its_shape() {
    let (emulator, token, http, base) = started().await;
    put(&http, &base, &token, "shape", json!({"value": "v"})).await;
    let fetch = |path: String| {
        let (http, base, token) = (&http, &base, &token);
        async move { get(http, base, token, &path).await }
    };
    for version in [
        "7.0",
        "7.1",
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "2025-07-01",
        "2026-04-01",
        "7.6-preview.2",
        "2025-06-01-preview",
        "2026-03-01-preview",
    ] {
        let (status, body) = fetch(format!("/secrets/shape/?api-version={version}")).await;
        assert_eq!(status, 200, "{version}: {body}");
        assert_eq!(body["value"], "v");
        // recoverableDays arrived with 7.1.
        assert_eq!(
            body["attributes"]["recoverableDays"].is_null(),
            version == "7.0",
            "{version}: {body}"
        );
    }
    // outContentType is a 2025-07-01 feature: older versions ignore it.
    let convert = "/secrets/shape/?outContentType=application%2Fx-pem-file";
    let (status, _) = fetch(format!("{convert}&api-version=7.6")).await;
    assert_eq!(status, 200);
    let (status, body) = fetch(format!("{convert}&api-version=2026-04-01")).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = fetch("/secrets?api-version=2016-10-01".to_owned()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadParameter");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The specified version (2016-10-01) is not recognized. Consider using the latest supported version (2026-04-01)."),
        "{message}"
    );
    assert!(
        message.contains("7.0, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6, 2025-07-01, 2026-04-01"),
        "{message}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn nextlink_keeps_the_requested_version_and_page_size() {
    let (emulator, token, http, base) = started().await;
    for name in ["c", "a", "b"] {
        put(&http, &base, &token, name, json!({"value": name})).await;
    }
    let (_, page) = get(
        &http,
        &base,
        &token,
        "/secrets?api-version=7.5&maxresults=2",
    )
    .await;
    let ids: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [format!("{base}/secrets/a"), format!("{base}/secrets/b")]
    );
    let next = page["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{base}/secrets?api-version=7.5&$skiptoken=")),
        "{next}"
    );
    let (_, last) = get(&http, "", &token, next).await;
    assert_eq!(last["value"][0]["id"], format!("{base}/secrets/c"));
    assert!(last["nextLink"].is_null());
    emulator.shutdown().await;
}

#[tokio::test]
async fn named_vaults_are_selected_by_host_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::builder()
        .vault("team-a")
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let port = emulator.local_addr().port();
    let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let http = reqwest::Client::builder()
        .resolve("kv1.vault.localhost", loopback)
        .resolve("team-a.kv.internal", loopback)
        .build()
        .unwrap();
    let kv1 = emulator.named_vault_url("KV1");
    assert_eq!(kv1, format!("http://kv1.vault.localhost:{port}"));

    // The challenge names the parent domain, so the vault host is a subdomain of it.
    let (status, headers, _) =
        send(http.get(format!("{kv1}/secrets?api-version=2026-04-01"))).await;
    assert_eq!(status, 401);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    let resource = format!("http://vault.localhost:{port}");
    assert!(
        challenge.ends_with(&format!("resource=\"{resource}\"")),
        "{challenge}"
    );
    let client = (emulator.client_id(), emulator.client_secret());
    let token = token_as(&emulator, client, &format!("{resource}/.default")).await;

    let (status, body) = put(&http, &kv1, &token, "only-here", json!({"value": "kv1"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{kv1}/secrets/only-here/"))
    );
    let default_token = common::token(&emulator).await;
    let (status, _) = get(
        &http,
        &emulator.vault_url(),
        &default_token,
        "/secrets/only-here/",
    )
    .await;
    assert_eq!(status, 404, "the default vault is another vault");

    let team_a = format!("http://team-a.kv.internal:{port}");
    let token_a = token_as(
        &emulator,
        client,
        &format!("http://kv.internal:{port}/.default"),
    )
    .await;
    let (status, _) = get(&http, &team_a, &token_a, "/secrets/only-here/").await;
    assert_eq!(status, 404, "a configured vault is another vault");
    put(&http, &team_a, &token_a, "a-secret", json!({"value": "a"})).await;
    // A token for one vault's resource does not open another vault.
    let (status, _) = get(&http, &kv1, &token_a, "/secrets").await;
    assert_eq!(status, 401);
    emulator.shutdown().await;

    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files, ["vault-kv1.json", "vault-team-a.json"]);
    let emulator = Emulator::builder()
        .data_dir(dir.path())
        .port(port)
        .start()
        .await
        .unwrap();
    let token = token_as(
        &emulator,
        client_of(&emulator),
        &format!("{resource}/.default"),
    )
    .await;
    let (status, body) = get(&http, &kv1, &token, "/secrets/only-here/").await;
    assert_eq!((status, body["value"].as_str()), (200, Some("kv1")));
    emulator.shutdown().await;

    assert!(
        Emulator::builder()
            .vault("x")
            .start()
            .await
            .unwrap_err()
            .to_string()
            .contains("'x'")
    );
}

fn client_of(emulator: &RunningEmulator) -> (&str, &str) {
    (emulator.client_id(), emulator.client_secret())
}

/// The vault holds what both seed-file tests seed as `db`: two versions, the
/// older with its content type, tags and dates, the newer disabled.
async fn assert_seeded_db(http: &reqwest::Client, base: &str, token: &str) {
    let (_, versions) = get(http, base, token, "/secrets/db/versions").await;
    let versions = versions["value"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let oldest = versions[0]["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = get(http, base, token, &format!("/secrets/db/{oldest}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], "old");
    assert_eq!(body["contentType"], "text/plain");
    assert_eq!(body["tags"]["env"], "dev");
    assert_eq!(body["attributes"]["nbf"], 1_767_225_600);
    assert_eq!(body["attributes"]["exp"], 1_798_761_600);
    // The newest version is disabled, so the version-less GET is refused.
    let (status, body) = get(http, base, token, "/secrets/db/").await;
    assert_eq!(
        (status, body["error"]["innererror"]["code"].as_str()),
        (403, Some("SecretDisabled"))
    );
}

#[tokio::test]
async fn seed_file_loads_secrets_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"secrets": [
            {"name": "db", "value": "old", "contentType": "text/plain", "tags": {"env": "dev"},
             "notBefore": "2026-01-01T00:00:00Z", "expires": 1798761600},
            {"name": "db", "value": "new-but-disabled", "enabled": false},
            {"name": "team", "value": "t", "vault": "team-a"}
        ]})
        .to_string(),
    )
    .unwrap();
    let data = dir.path().join("data");
    for _ in 0..2 {
        let (emulator, token, http, base) =
            started_with(Emulator::builder().seed_file(&seed).data_dir(&data)).await;
        // A restart with the same seed adds nothing.
        assert_seeded_db(&http, &base, &token).await;
        emulator.shutdown().await;
    }
    let refused = |text: &str| {
        std::fs::write(&seed, text).unwrap();
        let builder = Emulator::builder().seed_file(&seed);
        async move { builder.start().await.unwrap_err().to_string() }
    };
    let error = refused(r#"{"secrets": [{"name": "bad_name", "value": "x"}]}"#).await;
    assert!(
        error.contains("seed.json") && error.contains("'bad_name' is not a valid secret name"),
        "{error}"
    );
    let error = refused(r#"{"secrets": [{"name": "n", "valu": "x"}]}"#).await;
    assert!(error.contains("unknown field `valu`"), "{error}");
    let error = refused(r#"{"secrets": [{"name": "n", "value": "x", "expires": "soon"}]}"#).await;
    assert!(
        error.contains("expires 'soon' is not an RFC 3339 date"),
        "{error}"
    );
}

#[tokio::test]
async fn a_toml_seed_file_has_the_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.TOML");
    std::fs::write(
        &seed,
        r#"
[[secrets]]
name = "db"
value = "old"
contentType = "text/plain"
tags = { env = "dev" }
notBefore = 2026-01-01T00:00:00Z
expires = 1798761600

[[secrets]]
name = "db"
value = "new-but-disabled"
enabled = false

[[secrets]]
name = "team"
value = "t"
vault = "team-a"
expires = "2027-01-01T00:00:00Z"
"#,
    )
    .unwrap();
    let (emulator, token, http, base) = started_with(Emulator::builder().seed_file(&seed)).await;
    assert_seeded_db(&http, &base, &token).await;
    emulator.shutdown().await;

    let refused = |text: &str| {
        std::fs::write(&seed, text).unwrap();
        let builder = Emulator::builder().seed_file(&seed);
        async move { builder.start().await.unwrap_err().to_string() }
    };
    // The same checks as JSON: unknown fields, bad names, dates.
    let error = refused("[[secrets]]\nname = \"n\"\nvalu = \"x\"\n").await;
    assert!(error.contains("unknown field `valu`"), "{error}");
    let error = refused("[[secrets]]\nname = \"bad_name\"\nvalue = \"x\"\n").await;
    assert!(
        error.contains("'bad_name' is not a valid secret name"),
        "{error}"
    );
    // A local date-time has no offset: not an RFC 3339 date.
    let error =
        refused("[[secrets]]\nname = \"n\"\nvalue = \"x\"\nexpires = 2026-01-01T00:00:00\n").await;
    assert!(
        error.contains("expires '2026-01-01T00:00:00' is not an RFC 3339 date"),
        "{error}"
    );
    // Broken TOML says where.
    let error = refused("[[secrets]\nname = 1\n").await;
    assert!(
        error.contains("seed.TOML") && error.contains("not a valid seed file"),
        "{error}"
    );
    // A file that is TOML but named .json is read as JSON.
    let json_named = dir.path().join("seed.json");
    std::fs::write(&json_named, "[[secrets]]\nname = \"n\"\nvalue = \"x\"\n").unwrap();
    let error = Emulator::builder()
        .seed_file(&json_named)
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("not a valid seed file"), "{error}");
}

#[tokio::test]
async fn the_clock_moves_forward_and_purges_what_is_due() {
    let (emulator, token, http, base) = started_with(
        Emulator::builder()
            .operation_delay(Duration::ZERO)
            .token_lifetime(Duration::from_secs(3600)),
    )
    .await;
    let (_, before) = send(http.get(format!("{base}/admin/clock")))
        .await
        .into_two();
    assert_eq!(before["offsetSeconds"], 0);

    put(&http, &base, &token, "doomed", json!({"value": "x"})).await;
    let (status, deleted) = send(
        http.delete(format!("{base}/secrets/doomed?api-version=2026-04-01"))
            .bearer_auth(&token),
    )
    .await
    .into_two();
    assert_eq!(status, 200);
    let purge_at = deleted["scheduledPurgeDate"].as_i64().unwrap();
    assert_eq!(
        purge_at - deleted["deletedDate"].as_i64().unwrap(),
        90 * 86_400
    );

    // 89 days on: still recoverable, and a fresh token works.
    let (status, now) = send(
        http.post(format!("{base}/admin/clock"))
            .json_body(&json!({"advanceSeconds": 89 * 86_400})),
    )
    .await
    .into_two();
    assert_eq!(status, 200);
    assert_eq!(now["offsetSeconds"], 89 * 86_400);
    assert!(now["now"].as_i64().unwrap() >= before["now"].as_i64().unwrap() + 89 * 86_400);
    let (status, _) = get(&http, &base, &token, "/secrets").await;
    assert_eq!(
        status, 200,
        "tokens keep the real clock: cached ones stay valid"
    );
    let (status, _) = get(&http, &base, &token, "/deletedsecrets/doomed").await;
    assert_eq!(status, 200);
    let (_, made) = put(&http, &base, &token, "later", json!({"value": "y"})).await;
    assert!(
        made["attributes"]["created"].as_i64().unwrap()
            >= before["now"].as_i64().unwrap() + 89 * 86_400
    );

    // Past the scheduled purge date the service purges it.
    emulator.advance_clock(Duration::from_secs(2 * 86_400));
    let (status, _) = get(&http, &base, &token, "/deletedsecrets/doomed").await;
    assert_eq!(status, 404);

    let (status, body) = send(
        http.post(format!("{base}/admin/clock"))
            .json_body(&json!({"advanceSeconds": -5})),
    )
    .await
    .into_two();
    assert_eq!(status, 400, "{body}");
    let (status, _) = send(http.post(format!("{base}/admin/clock")).body("nope"))
        .await
        .into_two();
    assert_eq!(status, 400);
    emulator.shutdown().await;

    let ahead = Emulator::builder()
        .clock_offset(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let (_, clock) = send(reqwest::Client::new().get(format!("{}/admin/clock", ahead.vault_url())))
        .await
        .into_two();
    assert_eq!(clock["offsetSeconds"], 600);
    ahead.shutdown().await;
}

/// A JSON request body (reqwest is built without its `json` feature).
trait JsonBody {
    fn json_body(self, body: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }
}

/// Drops the headers of a [`send`] result.
trait IntoTwo {
    fn into_two(self) -> (u16, Value);
}

impl IntoTwo for (u16, reqwest::header::HeaderMap, Value) {
    fn into_two(self) -> (u16, Value) {
        (self.0, self.2)
    }
}

#[tokio::test]
async fn access_rules_limit_a_client_to_its_operations() {
    let emulator = Emulator::builder()
        .client("writer", "writer-secret")
        .client("reader", "reader-secret")
        .allow("READER", [Operation::Get, Operation::List])
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = emulator.vault_url();
    let scope = format!("{base}/.default");
    let writer = token_as(&emulator, ("writer", "writer-secret"), &scope).await;
    let reader = token_as(&emulator, ("reader", "reader-secret"), &scope).await;
    let (status, _) = put(&http, &base, &writer, "shared", json!({"value": "v"})).await;
    assert_eq!(status, 200, "clients without a rule may do everything");
    let (status, body) = get(&http, &base, &reader, "/secrets/shared/").await;
    assert_eq!((status, body["value"].as_str()), (200, Some("v")));
    let (status, _) = get(&http, &base, &reader, "/secrets").await;
    assert_eq!(status, 200);
    let (status, body) = put(&http, &base, &reader, "shared", json!({"value": "w"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Forbidden");
    assert_eq!(body["error"]["innererror"]["code"], "AccessDenied");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'appid=reader;")
            && message.contains("does not have secrets set permission"),
        "{message}"
    );
    let (status, _, _) = send(
        http.delete(format!("{base}/secrets/shared?api-version=2026-04-01"))
            .bearer_auth(&reader),
    )
    .await;
    assert_eq!(status, 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn advertised_host_names_ids_and_the_challenge_and_bind_is_honoured() {
    let emulator = Emulator::builder()
        .bind(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        .advertised_host("kv-emulator")
        .start()
        .await
        .unwrap();
    assert!(emulator.local_addr().ip().is_unspecified());
    let port = emulator.local_addr().port();
    assert_eq!(emulator.vault_url(), format!("http://kv-emulator:{port}"));
    // Other containers reach it as kv-emulator; here that name is mapped to loopback.
    let http = reqwest::Client::builder()
        .resolve(
            "kv-emulator",
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        )
        .build()
        .unwrap();
    let (status, headers, _) = send(http.get(format!(
        "{}/secrets?api-version=2026-04-01",
        emulator.vault_url()
    )))
    .await;
    assert_eq!(status, 401);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"http://kv-emulator:{port}/{}\", resource=\"http://kv-emulator:{port}\"",
            emulator.tenant_id()
        )
    );
    let scope = format!("{}/.default", emulator.vault_url());
    let token = token_via(&http, &emulator, client_of(&emulator), &scope).await;
    let (_, body) = put(
        &http,
        &emulator.vault_url(),
        &token,
        "named",
        json!({"value": "v"}),
    )
    .await;
    assert!(
        body["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://kv-emulator:{port}/secrets/named/")),
        "{body}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn faults_can_be_set_over_http() {
    let (emulator, token, http, base) = started().await;
    let (status, counts) = send(
        http.put(format!("{base}/admin/faults"))
            .json_body(&json!({"throttle": 1, "retryAfterSeconds": 2, "unavailable": 1})),
    )
    .await
    .into_two();
    assert_eq!((status, counts["throttled"].as_u64()), (200, Some(0)));
    let (status, headers, _) = send(
        http.get(format!("{base}/secrets?api-version=2026-04-01"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (status, headers["retry-after"].to_str().unwrap()),
        (429, "2")
    );
    let (status, _) = get(&http, &base, &token, "/secrets").await;
    assert_eq!(status, 503);
    let (status, _) = get(&http, &base, &token, "/secrets").await;
    assert_eq!(status, 200);
    let (_, counts) = send(http.get(format!("{base}/admin/faults")))
        .await
        .into_two();
    assert_eq!(
        (counts["throttled"].as_u64(), counts["unavailable"].as_u64()),
        (Some(1), Some(1))
    );
    let (status, _) = send(
        http.put(format!("{base}/admin/faults"))
            .json_body(&json!({"throttle": "many"})),
    )
    .await
    .into_two();
    assert_eq!(status, 400);
    emulator.shutdown().await;
}
